import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

private func smallModel(skips: Bool = true) -> ResidualNetwork<Float> {
  var rng = testGenerator(11)
  var model = ResidualNetwork<Float>(
    architecture: Architecture(blocks: 2, width: 3, skips: skips), inputSize: 4, classCount: 2,
    using: &rng)
  model.blocks[1].bn2.runningMean = [0.5, -1, 2]
  model.bnf.batchesTracked = 17
  return model
}

@Suite("Checkpoints: PyTorch state_dict layout in safetensors, strict loading")
struct CheckpointTests {
  @Test func tensorNamesAndShapesAreThePyTorchStateDict() {
    let file = Checkpoint(model: smallModel(), metadata: CheckpointMetadata()).file
    var expected: [String: [Int]] = ["fc0.weight": [3, 4], "cls.weight": [2, 3], "cls.bias": [2]]
    for prefix in ["bn0", "bnf", "blocks.0.bn1", "blocks.0.bn2", "blocks.1.bn1", "blocks.1.bn2"] {
      for field in ["weight", "bias", "running_mean", "running_var"] {
        expected["\(prefix).\(field)"] = [3]
      }
      expected["\(prefix).num_batches_tracked"] = []
    }
    for i in 0..<2 {
      expected["blocks.\(i).fc1.weight"] = [3, 3]
      expected["blocks.\(i).fc2.weight"] = [3, 3]
    }
    #expect(file.tensors.mapValues(\.shape) == expected)
    #expect(file.tensors["bnf.num_batches_tracked"]?.values == .i64([17]))
  }

  @Test func weightsAreRowMajorOutByIn() {
    let model = smallModel()
    let file = Checkpoint(model: model, metadata: CheckpointMetadata()).file
    guard case .f32(let values) = file.tensors["fc0.weight"]!.values else {
      Issue.record("fc0.weight is not F32")
      return
    }
    // Entry [i, j] of the row-major [out, in] tensor is W₀[i, j].
    #expect(values[1 * 4 + 2] == model.fc0[1, 2])
    #expect(values[2 * 4 + 3] == model.fc0[2, 3])
  }

  @Test func checkpointRoundTripsThroughAFile() throws {
    let directory = temporaryDirectory("checkpoint")
    let path = (directory as NSString).appendingPathComponent("c.safetensors")
    let metadata = CheckpointMetadata(
      arch: "test", inputMean: 0.2860, inputStd: 0.3530, classes: [0, 1], epochs: 3, seed: 5,
      weightDecay: 5e-4, skips: false, dropPath: 0.1, steps: 99)
    var model = smallModel(skips: false)
    model.dropPath = 0.1
    let checkpoint = Checkpoint(model: model, metadata: metadata)
    try checkpoint.write(to: path)
    let loaded = try Checkpoint(contentsOf: path)
    #expect(loaded == checkpoint)
  }

  @Test func fileWithoutMetadataLoadsWithDefaults() throws {
    var file = Checkpoint(model: smallModel(), metadata: CheckpointMetadata()).file
    file.metadata = [:]
    let loaded = try Checkpoint(file: file, path: "pytorch.safetensors")
    #expect(loaded.model.skips && loaded.metadata.classes == nil && loaded.model.depth == 2)
    #expect(loaded.model == smallModel())
  }

  @Test func missingWrongShapeWrongDTypeAndExtraTensorsAreRejected() {
    let good = Checkpoint(model: smallModel(), metadata: CheckpointMetadata()).file
    var missing = good
    missing.tensors["blocks.1.bn1.running_var"] = nil
    #expect(throws: CheckpointError.missingTensor(path: "p", name: "blocks.1.bn1.running_var")) {
      try Checkpoint(file: missing, path: "p")
    }
    var shape = good
    shape.tensors["cls.bias"] = StoredTensor(shape: [3], values: .f32([0, 0, 0]))
    #expect(
      throws: CheckpointError.wrongShape(path: "p", name: "cls.bias", expected: [2], found: [3])
    ) { try Checkpoint(file: shape, path: "p") }
    var dtype = good
    dtype.tensors["bn0.num_batches_tracked"] = StoredTensor(shape: [], values: .f32([1]))
    #expect(
      throws: CheckpointError.wrongDType(
        path: "p", name: "bn0.num_batches_tracked", expected: "I64")
    ) { try Checkpoint(file: dtype, path: "p") }
    var extra = good
    extra.tensors["blocks.0.fc3.weight"] = StoredTensor(shape: [1], values: .f32([1]))
    #expect(throws: CheckpointError.unexpectedTensor(path: "p", name: "blocks.0.fc3.weight")) {
      try Checkpoint(file: extra, path: "p")
    }
    var badMetadata = good
    badMetadata.metadata["skips"] = "perhaps"
    #expect(throws: CheckpointError.badMetadata(path: "p", key: "skips", value: "perhaps")) {
      try Checkpoint(file: badMetadata, path: "p")
    }
  }

  /// Issue 19 defect 10: a block's first layer missing is named as the missing tensor, not as
  /// "unexpected tensor" of the block's other tensors (the blocks are counted by that layer).
  @Test func aBlocksMissingFirstLayerIsNamedMissingNotItsOthersUnexpected() {
    let good = Checkpoint(model: smallModel(), metadata: CheckpointMetadata()).file
    for block in [0, 1] {
      var missing = good
      missing.tensors["blocks.\(block).fc1.weight"] = nil
      #expect(
        throws: CheckpointError.missingTensor(path: "p", name: "blocks.\(block).fc1.weight")
      ) { try Checkpoint(file: missing, path: "p") }
    }
  }
}
