import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

private func model() -> ResidualNetwork<Float> {
  var rng = testGenerator(21)
  return ResidualNetwork<Float>(
    architecture: Architecture(blocks: 2, width: 3, skips: true), inputSize: 4, classCount: 2,
    using: &rng)
}

/// A safetensors header (no data) announcing one F32 tensor of `shape`.
private func safetensorsHeader(shape: String, offsets: String) -> [UInt8] {
  var json = Array(
    "{\"w\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":\(offsets)}}".utf8)
  while json.count % 8 != 0 { json.append(0x20) }
  let n = UInt64(json.count)
  return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + json
}

/// Replaces `key`'s metadata in the safetensors bytes `bytes` by `value`.
private func withMetadata(_ bytes: [UInt8], _ key: String, _ value: String) throws -> [UInt8] {
  var file = try SafeTensorsFile(decoding: bytes, path: "x")
  file.metadata[key] = value
  return file.encoded
}

@Suite("Hostile files: every reader answers with a typed error naming the culprit, never a trap")
struct HostileInputTests {
  @Test func npyShapeWhoseElementCountOverflowsIsRefused() {
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let bytes =
      [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0] + [UInt8(header.utf8.count), 0]
      + Array(header.utf8)
    #expect {
      try NumPyArray(npyData: Data(bytes), name: "huge.npy")
    } throws: { error in
      print(error)
      return "\(error)".hasPrefix("huge.npy: shape (4294967296, 4294967296)")
        && "\(error)".contains("overflows")
    }
  }

  @Test func safetensorsShapeWhoseByteCountOverflowsIsRefused() {
    let bytes = safetensorsHeader(shape: "[1099511627776,1099511627776]", offsets: "[0,8]")
    #expect {
      try SafeTensorsFile(decoding: bytes, path: "huge.safetensors")
    } throws: { error in
      print(error)
      guard case .badOffsets(let path, let tensor, let reason) = error as? SafeTensorsError
      else { return false }
      return path == "huge.safetensors" && tensor == "w" && reason.contains("overflows")
    }
    // Within Int, but count × 4 overflows: still an error, not a trap.
    let wide = safetensorsHeader(shape: "[4611686018427387904]", offsets: "[0,8]")
    #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(decoding: wide, path: "w") }
  }

  @Test func safetensorsHeaderGivingAKeyTwiceIsRefusedAsTheReferenceDoes() throws {
    func file(_ json: String) -> [UInt8] {
      var header = Array(json.utf8)
      while header.count % 8 != 0 { header.append(0x20) }
      let n = UInt64(header.count)
      return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + header
        + [UInt8](repeating: 0, count: 8)
    }
    let entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}"
    let other = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}"
    // Accepted: two tensors, and one key repeated in different objects.
    #expect(throws: Never.self) {
      _ = try SafeTensorsFile(decoding: file("{\"w\":\(entry),\"v\":\(other)}"), path: "ok")
    }
    for (json, key) in [
      ("{\"w\":\(entry),\"w\":\(other)}", "w"),
      ("{\"w\":\(entry),\"\\u0077\":\(other)}", "w"),
      ("{\"w\":\(entry),\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", "a"),
    ] {
      #expect(
        throws: SafeTensorsError.badHeader(
          path: "dup", reason: "the header gives the key '\(key)' twice in one object")
      ) { _ = try SafeTensorsFile(decoding: file(json), path: "dup") }
    }
  }

  @Test func idxDimensionsNearUInt32MaxAreRefused() {
    let bytes: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12) + [1, 2, 3]
    #expect {
      try IDXFile(decoding: bytes, path: "huge-idx3-ubyte")
    } throws: { error in
      print(error)
      guard case .sizeMismatch(let path, let offset, _) = error as? DataFileError else {
        return false
      }
      return path == "huge-idx3-ubyte" && offset == 4
    }
    // Two dimensions whose product fits but exceeds the file: truncated, with the offset.
    let big: [UInt8] = [0, 0, 8, 2, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    let announced = 12 + 2_147_483_647 * 4_294_967_295
    #expect(throws: DataFileError.truncated(path: "big", offset: 12, expectedBytes: announced)) {
      try IDXFile(decoding: big, path: "big")
    }
  }

  @Test func gzipStreamLongerThanItsIDXHeaderIsRefusedAfterOneChunk() throws {
    // A small header (16 bytes of data announced) followed by 4 MiB of zeros: ~4 KiB gzipped.
    let bytes = idxBytes(dimensions: [1, 4, 4], values: [UInt8](repeating: 0, count: 4 << 20))
    let path = (temporaryDirectory("bomb") as NSString).appendingPathComponent("bomb-idx3-ubyte.gz")
    try writeCompressedFile(bytes, toPath: path)
    #expect {
      try IDXFile(contentsOf: path)
    } throws: { error in
      print(error)
      guard case .sizeMismatch(let p, let offset, let reason) = error as? DataFileError else {
        return false
      }
      return p == path && offset == 32 && reason.contains("32 bytes the header announces")
    }
  }

  @Test func gzipFileWithJunkAfterItsStreamIsRefusedNamingTheFileAndOffset() throws {
    let bytes = idxBytes(dimensions: [4], values: [1, 2, 3, 4])
    let directory = temporaryDirectory("gzip-junk")
    let good = (directory as NSString).appendingPathComponent("good.gz")
    try writeCompressedFile(bytes, toPath: good)
    let compressed = [UInt8](try #require(FileManager.default.contents(atPath: good)))
    for (name, junk) in [
      ("text", Array("appended junk".utf8)), ("zeros", [UInt8](repeating: 0, count: 512)),
      ("one-byte", [0x1f]),
    ] {
      let path = (directory as NSString).appendingPathComponent("\(name)-labels-idx1-ubyte.gz")
      _ = FileManager.default.createFile(atPath: path, contents: Data(compressed + junk))
      #expect {
        try IDXFile(contentsOf: path)
      } throws: { error in
        print("\(name): \(error)")
        return error as? DataFileError == .trailingData(path: path, offset: compressed.count)
          && "\(error)".contains(path) && !"\(error)".contains("\n")
      }
    }
  }

  @Test func gzipFileOfTwoRealMembersIsReadAsTheirConcatenationAsGzipDoes() throws {
    let bytes = idxBytes(dimensions: [6], values: [1, 2, 3, 4, 5, 6])
    let directory = temporaryDirectory("gzip-members")
    let first = (directory as NSString).appendingPathComponent("a.gz")
    let second = (directory as NSString).appendingPathComponent("b.gz")
    try writeCompressedFile(Array(bytes.prefix(9)), toPath: first)
    try writeCompressedFile(Array(bytes.dropFirst(9)), toPath: second)
    let path = (directory as NSString).appendingPathComponent("two-labels-idx1-ubyte.gz")
    let joined =
      [UInt8](try #require(FileManager.default.contents(atPath: first)))
      + [UInt8](try #require(FileManager.default.contents(atPath: second)))
    _ = FileManager.default.createFile(atPath: path, contents: Data(joined))
    let read = try readPossiblyCompressedFile(atPath: path)
    print("two members: \(read.count) bytes, expected \(bytes.count)")
    #expect(read == bytes)
    #expect(try IDXFile(contentsOf: path).dimensions == [6])
  }

  @Test func checkpointWithNonFiniteWeightsIsRefusedNamingTheTensor() throws {
    var m = model()
    m.blocks[1].fc2[2, 1] = .nan
    let bytes = Checkpoint(model: m, metadata: CheckpointMetadata()).file.encoded
    // Row-major [out, in]: entry (2, 1) of a 3×3 weight is index 2·3 + 1.
    #expect {
      try Checkpoint(decoding: bytes, path: "nan.safetensors")
    } throws: { error in
      print(error)
      guard case .nonFinite(let path, let name, let index, let value) = error as? CheckpointError
      else { return false }
      return path == "nan.safetensors" && name == "blocks.1.fc2.weight" && index == 7
        && value.isNaN
    }
    var inf = model()
    inf.bnf.runningVariance[0] = .infinity
    let infBytes = Checkpoint(model: inf, metadata: CheckpointMetadata()).file.encoded
    #expect(
      throws: CheckpointError.nonFinite(
        path: "inf", name: "bnf.running_var", index: 0, value: .infinity)
    ) { try Checkpoint(decoding: infBytes, path: "inf") }
  }

  @Test func negativeRunningVarianceIsRefused() {
    var m = model()
    m.bn0.runningVariance[2] = -1
    let bytes = Checkpoint(model: m, metadata: CheckpointMetadata()).file.encoded
    #expect(
      throws: CheckpointError.wrongValue(
        path: "v", name: "bn0.running_var", index: 2, value: -1, expected: "a variance ≥ 0")
    ) { try Checkpoint(decoding: bytes, path: "v") }
  }

  @Test(arguments: [
    ("input_std", "0"), ("input_std", "nan"), ("input_mean", "inf"), ("epochs", "-3"),
    ("steps", "-1"), ("wd", "-0.5"), ("drop_path", "1"), ("classes", "1,1"),
    ("input_std", "0.3,0.3"), ("input_std", "1e-45"), ("input_std", "1e-40"),
  ])
  func checkpointMetadataOutOfRangeIsRefusedNamingTheKey(key: String, value: String) throws {
    let good = Checkpoint(
      model: model(), metadata: CheckpointMetadata(inputMean: 0.5, inputStd: 0.25))
    let bytes = try withMetadata(good.file.encoded, key, value)
    #expect {
      try Checkpoint(decoding: bytes, path: "meta")
    } throws: { error in
      print("\(key)=\(value): \(error)")
      guard case .metadataOutOfRange(_, let named, _, _) = error as? CheckpointError else {
        return false
      }
      return named == key
    }
  }

  @Test func perChannelStandardisationRoundTripsThroughTheMetadata() throws {
    let s = Standardisation(mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616])
    let c = Checkpoint(model: model(), metadata: CheckpointMetadata(standardisation: s))
    #expect(c.file.metadata["input_mean"] == "0.4914,0.4822,0.4465")
    let read = try Checkpoint(decoding: c.file.encoded, path: "c")
    #expect(read.metadata.standardisation == s && read.metadata.inputMean == nil)
    let scalar = Checkpoint(
      model: model(), metadata: CheckpointMetadata(inputMean: 0.286, inputStd: 0.353))
    #expect(scalar.file.metadata["input_mean"] == "0.286")
  }

  @Test func optimizerStateWithAllZeroGeneratorIsRefused() throws {
    let m = model()
    let state = TrainingState(
      momentum: m.zeroed, epoch: 0, step: 3, stepInEpoch: 3,
      shuffleState: SeededGenerator(seed: 1), dropState: SeededGenerator(seed: 2))
    let path = (temporaryDirectory("opt") as NSString).appendingPathComponent(
      "optimizer.safetensors")
    try state.write(to: path)
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let zero = try withMetadata(bytes, "shuffle_generator", "0,0,0,0")
    #expect {
      try TrainingState(decoding: zero, path: "opt", model: m)
    } throws: { error in
      print(error)
      guard case .metadataOutOfRange(_, let key, _, let expected) = error as? CheckpointError
      else { return false }
      return key == "shuffle_generator" && expected.contains("all zeros")
    }
    let ahead = try withMetadata(bytes, "step_in_epoch", "9")
    #expect(throws: CheckpointError.self) {
      try TrainingState(decoding: ahead, path: "opt", model: m)
    }
  }

  @Test func stepInEpochBeyondTheEpochIsRefusedBeforeTraining() throws {
    let directory = temporaryDirectory("resume-data")
    writeSyntheticImageData(to: directory, train: 40, test: 10, side: 2, classes: 2)
    let data = try ImageClassificationData(directory: directory, classes: [0, 1])
    let configuration = TrainingConfiguration(
      architecture: Architecture(blocks: 2, width: 3, skips: true), epochs: 2, batchSize: 16)
    let m = model()
    // 40 examples in batches of 16: 3 steps per epoch, so step 3 of an epoch does not exist.
    let state = TrainingState(
      momentum: m.zeroed, epoch: 0, step: 3, stepInEpoch: 3,
      shuffleState: SeededGenerator(seed: 1), dropState: SeededGenerator(seed: 2))
    #expect {
      try Trainer.checkResumable(
        model: m, state: state, data: data, configuration: configuration, path: "run")
    } throws: { error in
      print(error)
      return "\(error)".contains("step_in_epoch") && "\(error)".contains("3 steps")
    }
    var ok = state
    ok.stepInEpoch = 2
    try Trainer.checkResumable(
      model: m, state: ok, data: data, configuration: configuration, path: "run")
  }

  @Test func trainingAndTestImagesOfDifferentSizesAreRefused() throws {
    let directory = temporaryDirectory("mixed-sizes")
    writeSyntheticImageData(to: directory, train: 12, test: 6, side: 4, classes: 3)
    let test = temporaryDirectory("mixed-sizes-test")
    writeSyntheticImageData(to: test, train: 1, test: 6, side: 5, classes: 3)
    for name in ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
      let target = (directory as NSString).appendingPathComponent(name)
      try FileManager.default.removeItem(atPath: target)
      try FileManager.default.copyItem(
        atPath: (test as NSString).appendingPathComponent(name), toPath: target)
    }
    #expect {
      try ImageClassificationData(directory: directory)
    } throws: { error in
      print(error)
      guard case .imageSizeMismatch(_, let train, _, let test) = error as? DataFileError else {
        return false
      }
      return train.description == "4×4" && test.description == "5×5"
    }
  }

  @Test func allZeroTrainingImagesAreAnErrorAboutTheData() throws {
    let directory = temporaryDirectory("zero-data")
    let dir = directory as NSString
    let labels = idxBytes(dimensions: [6], values: [0, 1, 2, 0, 1, 2])
    for prefix in ["train", "t10k"] {
      _ = FileManager.default.createFile(
        atPath: dir.appendingPathComponent("\(prefix)-images-idx3-ubyte"),
        contents: Data(idxBytes(dimensions: [6, 2, 2], values: [UInt8](repeating: 0, count: 24))))
      _ = FileManager.default.createFile(
        atPath: dir.appendingPathComponent("\(prefix)-labels-idx1-ubyte"), contents: Data(labels))
    }
    let images = dir.appendingPathComponent("train-images-idx3-ubyte")
    #expect(throws: DataFileError.constantImages(path: images, channel: nil, value: 0)) {
      try ImageClassificationData(directory: directory, classes: [0, 1, 2])
    }
    print(DataFileError.constantImages(path: images, channel: nil, value: 0))
  }

  @Test func constantImagesWhoseMeanRoundsAreStillAnErrorAboutTheData() throws {
    // 24 pixels of 11: the mean 24·(11/255)/24 rounds away from 11/255, so the variance came
    // out about 1e-33 and the check "σ > 0" passed.
    let directory = temporaryDirectory("constant-data")
    let dir = directory as NSString
    let labels = idxBytes(dimensions: [6], values: [0, 1, 2, 0, 1, 2])
    for prefix in ["train", "t10k"] {
      _ = FileManager.default.createFile(
        atPath: dir.appendingPathComponent("\(prefix)-images-idx3-ubyte"),
        contents: Data(idxBytes(dimensions: [6, 2, 2], values: [UInt8](repeating: 11, count: 24))))
      _ = FileManager.default.createFile(
        atPath: dir.appendingPathComponent("\(prefix)-labels-idx1-ubyte"), contents: Data(labels))
    }
    #expect {
      try ImageClassificationData(directory: directory, classes: [0, 1, 2])
    } throws: { error in
      print(error)
      guard case .constantImages(_, let channel, let value) = error as? DataFileError else {
        return false
      }
      return channel == nil && abs(value - 11) < 1e-3
    }
  }

  @Test func emptyTrainingFileIsAnErrorAboutTheData() throws {
    let directory = temporaryDirectory("empty-data")
    writeSyntheticImageData(to: directory, train: 6, test: 3)
    let dir = directory as NSString
    _ = FileManager.default.createFile(
      atPath: dir.appendingPathComponent("train-images-idx3-ubyte"),
      contents: Data(idxBytes(dimensions: [0, 4, 4], values: [])))
    _ = FileManager.default.createFile(
      atPath: dir.appendingPathComponent("train-labels-idx1-ubyte"),
      contents: Data(idxBytes(dimensions: [0], values: [])))
    #expect(
      throws: DataFileError.noExamples(path: dir.appendingPathComponent("train-images-idx3-ubyte"))
    ) { try ImageClassificationData(directory: directory) }
  }

  @Test func mnistInGzippedIDXFilesIsRead() throws {
    // MNIST's four files as distributed (gzipped IDX, 28×28, labels 0–9), small.
    let directory = temporaryDirectory("mnist")
    var rng = testGenerator(5)
    for (prefix, count) in [("train", 20), ("t10k", 10)] {
      let pixels = (0..<(count * 784)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      let labels = (0..<count).map { UInt8($0 % 10) }
      try writeCompressedFile(
        idxBytes(dimensions: [count, 28, 28], values: pixels),
        toPath: (directory as NSString).appendingPathComponent("\(prefix)-images-idx3-ubyte.gz"))
      try writeCompressedFile(
        idxBytes(dimensions: [count], values: labels),
        toPath: (directory as NSString).appendingPathComponent("\(prefix)-labels-idx1-ubyte.gz"))
    }
    let data = try ImageClassificationData(directory: directory)
    #expect(data.imageShape == ImageShape(channels: 1, height: 28, width: 28))
    #expect(data.train.count == 20 && data.test.count == 10 && data.classes == Array(0..<10))
    #expect(data.standardisation.channels == 1)
  }

  @Test func trainingResourcesRefuseWhatCannotFit() {
    let huge = TrainingResources(
      architecture: Architecture(blocks: 16, width: 10_000_000, skips: true), inputSize: 784,
      classCount: 10, batchSize: 128)
    #expect(huge.parameters != nil && huge.parameters! > 3_000_000_000_000_000)
    #expect(throws: TrainingResources.Refusal.self) {
      try huge.check(blocks: 16, physicalMemory: 24 << 30)
    }
    let overflowing = TrainingResources(
      architecture: Architecture(blocks: 16, width: 1 << 40, skips: true), inputSize: 784,
      classCount: 10, batchSize: 128)
    #expect(overflowing.parameters == nil && overflowing.bytes == nil)
    #expect(throws: TrainingResources.Refusal.blocks(100_000_000)) {
      try TrainingResources(
        architecture: Architecture(blocks: 100_000_000, width: 1, skips: true), inputSize: 4,
        classCount: 2, batchSize: 1
      ).check(blocks: 100_000_000)
    }
    // The paper's Type 1 on Fashion-MNIST fits in 24 GiB; the estimate is within reason.
    let type1 = TrainingResources(
      architecture: Architecture.preset("1")!, inputSize: 784, classCount: 10, batchSize: 128,
      examples: 70_000)
    print("Type 1: \(type1.parameters!) parameters, \(type1.bytes! >> 20) MiB estimated")
    #expect(type1.parameters! > 8_000_000 && type1.bytes! < 1 << 30)
  }
}

/// A tiny convolutional network: a 1-channel 8×8 stem, one stage of two blocks.
private func convolutionalModel() -> ConvolutionalNetwork<Float> {
  var rng = testGenerator(22)
  return ConvolutionalNetwork<Float>(
    architecture: ConvolutionalArchitecture(stages: [.init(blocks: 2, channels: 3)], skips: true),
    image: ConvolutionalInput(channels: 1, side: 8, padding: 0), classCount: 2, using: &rng)
}

/// The bytes of `file` with entry `index` of the F32 tensor `name` replaced by `value`.
private func corrupted(_ file: SafeTensorsFile, _ name: String, at index: Int, _ value: Float)
  throws -> [UInt8]
{
  var file = file
  let tensor = try #require(file.tensors[name])
  guard case .f32(var values) = tensor.values else {
    throw CheckpointError.missingTensor(path: "", name: name)
  }
  values[index] = value
  file.tensors[name] = StoredTensor(shape: tensor.shape, values: .f32(values))
  return file.encoded
}

@Suite("Hostile convolutional checkpoints: the same checks as the fully-connected ones")
struct ConvolutionalHostileInputTests {
  let file = Checkpoint(network: .convolutional(convolutionalModel()), metadata: .init()).file

  @Test func cleanCheckpointLoads() throws {
    let read = try Checkpoint(file: file, path: "ok")
    #expect(read.network.convolutional != nil)
  }

  @Test(arguments: [
    "conv0.weight", "blocks.1.conv2.weight", "blocks.0.bn1.weight", "bnf.running_mean",
    "cls.weight", "cls.bias",
  ])
  func nonFiniteEntryIsRefusedNamingTheTensor(name: String) throws {
    for value in [Float.nan, .infinity, -.infinity] {
      let bytes = try corrupted(file, name, at: 1, value)
      #expect {
        try Checkpoint(decoding: bytes, path: "conv.safetensors")
      } throws: { error in
        guard case .nonFinite(let path, let named, let index, _) = error as? CheckpointError
        else { return false }
        return path == "conv.safetensors" && named == name && index == 1
      }
    }
  }

  @Test func negativeRunningVarianceIsRefusedNamingTheTensor() throws {
    let bytes = try corrupted(file, "blocks.1.bn2.running_var", at: 2, -0.5)
    #expect(
      throws: CheckpointError.wrongValue(
        path: "v", name: "blocks.1.bn2.running_var", index: 2, value: -0.5,
        expected: "a variance ≥ 0")
    ) { try Checkpoint(decoding: bytes, path: "v") }
  }

  @Test func inputStdThatSendsPixelsToInfinityIsRefused() throws {
    var f = file
    f.metadata["input_mean"] = "0.5"
    f.metadata["input_std"] = "1e-45"
    #expect {
      try Checkpoint(decoding: f.encoded, path: "std")
    } throws: { error in
      print(error)
      guard case .metadataOutOfRange(_, let key, _, _) = error as? CheckpointError else {
        return false
      }
      return key == "input_std"
    }
  }

  @Test func evaluationBatchShrinksToFitTheMemoryAndRefusesWhatCannotFit() throws {
    let network = AnyResidualNetwork.convolutional(convolutionalModel())
    let perExample = try #require(network.evaluationBytesPerExample)
    // A 1-channel 8×8 input, a stride-2 stem to 3 channels of 4×4: 16 buffers of 3·4·4 Float32
    // values and the input.
    #expect(perExample == (16 * 3 * 16 + 64) * 4)
    #expect(network.evaluationBatchSize(physicalMemory: UInt64(perExample) * 20) == 10)
    #expect(network.evaluationBatchSize(physicalMemory: UInt64(perExample)) == nil)
    #expect(network.evaluationBatchSize(physicalMemory: 1 << 40) == 500)
    let fc = AnyResidualNetwork.fullyConnected(model())
    #expect(fc.evaluationBytesPerExample == ((4 * 2 + 6) * 3 + 4 + 2 * 2) * 4)
  }

  @Test func stemWithNoOutputChannelSaysWhatDiffers() throws {
    var f = file
    f.tensors["conv0.weight"] = StoredTensor(shape: [0, 1, 3, 3], values: .f32([]))
    #expect {
      try Checkpoint(decoding: f.encoded, path: "stem")
    } throws: { error in
      print(error)
      guard case .wrongShape(_, let name, let expected, let found) = error as? CheckpointError
      else { return false }
      return name == "conv0.weight" && expected != found && found == [0, 1, 3, 3]
    }
  }
}
