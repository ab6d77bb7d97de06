// Goals, in order of priority: the exact preprocessing the paper's PyTorch runs use (pixels in
// [0, 1], standardised by the training set's scalar mean and std); class subsets relabelled
// 0…C−1, each kept example still traceable to its position in the file; clear errors naming
// the file.

import Foundation

/// Labelled images as one contiguous block of Float32 features: example `n` occupies
/// `features[n*featureCount ..< (n+1)*featureCount]` (i.e. a column-major featureCount×count
/// matrix, one column per example).
public struct LabeledExamples: Sendable, Equatable {
  /// Features of all examples, example after example.
  public var features: [Float]
  /// Labels in 0..<classCount.
  public var labels: [Int32]
  /// Features per example (784 for 28×28 images).
  public var featureCount: Int
  /// Number of examples.
  public var count: Int { labels.count }

  public init(features: [Float], labels: [Int32], featureCount: Int) {
    precondition(features.count == labels.count * featureCount, "features do not match labels")
    self.features = features
    self.labels = labels
    self.featureCount = featureCount
  }
}

/// Where the examples kept from one IDX split sit in its file, so that a position in the file (what
/// a user reads off the data set, e.g. `ujm measure --indices`) and a position among the kept
/// examples can be converted into each other when a class subset is kept.
public struct FilePositions: Sendable, Equatable {
  /// The original label (0..<10) of every example in the file, kept or not, by file position.
  public var fileLabels: [UInt8]
  /// The 0-based file position of each kept example, in the order kept (increasing).
  public var positions: [Int]

  /// The number of examples in the file (kept or not).
  public var fileCount: Int { fileLabels.count }

  public init(fileLabels: [UInt8], positions: [Int]) {
    precondition(
      zip(positions, positions.dropFirst()).allSatisfy { $0 < $1 }
        && positions.allSatisfy { (0..<fileLabels.count).contains($0) },
      "positions must increase and lie in the file")
    self.fileLabels = fileLabels
    self.positions = positions
  }

  /// Every example of a file of `fileLabels` kept (the full data set, or data made in memory).
  public init(keepingAll fileLabels: [UInt8]) {
    self.init(fileLabels: fileLabels, positions: Array(fileLabels.indices))
  }

  /// The kept example at file position `position`, or nil when that example was not kept (or the
  /// position is outside the file).
  public func keptIndex(ofFilePosition position: Int) -> Int? {
    var (lo, hi) = (0, positions.count)
    while lo < hi {
      let mid = (lo + hi) / 2
      if positions[mid] < position { lo = mid + 1 } else { hi = mid }
    }
    return lo < positions.count && positions[lo] == position ? lo : nil
  }
}

/// The two splits of an image-classification data set in IDX files (Fashion-MNIST, MNIST), after
/// the paper's preprocessing: x = (p/255 − μ)/σ with μ, σ the scalar mean and standard deviation
/// of all training pixels p/255 of the classes kept.
public struct ImageClassificationData: Sendable {
  /// The training split (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`).
  public var train: LabeledExamples
  /// The test split (`t10k-…`).
  public var test: LabeledExamples
  /// The original labels kept, in order: new label k is original label `classes[k]`.
  public var classes: [Int]
  /// μ, the mean of the training pixels scaled to [0, 1].
  public var inputMean: Float
  /// σ, the population standard deviation of the training pixels scaled to [0, 1].
  public var inputStd: Float
  /// The position in the training file of each example of `train`, and the file's labels.
  public var trainFile: FilePositions
  /// The same for `test` and the test file.
  public var testFile: FilePositions

  /// The number of classes of the full data set.
  public static let fullClassCount = 10

  /// A data set from examples already in memory (benchmarks, tests): each split is its own
  /// whole "file", so file positions are positions in `train` and `test`.
  public init(
    train: LabeledExamples, test: LabeledExamples, classes: [Int], inputMean: Float,
    inputStd: Float
  ) {
    self.train = train
    self.test = test
    self.classes = classes
    self.inputMean = inputMean
    self.inputStd = inputStd
    func original(_ labels: [Int32]) -> [UInt8] {
      labels.map { label in
        precondition(classes.indices.contains(Int(label)), "label \(label) has no class")
        return UInt8(classes[Int(label)])
      }
    }
    self.trainFile = FilePositions(keepingAll: original(train.labels))
    self.testFile = FilePositions(keepingAll: original(test.labels))
  }

  /// Loads `directory`'s four IDX files (each may be gzip-compressed, `…-ubyte.gz`, or plain).
  ///
  /// - Parameters:
  ///   - classes: the original labels to keep, relabelled 0…C−1 in this order (nil: all 10).
  ///   - standardisation: μ and σ to use instead of the training set's (e.g. from a checkpoint).
  public init(
    directory: String, classes: [Int]? = nil, standardisation: (mean: Float, std: Float)? = nil
  ) throws(DataFileError) {
    let kept = classes ?? Array(0..<Self.fullClassCount)
    let trainRaw = try Self.readSplit(directory: directory, prefix: "train")
    let testRaw = try Self.readSplit(directory: directory, prefix: "t10k")
    let trainSubset = try Self.subset(trainRaw, classes: kept)
    let testSubset = try Self.subset(testRaw, classes: kept)
    let (mean, std) = standardisation ?? Self.pixelMeanAndStd(trainSubset.pixels)
    self.classes = kept
    self.inputMean = mean
    self.inputStd = std
    self.train = Self.standardised(trainSubset, mean: mean, std: std)
    self.test = Self.standardised(testSubset, mean: mean, std: std)
    self.trainFile = FilePositions(fileLabels: trainRaw.labels, positions: trainSubset.positions)
    self.testFile = FilePositions(fileLabels: testRaw.labels, positions: testSubset.positions)
  }

  /// Raw bytes of one split: pixels (example after example), labels, the file position of each
  /// example, and the file names.
  struct RawSplit {
    var pixels: [UInt8]
    var labels: [UInt8]
    var positions: [Int]
    var featureCount: Int
    var imagesPath: String
    var labelsPath: String
  }

  /// The path of `name` in `directory`, preferring the `.gz` file when both exist.
  static func locate(_ name: String, in directory: String) -> String {
    let base = (directory as NSString).appendingPathComponent(name)
    if FileManager.default.fileExists(atPath: base + ".gz") { return base + ".gz" }
    if FileManager.default.fileExists(atPath: base) { return base }
    return base + ".gz"
  }

  static func readSplit(directory: String, prefix: String) throws(DataFileError) -> RawSplit {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { throw .missing(path: directory) }
    let imagesPath = locate("\(prefix)-images-idx3-ubyte", in: directory)
    let labelsPath = locate("\(prefix)-labels-idx1-ubyte", in: directory)
    let images = try IDXFile(contentsOf: imagesPath)
    let labels = try IDXFile(contentsOf: labelsPath)
    guard images.dimensions.count == 3 else {
      throw .sizeMismatch(
        path: imagesPath, offset: 3,
        reason: "images need 3 dimensions (count, rows, columns), found \(images.dimensions.count)")
    }
    guard labels.dimensions.count == 1 else {
      throw .sizeMismatch(
        path: labelsPath, offset: 3,
        reason: "labels need 1 dimension, found \(labels.dimensions.count)")
    }
    guard images.dimensions[0] == labels.dimensions[0] else {
      throw .countMismatch(
        imagesPath: imagesPath, images: images.dimensions[0], labelsPath: labelsPath,
        labels: labels.dimensions[0])
    }
    let headerSize = 8
    for (n, label) in labels.values.enumerated() where Int(label) >= fullClassCount {
      throw .labelOutOfRange(
        path: labelsPath, offset: headerSize + n, label: Int(label), classes: fullClassCount)
    }
    return RawSplit(
      pixels: images.values, labels: labels.values, positions: Array(labels.values.indices),
      featureCount: images.dimensions[1] * images.dimensions[2], imagesPath: imagesPath,
      labelsPath: labelsPath)
  }

  /// The examples whose labels are in `classes`, relabelled by their position there.
  static func subset(_ split: RawSplit, classes: [Int]) throws(DataFileError) -> RawSplit {
    if classes == Array(0..<fullClassCount) { return split }
    var newLabel = [Int](repeating: -1, count: 256)
    for (k, c) in classes.enumerated() { newLabel[c] = k }
    var result = split
    result.pixels = []
    result.labels = []
    result.positions = []
    let f = split.featureCount
    var seen = Set<Int>()
    for (n, label) in split.labels.enumerated() where newLabel[Int(label)] >= 0 {
      result.labels.append(UInt8(newLabel[Int(label)]))
      result.positions.append(n)
      result.pixels.append(contentsOf: split.pixels[(n * f)..<((n + 1) * f)])
      seen.insert(Int(label))
    }
    for c in classes where !seen.contains(c) { throw .emptyClass(path: split.labelsPath, label: c) }
    return result
  }

  /// μ and σ (population) of p/255 over all pixels, accumulated in Double.
  static func pixelMeanAndStd(_ pixels: [UInt8]) -> (mean: Float, std: Float) {
    var histogram = [Int](repeating: 0, count: 256)
    for p in pixels { histogram[Int(p)] += 1 }
    let n = Double(pixels.count)
    var mean = 0.0
    for v in 0..<256 { mean += Double(histogram[v]) * Double(v) / 255 }
    mean /= n
    var variance = 0.0
    for v in 0..<256 {
      let d = Double(v) / 255 - mean
      variance += Double(histogram[v]) * d * d
    }
    variance /= n
    return (Float(mean), Float(variance.squareRoot()))
  }

  /// (p/255 − μ)/σ for every pixel.
  static func standardised(_ split: RawSplit, mean: Float, std: Float) -> LabeledExamples {
    let scale = 1 / (255 * std)
    let shift = -mean / std
    var table = [Float](repeating: 0, count: 256)
    for v in 0..<256 { table[v] = Float(v) * scale + shift }
    let features = split.pixels.map { table[Int($0)] }
    return LabeledExamples(
      features: features, labels: split.labels.map { Int32($0) }, featureCount: split.featureCount)
  }
}
