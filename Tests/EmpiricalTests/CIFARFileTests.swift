import Foundation
import TestSupport
import Testing

@testable import Empirical

private func write(_ bytes: [UInt8], _ directory: String, _ name: String) -> String {
  let path = (directory as NSString).appendingPathComponent(name)
  _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
  return path
}

@Suite("CIFAR-10/100 binary reader: detected from the files, every bad record named")
struct CIFARFileTests {
  @Test func cifar10DirectoryReadsFiveBatchesAsOneSplitWithThreeChannels() throws {
    let directory = temporaryDirectory("cifar10")
    writeSyntheticCIFAR(to: directory, train: 20, test: 10)
    #expect(try ImageDataFormat.detect(directory: directory) == .cifar10(directory: directory))
    let data = try ImageClassificationData(directory: directory)
    #expect(data.imageShape == ImageShape(channels: 3, height: 32, width: 32))
    #expect(data.train.count == 20 && data.test.count == 10)
    #expect(data.train.featureCount == 3072 && data.classes == Array(0..<10))
    #expect(data.train.labels == (0..<20).map { Int32($0 % 10) })
    // Channel c is offset by 60·c: the per-channel means differ and each is standardised.
    let s = data.standardisation
    #expect(s.channels == 3 && s.mean[0] < s.mean[1] && s.mean[1] < s.mean[2])
    for c in 0..<3 {
      var values: [Double] = []
      for n in 0..<data.train.count {
        let start = n * 3072 + c * 1024
        values += data.train.features[start..<(start + 1024)].map(Double.init)
      }
      let mean = values.reduce(0, +) / Double(values.count)
      let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count))
        .squareRoot()
      print("CIFAR-10 channel \(c): standardised mean \(mean), std \(std) (tolerance 1e-4)")
      #expect(abs(mean) < 1e-4 && abs(std - 1) < 1e-4)
    }
  }

  @Test func cifar100ReadsFineLabelsByDefaultAndCoarseOnRequest() throws {
    let directory = temporaryDirectory("cifar100")
    writeSyntheticCIFAR(to: directory, cifar100: true, train: 200, test: 100, classes: 100)
    #expect(try ImageDataFormat.detect(directory: directory) == .cifar100(directory: directory))
    let fine = try ImageClassificationData(directory: directory)
    #expect(fine.classes.count == 100 && fine.fileClassCount == 100)
    #expect(fine.train.labels.prefix(3) == [0, 1, 2] && fine.train.labels[150] == 50)
    let coarse = try ImageClassificationData(directory: directory, labels: .coarse)
    #expect(coarse.classes.count == 20 && coarse.train.labels[25] == 5)
    let subset = try ImageClassificationData(directory: directory, classes: [57, 3])
    #expect(subset.train.count == 4 && subset.train.labels == [1, 0, 1, 0])
    #expect(
      throws: DataFileError.noSuchClass(
        path: (directory as NSString).appendingPathComponent("train.bin"), label: 100,
        classes: 100)
    ) {
      try ImageClassificationData(directory: directory, classes: [1, 100])
    }
  }

  @Test func unpackedArchiveFolderIsFound() throws {
    let parent = temporaryDirectory("cifar-parent")
    let inner = (parent as NSString).appendingPathComponent("cifar-10-batches-bin")
    try FileManager.default.createDirectory(atPath: inner, withIntermediateDirectories: true)
    writeSyntheticCIFAR(to: inner)
    #expect(try ImageDataFormat.detect(directory: parent) == .cifar10(directory: inner))
  }

  @Test func truncatedRecordIsNamedWithFileAndOffset() {
    let directory = temporaryDirectory("cifar-bad")
    let bytes = CIFARFile(
      kind: .cifar10, pixels: [UInt8](repeating: 7, count: 2 * 3072), fineLabels: [1, 2]
    ).encoded
    let path = write(Array(bytes.dropLast(100)), directory, "data_batch_1.bin")
    let error = DataFileError.truncated(path: path, offset: 6046, expectedBytes: 6146)
    #expect(throws: error) { try CIFARFile(contentsOf: path, kind: .cifar10) }
    print(error)
  }

  @Test func cifar100RecordsInACIFAR10FileAreAWrongRecordSize() {
    let directory = temporaryDirectory("cifar-bad")
    let records = CIFARFile(
      kind: .cifar100, pixels: [UInt8](repeating: 7, count: 3 * 3072), fineLabels: [1, 2, 3],
      coarseLabels: [0, 0, 0]
    ).encoded
    let path = write(records, directory, "data_batch_1.bin")
    #expect {
      try CIFARFile(contentsOf: path, kind: .cifar10)
    } throws: { error in
      print(error)
      guard case .sizeMismatch(let p, let offset, let reason) = error as? DataFileError else {
        return false
      }
      return p == path && offset == 3 * 3073 && reason.contains("wrong record size")
        && reason.contains("CIFAR-100")
    }
  }

  @Test func labelsOutOfRangeAreNamedWithTheirOffset() {
    let directory = temporaryDirectory("cifar-bad")
    var bytes = CIFARFile(
      kind: .cifar10, pixels: [UInt8](repeating: 7, count: 2 * 3072), fineLabels: [1, 2]
    ).encoded
    bytes[3073] = 10
    let path10 = write(bytes, directory, "test_batch.bin")
    #expect(
      throws: DataFileError.labelOutOfRange(path: path10, offset: 3073, label: 10, classes: 10)
    ) {
      try CIFARFile(contentsOf: path10, kind: .cifar10)
    }
    var bytes100 = CIFARFile(
      kind: .cifar100, pixels: [UInt8](repeating: 7, count: 2 * 3072), fineLabels: [1, 2],
      coarseLabels: [3, 4]
    ).encoded
    bytes100[3074 + 1] = 100
    let fine = write(bytes100, directory, "train.bin")
    #expect(
      throws: DataFileError.labelOutOfRange(path: fine, offset: 3075, label: 100, classes: 100)
    ) {
      try CIFARFile(contentsOf: fine, kind: .cifar100)
    }
    bytes100[3074 + 1] = 5
    bytes100[0] = 20
    let coarse = write(bytes100, directory, "test.bin")
    #expect(throws: DataFileError.labelOutOfRange(path: coarse, offset: 0, label: 20, classes: 20))
    {
      try CIFARFile(contentsOf: coarse, kind: .cifar100)
    }
  }

  @Test func emptyFileAndMissingBatchAreNamed() throws {
    let directory = temporaryDirectory("cifar-bad")
    let files = writeSyntheticCIFAR(to: directory)
    try FileManager.default.removeItem(atPath: files[2])
    #expect(throws: DataFileError.missing(path: files[2])) {
      try ImageClassificationData(directory: directory)
    }
    _ = write([], directory, "data_batch_3.bin")
    #expect(throws: DataFileError.noExamples(path: files[2])) {
      try ImageClassificationData(directory: directory)
    }
  }

  @Test func directoryWithTwoFormatsIsAmbiguous() {
    let directory = temporaryDirectory("cifar-mixed")
    writeSyntheticCIFAR(to: directory)
    writeSyntheticImageData(to: directory, train: 6, test: 3)
    #expect {
      try ImageClassificationData(directory: directory)
    } throws: { error in
      print(error)
      guard case .ambiguousFormat = error as? DataFileError else { return false }
      return "\(error)".contains("IDX") && "\(error)".contains("CIFAR-10")
    }
  }

  @Test func encodedFileRoundTrips() throws {
    var rng = testGenerator(3)
    let pixels = (0..<(3 * 3072)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let file = CIFARFile(
      kind: .cifar100, pixels: pixels, fineLabels: [99, 0, 42], coarseLabels: [19, 0, 7])
    let decoded = try CIFARFile(decoding: file.encoded, kind: .cifar100, path: "x")
    #expect(decoded == file && decoded.labels(.coarse).labels == [19, 0, 7])
  }
}
