import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

private func syntheticData() throws -> ImageClassificationData {
  let directory = temporaryDirectory("trainer-data")
  writeSyntheticImageData(to: directory, train: 240, test: 60, side: 4, classes: 3)
  return try ImageClassificationData(directory: directory, classes: [0, 1, 2])
}

private func configuration(
  epochs: Int, maxSteps: Int? = nil, dropPath: Double = 0, seed: UInt64 = 0
)
  -> TrainingConfiguration
{
  TrainingConfiguration(
    typeName: "custom", architecture: Architecture(blocks: 2, width: 8, skips: true),
    epochs: epochs, learningRate: 0.05, batchSize: 32, weightDecay: 5e-4, seed: seed,
    dropPath: dropPath, maxSteps: maxSteps)
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

@Suite("Trainer: the loss falls, runs are reproducible, --resume is bit-for-bit", .serialized)
struct TrainerTests {
  @Test func shortTrainingRunLowersTheLoss() throws {
    let trainer = Trainer(configuration: configuration(epochs: 4), data: try syntheticData())
    let initial = trainer.evaluateTest()
    let metrics = runToEnd(trainer)
    print(
      "test loss before \(initial.loss), after \(metrics.last!.testLoss); test accuracy after "
        + "\(metrics.last!.testAccuracy) (chance 1/3)")
    #expect(metrics.count == 4 && metrics.last!.steps == 4 * 8)
    #expect(metrics.last!.testLoss < 0.5 * initial.loss)
    #expect(metrics.last!.testAccuracy > 0.9)
    #expect(metrics.last!.trainLoss < metrics.first!.trainLoss)
  }

  @Test func sameSeedGivesIdenticalCheckpointBytesAndAnotherSeedDoesNot() throws {
    let data = try syntheticData()
    func bytes(seed: UInt64) -> [UInt8] {
      let trainer = Trainer(configuration: configuration(epochs: 2, seed: seed), data: data)
      _ = runToEnd(trainer)
      return trainer.checkpoint.file.encoded
    }
    let a = bytes(seed: 3)
    #expect(a == bytes(seed: 3))
    #expect(a != bytes(seed: 4))
  }

  @Test(arguments: [0.0, 0.5])
  func resumingMidEpochIsBitForBitTheUninterruptedRun(dropPath: Double) throws {
    let data = try syntheticData()
    let uninterrupted = Trainer(
      configuration: configuration(epochs: 3, dropPath: dropPath), data: data)
    _ = runToEnd(uninterrupted)

    // Stop at step 10 of 24 (inside epoch 2), save, reload from the files, continue.
    let directory = temporaryDirectory("resume")
    let first = Trainer(
      configuration: configuration(epochs: 3, maxSteps: 10, dropPath: dropPath), data: data)
    _ = runToEnd(first)
    #expect(first.state.step == 10 && first.state.stepInEpoch == 2)
    let path = try first.save(to: directory)
    let checkpoint = try Checkpoint(contentsOf: path)
    let state = try TrainingState(
      contentsOf: (directory as NSString).appendingPathComponent("optimizer.safetensors"),
      model: checkpoint.model)
    #expect(state == first.state)
    let resumed = Trainer(
      configuration: configuration(epochs: 3, dropPath: dropPath), data: data,
      model: checkpoint.model, state: state)
    _ = runToEnd(resumed)
    #expect(resumed.state == uninterrupted.state)
    #expect(resumed.checkpoint.file.encoded == uninterrupted.checkpoint.file.encoded)
  }

  @Test func cosineScheduleAndPermutationsBehave() {
    #expect(cosineLearningRate(base: 0.1, epoch: 0, epochs: 60) == 0.1)
    #expect(abs(cosineLearningRate(base: 0.1, epoch: 30, epochs: 60) - 0.05) < 1e-15)
    #expect(cosineLearningRate(base: 0.1, epoch: 59, epochs: 60) < 1e-3)
    var rng = testGenerator(1)
    let p = randomPermutation(1000, using: &rng)
    #expect(p.sorted() == Array(0..<1000) && p != Array(0..<1000))
  }
}

@Suite("BatchNorm1d: PyTorch's training and evaluation semantics")
struct BatchNormTests {
  @Test func trainingModeNormalisesAndUpdatesRunningStatisticsWithUnbiasedVariance() {
    // One feature, batch (1, 2, 3, 6): mean 3, biased variance 3.5, unbiased 14/3.
    var norm = BatchNorm<Double>(features: 1)
    norm.weight = [2]
    norm.bias = [0.5]
    let x: [Double] = [1, 2, 3, 6]
    let stats = BatchStatistics<Double>(features: 1)
    var a = [Double](repeating: 0, count: 4)
    x.withUnsafeBufferPointer { xp in
      a.withUnsafeMutableBufferPointer { ap in
        batchNormReLUTraining(
          xp.baseAddress!, into: ap.baseAddress!, features: 1, count: 4, weight: norm.weight,
          bias: norm.bias, stats: stats)
      }
    }
    let expected = x.map { max(0, 2 * ($0 - 3) / (3.5 + 1e-5).squareRoot() + 0.5) }
    let error = relativeError(a, expected)
    print("BN+ReLU forward: relative error \(error), tolerance 1e-14")
    #expect(error < 1e-14)
    #expect(stats.mean.pointer[0] == 3 && stats.variance.pointer[0] == 3.5)

    var rng = testGenerator(2)
    var model = ResidualNetwork<Double>(
      architecture: Architecture(blocks: 1, width: 1, skips: true), inputSize: 1, classCount: 2,
      using: &rng)
    model.fc0 = Matrix(rows: 1, columns: 1, storage: [1])
    let workspace = NetworkWorkspace(model: model, capacity: 4)
    x.withUnsafeBufferPointer { workspace.loadInput($0.baseAddress!, count: 4) }
    workspace.forward(model, training: true)
    workspace.updateRunningStatistics(&model)
    #expect(abs(model.bn0.runningMean[0] - 0.3) < 1e-15)
    #expect(abs(model.bn0.runningVariance[0] - (0.9 + 0.1 * 14.0 / 3)) < 1e-15)
    #expect(model.bn0.batchesTracked == 1)
  }

  @Test func evaluationModeUsesRunningStatistics() {
    var norm = BatchNorm<Double>(features: 2)
    norm.runningMean = [1, -1]
    norm.runningVariance = [4, 0.25]
    norm.weight = [3, 1]
    norm.bias = [0, 1]
    let (s, t) = norm.evaluationScaleAndShift
    // y = γ(x − m)/√(v + ε) + β at x = 2 for both features.
    let y = [s[0] * 2 + t[0], s[1] * 2 + t[1]]
    let first: Double = 3 / (4 + 1e-5).squareRoot()
    let second: Double = 3 / (0.25 + 1e-5).squareRoot() + 1
    let expected = [first, second]
    #expect(relativeError(y, expected) < 1e-14)
  }
}
