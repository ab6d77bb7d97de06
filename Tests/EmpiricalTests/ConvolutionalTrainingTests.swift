import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

private func syntheticData() throws -> ImageClassificationData {
  let directory = temporaryDirectory("conv-trainer-data")
  writeSyntheticImageData(to: directory, train: 96, test: 30, side: 8, classes: 3)
  return try ImageClassificationData(directory: directory, classes: [0, 1, 2])
}

/// 8×8 grey images → 4 channels at 4×4, two blocks, then a downsampling block to 6 channels.
private func configuration(
  epochs: Int, maxSteps: Int? = nil, dropPath: Double = 0, skips: Bool = true
) -> TrainingConfiguration {
  var c = TrainingConfiguration(
    typeName: "custom", architecture: Architecture(blocks: 3, width: 4, skips: skips),
    epochs: epochs, learningRate: 0.05, batchSize: 16, weightDecay: 5e-4, seed: 1,
    dropPath: dropPath, maxSteps: maxSteps)
  c.convolutional = ConvolutionalArchitecture(
    stages: [.init(blocks: 2, channels: 4), .init(blocks: 1, channels: 6)], skips: skips)
  return c
}

private func runToEnd(_ trainer: Trainer) -> [EpochMetrics] {
  var metrics: [EpochMetrics] = []
  while !trainer.isFinished {
    guard case .completed(let m) = trainer.trainEpoch() else {
      Issue.record("training diverged")
      return metrics
    }
    metrics.append(m)
  }
  return metrics
}

@Suite("Convolutional training through the Trainer; PyTorch-layout checkpoints", .serialized)
struct ConvolutionalTrainingTests {
  @Test func shortTrainingRunLowersTheLoss() throws {
    let trainer = Trainer(configuration: configuration(epochs: 3), data: try syntheticData())
    let initial = trainer.evaluateTest()
    let metrics = runToEnd(trainer)
    print(
      "conv: test loss before \(initial.loss), after \(metrics.last!.testLoss); accuracy "
        + "\(metrics.last!.testAccuracy) (chance 1/3)")
    #expect(metrics.count == 3 && metrics.last!.steps == 3 * 6)
    #expect(metrics.last!.testLoss < 0.7 * initial.loss)
    #expect(metrics.last!.testAccuracy > 0.8)
  }

  @Test func checkpointHasPyTorchNamesAndShapesAndReadsBack() throws {
    let trainer = Trainer(
      configuration: configuration(epochs: 1, maxSteps: 2), data: try syntheticData())
    _ = runToEnd(trainer)
    let file = trainer.checkpoint.file
    #expect(file.tensors["conv0.weight"]?.shape == [4, 1, 3, 3])
    #expect(file.tensors["blocks.1.conv2.weight"]?.shape == [4, 4, 3, 3])
    #expect(file.tensors["blocks.2.conv1.weight"]?.shape == [6, 4, 3, 3])
    #expect(file.tensors["blocks.2.shortcut.weight"]?.shape == [6, 4, 1, 1])
    #expect(file.tensors["blocks.0.shortcut.weight"] == nil)
    #expect(
      file.tensors["bnf.running_var"]?.shape == [6] && file.tensors["cls.weight"]?.shape == [3, 6])
    let directory = temporaryDirectory("conv-checkpoint")
    let path = try trainer.save(to: directory)
    var loaded = try Checkpoint(contentsOf: path)
    // The tensors do not carry the image size: refit to the data's 8×8.
    loaded.network.withConvolutional {
      $0.image = ConvolutionalInput(channels: 1, side: 8, padding: 0)
    }
    #expect(loaded.network == trainer.network)
    #expect(loaded.network.convolutional?.blocks[2].conv1.stride == 2)
  }

  @Test func skipsComeFromMetadataOrAnArchNamingType5b() throws {
    var rng = testGenerator(3)
    let model = ConvolutionalNetwork<Float>(
      architecture: ConvolutionalArchitecture(
        stages: [.init(blocks: 2, channels: 3)], skips: false),
      image: ConvolutionalInput(channels: 1, side: 28, padding: 2), classCount: 2, using: &rng)
    for (metadata, skips) in [
      (CheckpointMetadata(), true), (CheckpointMetadata(arch: "resnet type 5b"), false),
      (CheckpointMetadata(arch: "5b", skips: true), true),
      (CheckpointMetadata(skips: false), false),
    ] {
      let file = Checkpoint(network: .convolutional(model), metadata: metadata).file
      let read = try Checkpoint(file: file, path: "x")
      #expect(read.network.skips == skips && read.network.convolutional != nil)
    }
  }

  @Test(arguments: [0.0, 0.5])
  func resumingMidEpochIsBitForBitTheUninterruptedRun(dropPath: Double) throws {
    let data = try syntheticData()
    let uninterrupted = Trainer(
      configuration: configuration(epochs: 2, dropPath: dropPath), data: data)
    _ = runToEnd(uninterrupted)
    let directory = temporaryDirectory("conv-resume")
    let first = Trainer(
      configuration: configuration(epochs: 2, maxSteps: 8, dropPath: dropPath), data: data)
    _ = runToEnd(first)
    let path = try first.save(to: directory)
    let checkpoint = try Checkpoint(contentsOf: path)
    let state = try TrainingState(
      contentsOf: (directory as NSString).appendingPathComponent("optimizer.safetensors"),
      network: checkpoint.network)
    let resumed = Trainer(
      configuration: configuration(epochs: 2, dropPath: dropPath), data: data,
      network: checkpoint.network, state: state)
    _ = runToEnd(resumed)
    #expect(resumed.state.step == uninterrupted.state.step)
    #expect(resumed.checkpoint.file.encoded == uninterrupted.checkpoint.file.encoded)
  }

  @Test func optimizerStateOfTheWrongKindIsRejected() throws {
    let data = try syntheticData()
    let trainer = Trainer(configuration: configuration(epochs: 1, maxSteps: 1), data: data)
    _ = runToEnd(trainer)
    let directory = temporaryDirectory("conv-wrong-kind")
    try trainer.save(to: directory)
    var rng = testGenerator(1)
    let fc = ResidualNetwork<Float>(
      architecture: Architecture(blocks: 3, width: 4, skips: true), inputSize: 64, classCount: 3,
      using: &rng)
    #expect(throws: CheckpointError.self) {
      try TrainingState(
        contentsOf: (directory as NSString).appendingPathComponent("optimizer.safetensors"),
        model: fc)
    }
  }
}
