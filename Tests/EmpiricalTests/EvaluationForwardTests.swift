import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

/// max(x, 0) entrywise.
private func relu(_ m: Matrix<Double>) -> Matrix<Double> {
  Matrix(rows: m.rows, columns: m.columns, storage: m.storage.map { max($0, 0) })
}

/// Evaluation-mode BatchNorm by its formula, feature by feature.
private func normalise(_ m: Matrix<Double>, _ n: BatchNorm<Double>) -> Matrix<Double> {
  Matrix(rows: m.rows, columns: m.columns) { i, j in
    (m[i, j] - n.runningMean[i]) / (n.runningVariance[i] + 1e-5).squareRoot() * n.weight[i]
      + n.bias[i]
  }
}

@Suite("Evaluation-mode forward pass: the trajectory h₁…h_{L+1} and the logits by the formulas")
struct EvaluationForwardTests {
  @Test(arguments: [true, false])
  func trajectoryFollowsTheBlockFormula(skips: Bool) {
    var rng = testGenerator(21)
    var model = ResidualNetwork<Double>(
      architecture: Architecture(blocks: 3, width: 10, skips: skips), inputSize: 6, classCount: 4,
      using: &rng)
    var copy = model
    let original = model
    model.forEachParameter(original, &copy) { p, _, _ in
      if p.count == 10 { for k in p.indices { p[k] += uniform(0.5, &rng) } }
    }
    for i in model.blocks.indices {
      model.blocks[i].bn1.runningMean = (0..<10).map { _ in uniform(0.3, &rng) }
      model.blocks[i].bn2.runningVariance = (0..<10).map { _ in 1 + uniform(0.5, &rng) }
    }
    let inputs = Matrix<Double>(rows: 6, columns: 5) { _, _ in uniform(1, &rng) }
    let trajectory = model.trajectory(of: inputs)
    var h = relu(normalise(model.fc0 * inputs, model.bn0))
    var expected = [h]
    for block in model.blocks {
      let a1 = relu(normalise(h, block.bn1))
      let f = block.fc2 * relu(normalise(block.fc1 * a1, block.bn2))
      h = skips ? h + f : f
      expected.append(h)
    }
    let error = zip(trajectory, expected).map { relativeError($0, $1) }.max()!
    print("trajectory (skips \(skips)): relative error \(error), tolerance 1e-13")
    #expect(trajectory.count == 4 && error < 1e-13)
    let logits = model.cls * relu(normalise(h, model.bnf))
    let withBias = Matrix(rows: 4, columns: 5) { i, j in logits[i, j] + model.clsBias[i] }
    #expect(relativeError(model.logits(for: inputs), withBias) < 1e-13)
  }

  @Test func float64CopyOfAFloat32NetworkAgreesToSinglePrecision() {
    var rng = testGenerator(22)
    let model = ResidualNetwork<Float>(
      architecture: Architecture(blocks: 2, width: 16, skips: true), inputSize: 8, classCount: 3,
      using: &rng)
    let wide = model.converted(to: Double.self)
    let inputs = Matrix<Float>(rows: 8, columns: 4) { _, _ in Float(uniform(1, &rng)) }
    let narrow = model.logits(for: inputs).converted(to: Double.self)
    let error = relativeError(narrow, wide.logits(for: inputs.converted()))
    print("Float32 against Float64 logits: relative error \(error), tolerance 1e-5")
    #expect(error < 1e-5)
    #expect(wide.converted(to: Float.self) == model)
  }
}
