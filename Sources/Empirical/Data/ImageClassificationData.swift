// Goals, in order of priority: the exact preprocessing the paper's PyTorch runs use (pixels in
// [0, 1], standardised by the training set's scalar mean and std, per channel for colour
// images); class subsets relabelled 0…C−1, each kept example still traceable to its position in
// the file; clear errors naming the file; one API for MNIST-style IDX and CIFAR files.

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

/// The two splits of an image-classification data set, after the paper's preprocessing:
/// x = (p/255 − μ_c)/σ_c with μ_c, σ_c the mean and standard deviation of the training pixels
/// p/255 of channel c of the classes kept (one scalar pair for one-channel images, as the paper
/// uses for Fashion-MNIST).
///
/// Read from a directory holding one of (detected from the file names, see `ImageDataFormat`):
/// - the four IDX files of MNIST or Fashion-MNIST (`train-images-idx3-ubyte[.gz]`, …; 1×28×28);
/// - CIFAR-10's binary version (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`;
///   3×32×32, 10 classes);
/// - CIFAR-100's binary version (`train.bin`, `test.bin`; 3×32×32, 100 fine classes by default,
///   or the 20 coarse ones).
///
/// Each example's features are its image in CHW order (`imageShape`): a fully-connected network
/// reads them as one flat vector, a convolutional one as `imageShape.channels` planes.
public struct ImageClassificationData: Sendable {
  /// The training split.
  public var train: LabeledExamples
  /// The test split.
  public var test: LabeledExamples
  /// The original labels kept, in order: new label k is original label `classes[k]`.
  public var classes: [Int]
  /// C×H×W of every image (1×28×28 for Fashion-MNIST, 3×32×32 for CIFAR).
  public var imageShape: ImageShape
  /// μ_c and σ_c, one pair per channel.
  public var standardisation: Standardisation
  /// The number of classes of the data set in the files (10, or 100 / 20 for CIFAR-100).
  public var fileClassCount: Int
  /// CIFAR-100's coarse labels (`.coarse`) or fine ones; `.fine` for every other data set.
  public var labels: CIFARFile.Labels = .fine
  /// The position in the training file of each example of `train`, and the file's labels.
  public var trainFile: FilePositions
  /// The same for `test` and the test file.
  public var testFile: FilePositions

  /// μ, the mean of the training pixels scaled to [0, 1] (channel 0's for colour images: read
  /// `standardisation` there).
  public var inputMean: Float { standardisation.mean[0] }
  /// σ, their population standard deviation (channel 0's for colour images).
  public var inputStd: Float { standardisation.std[0] }

  /// The number of classes of the IDX data sets (MNIST, Fashion-MNIST) and CIFAR-10.
  public static let fullClassCount = 10
  /// The most classes a data set read here has (CIFAR-100's fine labels).
  public static let largestClassCount = 100

  /// A data set from examples already in memory (benchmarks, tests): each split is its own
  /// whole "file", so file positions are positions in `train` and `test`. Without an
  /// `imageShape` the features are one flat channel (1×1×featureCount).
  public init(
    train: LabeledExamples, test: LabeledExamples, classes: [Int], inputMean: Float,
    inputStd: Float, imageShape: ImageShape? = nil
  ) {
    self.init(
      train: train, test: test, classes: classes,
      standardisation: Standardisation(mean: inputMean, std: inputStd), imageShape: imageShape)
  }

  /// The same with one μ_c, σ_c per channel.
  public init(
    train: LabeledExamples, test: LabeledExamples, classes: [Int],
    standardisation: Standardisation, imageShape: ImageShape? = nil
  ) {
    let shape = imageShape ?? ImageShape(channels: 1, height: 1, width: train.featureCount)
    precondition(
      shape.featureCount == train.featureCount && test.featureCount == train.featureCount,
      "the splits' features do not match the image shape")
    precondition(
      standardisation.channels == 1 || standardisation.channels == shape.channels,
      "one μ and σ per channel")
    self.train = train
    self.test = test
    self.classes = classes
    self.imageShape = shape
    self.standardisation = standardisation
    self.fileClassCount = Swift.max(Self.fullClassCount, (classes.max() ?? 0) + 1)
    func original(_ labels: [Int32]) -> [UInt8] {
      labels.map { label in
        precondition(classes.indices.contains(Int(label)), "label \(label) has no class")
        return UInt8(classes[Int(label)])
      }
    }
    self.trainFile = FilePositions(keepingAll: original(train.labels))
    self.testFile = FilePositions(keepingAll: original(test.labels))
  }

  /// Loads the data set in `directory` (IDX, CIFAR-10 or CIFAR-100, detected from the files).
  ///
  /// - Parameters:
  ///   - directory: the folder holding the data set's training and test files.
  ///   - classes: the original labels to keep, relabelled 0…C−1 in this order (nil: all).
  ///   - standardisation: μ_c and σ_c to use instead of the training set's (e.g. from a
  ///     checkpoint); one pair, or one per channel.
  ///   - labels: CIFAR-100's fine (default) or coarse labels; ignored for other data sets.
  public init(
    directory: String, classes: [Int]? = nil, standardisation: Standardisation? = nil,
    labels: CIFARFile.Labels = .fine
  ) throws(DataFileError) {
    let format = try ImageDataFormat.detect(directory: directory)
    let (trainRaw, testRaw) = try format.readSplits(labels: labels)
    guard trainRaw.shape == testRaw.shape else {
      throw .imageSizeMismatch(
        trainPath: trainRaw.imagesPath, train: trainRaw.shape, testPath: testRaw.imagesPath,
        test: testRaw.shape)
    }
    guard trainRaw.count > 0 else { throw .noExamples(path: trainRaw.imagesPath) }
    guard testRaw.count > 0 else { throw .noExamples(path: testRaw.imagesPath) }
    let kept = classes ?? Array(0..<trainRaw.classCount)
    let trainSubset = try Self.subset(trainRaw, classes: kept)
    let testSubset = try Self.subset(testRaw, classes: kept)
    let statistics: Standardisation
    if let standardisation {
      guard standardisation.channels == 1 || standardisation.channels == trainRaw.shape.channels
      else {
        throw .sizeMismatch(
          path: trainRaw.imagesPath, offset: 0,
          reason: "\(standardisation.channels) input means and deviations given for "
            + "\(trainRaw.shape.channels)-channel images")
      }
      statistics = standardisation
    } else {
      statistics = try Self.pixelStatistics(trainSubset)
    }
    self.classes = kept
    self.imageShape = trainRaw.shape
    self.standardisation = statistics
    self.fileClassCount = trainRaw.classCount
    if case .cifar100 = format { self.labels = labels }
    self.train = Self.standardised(trainSubset, statistics)
    self.test = Self.standardised(testSubset, statistics)
    self.trainFile = FilePositions(fileLabels: trainRaw.labels, positions: trainSubset.positions)
    self.testFile = FilePositions(fileLabels: testRaw.labels, positions: testSubset.positions)
  }

  /// The same with a single-channel (μ, σ) pair.
  public init(
    directory: String, classes: [Int]? = nil, standardisation: (mean: Float, std: Float)?
  ) throws(DataFileError) {
    try self.init(
      directory: directory, classes: classes,
      standardisation: standardisation.map { Standardisation(mean: $0.mean, std: $0.std) })
  }

  /// The examples whose labels are in `classes`, relabelled by their position there.
  static func subset(_ split: RawSplit, classes: [Int]) throws(DataFileError) -> RawSplit {
    for c in classes where !(0..<split.classCount).contains(c) {
      throw .noSuchClass(path: split.labelsPath, label: c, classes: split.classCount)
    }
    if classes == Array(0..<split.classCount) { return split }
    var newLabel = [Int](repeating: -1, count: 256)
    for (k, c) in classes.enumerated() { newLabel[c] = k }
    var result = split
    result.pixels = []
    result.labels = []
    result.positions = []
    let f = split.shape.featureCount
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

  /// μ_c and σ_c (population) of p/255 over the pixels of each channel, accumulated in Double
  /// from a histogram; σ_c = 0 (every pixel of a channel alike) is an error about the data.
  static func pixelStatistics(_ split: RawSplit) throws(DataFileError) -> Standardisation {
    let shape = split.shape
    let plane = shape.pixelsPerChannel
    var histograms = [[Int]](repeating: [Int](repeating: 0, count: 256), count: shape.channels)
    for image in 0..<split.count {
      for c in 0..<shape.channels {
        let start = (image * shape.channels + c) * plane
        for p in split.pixels[start..<(start + plane)] { histograms[c][Int(p)] += 1 }
      }
    }
    var means: [Float] = []
    var stds: [Float] = []
    for (c, histogram) in histograms.enumerated() {
      let n = Double(split.count * plane)
      var mean = 0.0
      for v in 0..<256 { mean += Double(histogram[v]) * Double(v) / 255 }
      mean /= n
      var variance = 0.0
      for v in 0..<256 {
        let d = Double(v) / 255 - mean
        variance += Double(histogram[v]) * d * d
      }
      variance /= n
      // Constant images are told by the histogram, not by the variance: rounding in the mean
      // leaves a variance of about 1e-33 for a channel whose every pixel is alike.
      guard histogram.lazy.filter({ $0 > 0 }).count > 1, variance > 0 else {
        throw .constantImages(
          path: split.imagesPath, channel: shape.channels > 1 ? c : nil, value: Float(mean * 255))
      }
      means.append(Float(mean))
      stds.append(Float(variance.squareRoot()))
    }
    return Standardisation(mean: means, std: stds)
  }

  /// (p/255 − μ_c)/σ_c for every pixel.
  static func standardised(_ split: RawSplit, _ s: Standardisation) -> LabeledExamples {
    let channels = split.shape.channels
    let plane = split.shape.pixelsPerChannel
    var tables: [[Float]] = []
    for c in 0..<channels {
      let (mean, std) = s.channels == 1 ? (s.mean[0], s.std[0]) : (s.mean[c], s.std[c])
      let scale = 1 / (255 * std)
      let shift = -mean / std
      tables.append((0..<256).map { Float($0) * scale + shift })
    }
    let features: [Float]
    if channels == 1 {
      let table = tables[0]
      features = split.pixels.map { table[Int($0)] }
    } else {
      var values = [Float]()
      values.reserveCapacity(split.pixels.count)
      for image in 0..<split.count {
        for c in 0..<channels {
          let start = (image * channels + c) * plane
          let table = tables[c]
          values.append(contentsOf: split.pixels[start..<(start + plane)].map { table[Int($0)] })
        }
      }
      features = values
    }
    return LabeledExamples(
      features: features, labels: split.labels.map { Int32($0) },
      featureCount: split.shape.featureCount)
  }
}
