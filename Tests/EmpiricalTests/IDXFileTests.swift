import Foundation
import TestSupport
import Testing

@testable import Empirical

private func write(_ bytes: [UInt8], _ directory: String, _ name: String) -> String {
  let path = (directory as NSString).appendingPathComponent(name)
  FileManager.default.createFile(atPath: path, contents: Data(bytes))
  return path
}

@Suite("IDX reader: reads the MNIST format plain and gzipped, rejects malformed files")
struct IDXFileTests {
  let directory = temporaryDirectory("idx")
  let values: [UInt8] = (0..<24).map { UInt8($0 * 10) }

  @Test func plainFileRoundTrips() throws {
    let bytes = idxBytes(dimensions: [2, 3, 4], values: values)
    let path = write(bytes, directory, "a-idx3-ubyte")
    let file = try IDXFile(contentsOf: path)
    #expect(file.dimensions == [2, 3, 4])
    #expect(file.values == values)
    #expect(file.encoded == bytes)
  }

  @Test func gzippedFileRoundTrips() throws {
    let bytes = idxBytes(dimensions: [2, 3, 4], values: values)
    let path = (directory as NSString).appendingPathComponent("a-idx3-ubyte.gz")
    try writeCompressedFile(bytes, toPath: path)
    let compressed = try #require(FileManager.default.contents(atPath: path))
    #expect(compressed.prefix(2) == Data([0x1F, 0x8B]))
    let file = try IDXFile(contentsOf: path)
    #expect(file.dimensions == [2, 3, 4] && file.values == values)
  }

  @Test func badMagicIsRejectedAtByteZero() {
    var bytes = idxBytes(dimensions: [24], values: values)
    bytes[2] = 0x0D  // float data: not supported
    let path = write(bytes, directory, "bad-magic")
    #expect(throws: DataFileError.badMagic(path: path, offset: 0, found: [0, 0, 0x0D, 1])) {
      try IDXFile(contentsOf: path)
    }
  }

  @Test func truncatedHeaderAndDataAreRejectedWithTheOffset() {
    let bytes = idxBytes(dimensions: [2, 3, 4], values: values)
    let shortHeader = write(Array(bytes.prefix(9)), directory, "short-header")
    #expect(throws: DataFileError.truncated(path: shortHeader, offset: 9, expectedBytes: 16)) {
      try IDXFile(contentsOf: shortHeader)
    }
    let shortData = write(Array(bytes.dropLast(5)), directory, "short-data")
    #expect(throws: DataFileError.truncated(path: shortData, offset: 35, expectedBytes: 40)) {
      try IDXFile(contentsOf: shortData)
    }
  }

  @Test func trailingBytesAreASizeMismatch() {
    let bytes = idxBytes(dimensions: [24], values: values) + [1, 2]
    let path = write(bytes, directory, "long")
    #expect {
      try IDXFile(contentsOf: path)
    } throws: { error in
      guard case .sizeMismatch(let p, let offset, _) = error as? DataFileError else { return false }
      return p == path && offset == 32
    }
  }

  @Test func corruptAndTruncatedGzipAreRejected() throws {
    let bytes = idxBytes(dimensions: [200], values: (0..<200).map { UInt8($0 % 7) })
    let good = (directory as NSString).appendingPathComponent("good.gz")
    try writeCompressedFile(bytes, toPath: good)
    let compressed = [UInt8](try #require(FileManager.default.contents(atPath: good)))
    let truncated = write(Array(compressed.prefix(compressed.count - 6)), directory, "cut.gz")
    #expect {
      try IDXFile(contentsOf: truncated)
    } throws: { error in
      guard case .corruptCompression(let p, _, _) = error as? DataFileError else { return false }
      return p == truncated
    }
    var flipped = compressed
    flipped[compressed.count - 3] ^= 0xFF  // the stored length no longer matches
    let corrupt = write(flipped, directory, "flipped.gz")
    #expect {
      try IDXFile(contentsOf: corrupt)
    } throws: { error in
      guard case .corruptCompression(let p, _, _) = error as? DataFileError else { return false }
      return p == corrupt
    }
  }

  @Test func missingFileIsNamed() {
    let path = (directory as NSString).appendingPathComponent("absent")
    #expect(throws: DataFileError.missing(path: path)) { try IDXFile(contentsOf: path) }
  }
}

@Suite("Image data: standardised by the training pixels' mean and std; class subsets relabelled")
struct ImageClassificationDataTests {
  @Test func trainingFeaturesHaveMeanZeroAndStdOne() throws {
    let directory = temporaryDirectory("data")
    writeSyntheticImageData(to: directory)
    let data = try ImageClassificationData(directory: directory)
    let x = data.train.features.map(Double.init)
    let mean = x.reduce(0, +) / Double(x.count)
    let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)
    print("standardised training pixels: mean \(mean), std \(variance.squareRoot()), tol 1e-5")
    #expect(abs(mean) < 1e-5 && abs(variance.squareRoot() - 1) < 1e-5)
    #expect(data.train.count == 240 && data.test.count == 60 && data.train.featureCount == 16)
    #expect(data.classes == Array(0..<10))  // all classes of the format, even if some are empty
  }

  @Test func classSubsetKeepsAndRelabelsInTheGivenOrder() throws {
    let directory = temporaryDirectory("subset")
    writeSyntheticImageData(to: directory)
    let all = try ImageClassificationData(directory: directory)
    let subset = try ImageClassificationData(directory: directory, classes: [2, 0])
    #expect(subset.train.count == 160 && subset.test.count == 40)
    #expect(Set(subset.train.labels) == [0, 1])
    // The first kept example is original example 0 (class 0 → new label 1), then example 2
    // (class 2 → new label 0).
    #expect(Array(subset.train.labels.prefix(2)) == [1, 0])
    #expect(subset.inputMean != all.inputMean)
  }

  @Test func classSubsetKeepsTheFilePositionOfEveryExample() throws {
    let directory = temporaryDirectory("subset-positions")
    writeSyntheticImageData(to: directory)  // labels cycle 0, 1, 2 over 240 training examples
    let all = try ImageClassificationData(directory: directory)
    let subset = try ImageClassificationData(
      directory: directory, classes: [2, 0],
      standardisation: (all.inputMean, all.inputStd))
    let file = subset.trainFile
    #expect(file.fileCount == 240 && file.positions.count == subset.train.count)
    #expect(Array(file.positions.prefix(4)) == [0, 2, 3, 5])
    #expect(
      all.trainFile.positions == Array(0..<240) && all.trainFile.fileLabels == file.fileLabels)
    #expect(file.keptIndex(ofFilePosition: 1) == nil && file.keptIndex(ofFilePosition: 240) == nil)
    // Every kept example is the file's example at its position: same pixels, original class.
    let f = subset.train.featureCount
    var mismatches = 0
    for (k, p) in file.positions.enumerated() {
      #expect(file.keptIndex(ofFilePosition: p) == k)
      let kept = subset.train.features[(k * f)..<((k + 1) * f)]
      let original = all.train.features[(p * f)..<((p + 1) * f)]
      if !kept.elementsEqual(original)
        || [2, 0][Int(subset.train.labels[k])] != Int(file.fileLabels[p])
      {
        mismatches += 1
      }
    }
    print(
      "class subset [2, 0]: \(mismatches) of \(file.positions.count) kept examples differ from "
        + "the file's example at their position (tolerance 0)")
    #expect(mismatches == 0)
  }

  @Test func labelOutOfRangeAndCountMismatchAreNamed() throws {
    let directory = temporaryDirectory("badlabels")
    writeSyntheticImageData(to: directory, train: 12, test: 6)
    let labelsPath = (directory as NSString).appendingPathComponent("train-labels-idx1-ubyte")
    var labels = [UInt8](FileManager.default.contents(atPath: labelsPath)!)
    labels[8 + 5] = 10
    FileManager.default.createFile(atPath: labelsPath, contents: Data(labels))
    #expect(
      throws: DataFileError.labelOutOfRange(path: labelsPath, offset: 13, label: 10, classes: 10)
    ) { try ImageClassificationData(directory: directory) }
    let shorter = idxBytes(dimensions: [11], values: Array(repeating: 0, count: 11))
    FileManager.default.createFile(atPath: labelsPath, contents: Data(shorter))
    let imagesPath = (directory as NSString).appendingPathComponent("train-images-idx3-ubyte")
    #expect(
      throws: DataFileError.countMismatch(
        imagesPath: imagesPath, images: 12, labelsPath: labelsPath, labels: 11)
    ) { try ImageClassificationData(directory: directory) }
  }

  @Test func missingDirectoryAndEmptyClassAreRejected() throws {
    #expect(throws: DataFileError.missing(path: "/nonexistent-ujm")) {
      try ImageClassificationData(directory: "/nonexistent-ujm")
    }
    let directory = temporaryDirectory("empty-class")
    writeSyntheticImageData(to: directory, classes: 3)
    #expect {
      try ImageClassificationData(directory: directory, classes: [0, 7])
    } throws: { error in
      if case .emptyClass(_, 7) = error as? DataFileError { return true }
      return false
    }
  }
}
