// Goals, in order of priority: tell the data set from the files a directory holds, never guess
// between two; read each format's split with errors naming the file and the byte offset.

import Foundation

/// The raw bytes of one split: pixels (image after image, CHW), labels, the file position of each
/// example, and the files they came from.
struct RawSplit {
  var pixels: [UInt8]
  var labels: [UInt8]
  var positions: [Int]
  var shape: ImageShape
  var classCount: Int
  var imagesPath: String
  var labelsPath: String

  var count: Int { labels.count }
}

/// The file layout of an image data set in a directory, told from the file names.
///
/// | format | files |
/// |---|---|
/// | `idx` (MNIST, Fashion-MNIST) | `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-…` (each `.gz` or plain) |
/// | `cifar10` | `data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin` |
/// | `cifar100` | `train.bin`, `test.bin` |
///
/// A directory whose only entry of interest is the folder the CIFAR archives unpack to
/// (`cifar-10-batches-bin`, `cifar-100-binary`) is read through that folder.
public enum ImageDataFormat: Sendable, Equatable {
  case idx(directory: String)
  case cifar10(directory: String)
  case cifar100(directory: String)

  /// The CIFAR-10 training files, in order.
  public static let cifar10TrainingFiles = (1...5).map { "data_batch_\($0).bin" }

  /// The format of the files in `directory`. With no known file at all it is `idx`, so that
  /// the error names the first IDX file missing.
  public static func detect(directory: String) throws(DataFileError) -> ImageDataFormat {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
      throw .missing(path: directory)
    }
    guard isDirectory.boolValue else {
      throw .unreadable(
        path: directory, reason: "is not a directory; --data names the directory of the data files"
      )
    }
    func exists(_ name: String) -> Bool {
      FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(name))
    }
    let idxNames = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"]
    var found: [(String, ImageDataFormat)] = []
    if idxNames.contains(where: { exists($0) || exists($0 + ".gz") }) {
      found.append(("IDX files", .idx(directory: directory)))
    }
    if (cifar10TrainingFiles + ["test_batch.bin"]).contains(where: exists) {
      found.append(("CIFAR-10 batches", .cifar10(directory: directory)))
    }
    if exists("train.bin") || exists("test.bin") {
      found.append(("CIFAR-100 train.bin/test.bin", .cifar100(directory: directory)))
    }
    if found.count > 1 { throw .ambiguousFormat(directory: directory, found: found.map(\.0)) }
    if let format = found.first?.1 { return format }
    for folder in ["cifar-10-batches-bin", "cifar-100-binary"] where exists(folder) {
      return try detect(directory: (directory as NSString).appendingPathComponent(folder))
    }
    return .idx(directory: directory)
  }

  /// The training and test splits, unstandardised; `labels` picks CIFAR-100's fine or coarse
  /// classes.
  func readSplits(labels: CIFARFile.Labels) throws(DataFileError) -> (RawSplit, RawSplit) {
    switch self {
    case .idx(let directory):
      return (
        try Self.readIDXSplit(directory: directory, prefix: "train"),
        try Self.readIDXSplit(directory: directory, prefix: "t10k")
      )
    case .cifar10(let directory):
      return (
        try Self.readCIFARSplit(
          directory: directory, files: Self.cifar10TrainingFiles, kind: .cifar10, labels: labels),
        try Self.readCIFARSplit(
          directory: directory, files: ["test_batch.bin"], kind: .cifar10, labels: labels)
      )
    case .cifar100(let directory):
      return (
        try Self.readCIFARSplit(
          directory: directory, files: ["train.bin"], kind: .cifar100, labels: labels),
        try Self.readCIFARSplit(
          directory: directory, files: ["test.bin"], kind: .cifar100, labels: labels)
      )
    }
  }

  /// The path of `name` in `directory`, preferring the `.gz` file when both exist.
  static func locate(_ name: String, in directory: String) -> String {
    let base = (directory as NSString).appendingPathComponent(name)
    if FileManager.default.fileExists(atPath: base + ".gz") { return base + ".gz" }
    if FileManager.default.fileExists(atPath: base) { return base }
    return base + ".gz"
  }

  static func readIDXSplit(directory: String, prefix: String) throws(DataFileError) -> RawSplit {
    let imagesPath = locate("\(prefix)-images-idx3-ubyte", in: directory)
    let labelsPath = locate("\(prefix)-labels-idx1-ubyte", in: directory)
    let images = try IDXFile(contentsOf: imagesPath)
    let labels = try IDXFile(contentsOf: labelsPath)
    guard images.dimensions.count == 3 else {
      throw .sizeMismatch(
        path: imagesPath, offset: 3,
        reason: "images need 3 dimensions (count, rows, columns), found \(images.dimensions.count)")
    }
    guard images.dimensions[1] >= 1, images.dimensions[2] >= 1 else {
      throw .sizeMismatch(
        path: imagesPath, offset: 8,
        reason: "images of \(images.dimensions[1])×\(images.dimensions[2]) pixels hold nothing")
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
    let classes = ImageClassificationData.fullClassCount
    let headerSize = 8
    for (n, label) in labels.values.enumerated() where Int(label) >= classes {
      throw .labelOutOfRange(
        path: labelsPath, offset: headerSize + n, label: Int(label), classes: classes)
    }
    return RawSplit(
      pixels: images.values, labels: labels.values, positions: Array(labels.values.indices),
      shape: ImageShape(
        channels: 1, height: images.dimensions[1], width: images.dimensions[2]),
      classCount: classes, imagesPath: imagesPath, labelsPath: labelsPath)
  }

  /// The files' records in order, one split (CIFAR-10's five training batches are one split).
  static func readCIFARSplit(
    directory: String, files: [String], kind: CIFARFile.Kind, labels which: CIFARFile.Labels
  ) throws(DataFileError) -> RawSplit {
    var pixels: [UInt8] = []
    var labels: [UInt8] = []
    var classCount = 0
    let paths = files.map { (directory as NSString).appendingPathComponent($0) }
    for path in paths {
      let file = try CIFARFile(contentsOf: path, kind: kind)
      let (fileLabels, count) = file.labels(which)
      pixels += file.pixels
      labels += fileLabels
      classCount = count
    }
    // A split of several files names its first in errors about images, the files in general.
    let name = paths.count == 1 ? paths[0] : paths[0] + " … " + (files.last ?? "")
    return RawSplit(
      pixels: pixels, labels: labels, positions: Array(labels.indices),
      shape: CIFARFile.imageShape, classCount: classCount, imagesPath: name, labelsPath: name)
  }
}
