import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

/// The mean cross-entropy of a training-mode forward pass, as a function of the parameters.
private func loss(
  _ model: ResidualNetwork<Double>, input: [Double], labels: [Int32], drop: [Bool]? = nil
) -> Double {
  let workspace = NetworkWorkspace(model: model, capacity: labels.count)
  input.withUnsafeBufferPointer { workspace.loadInput($0.baseAddress!, count: labels.count) }
  workspace.forward(model, training: true, drop: drop)
  return labels.withUnsafeBufferPointer {
    workspace.loss(labels: $0.baseAddress!, withGradient: false).loss
  }
}

/// Backprop's gradient and the central finite difference (h = 1e-5) for every parameter, flattened
/// in `forEachParameter` order.
private func gradientAndFiniteDifference(
  _ model: ResidualNetwork<Double>, input: [Double], labels: [Int32], drop: [Bool]? = nil
) -> (backprop: [Double], finiteDifference: [Double]) {
  let workspace = NetworkWorkspace(model: model, capacity: labels.count)
  input.withUnsafeBufferPointer { workspace.loadInput($0.baseAddress!, count: labels.count) }
  workspace.forward(model, training: true, drop: drop)
  _ = labels.withUnsafeBufferPointer {
    workspace.loss(labels: $0.baseAddress!, withGradient: true)
  }
  workspace.backward(model)
  var backprop: [Double] = []
  var shapes: [Int] = []
  var scratch = model
  var other = model
  scratch.forEachParameter(workspace.gradients, &other) { _, g, _ in
    backprop += g
    shapes.append(g.count)
  }
  var finite: [Double] = []
  let h = 1e-5
  for (parameter, size) in shapes.enumerated() {
    for k in 0..<size {
      func shifted(_ delta: Double) -> Double {
        var m = model
        var index = 0
        var dummy = model
        m.forEachParameter(model, &dummy) { p, _, _ in
          if index == parameter { p[k] += delta }
          index += 1
        }
        return loss(m, input: input, labels: labels, drop: drop)
      }
      finite.append((shifted(h) - shifted(-h)) / (2 * h))
    }
  }
  return (backprop, finite)
}

/// Width 9 exercises both the 8-lane vector loops and their scalar tails.
private func tinyProblem(skips: Bool, seed: UInt64, width: Int = 9)
  -> (ResidualNetwork<Double>, [Double], [Int32])
{
  var rng = testGenerator(seed)
  var model = ResidualNetwork<Double>(
    architecture: Architecture(blocks: 2, width: width, skips: skips), inputSize: 5, classCount: 3,
    using: &rng)
  // Non-trivial BatchNorm parameters, so that γ and β enter the check.
  var other = model
  let copy = model
  model.forEachParameter(copy, &other) { p, _, _ in
    if p.count == width { for k in p.indices { p[k] += uniform(0.5, &rng) } }
  }
  let count = 6
  let input = (0..<(5 * count)).map { _ in uniform(2, &rng) }
  let labels = (0..<count).map { Int32($0 % 3) }
  return (model, input, labels)
}

@Suite("Backpropagation through the residual network matches finite differences (Float64)")
struct BackpropagationTests {
  @Test(arguments: [true, false])
  func gradientMatchesCentralDifferences(skips: Bool) {
    let (model, input, labels) = tinyProblem(skips: skips, seed: skips ? 1 : 2)
    let (backprop, finite) = gradientAndFiniteDifference(model, input: input, labels: labels)
    let error = relativeError(backprop, finite, floor: 1e-3)
    print("skips \(skips): max |backprop − finite difference| / max |g|: \(error), tolerance 1e-6")
    #expect(error < 1e-6)
  }

  @Test func gradientWithADroppedBlockMatchesCentralDifferences() {
    let (model, input, labels) = tinyProblem(skips: true, seed: 3)
    let drop = [true, false]
    let (backprop, finite) = gradientAndFiniteDifference(
      model, input: input, labels: labels, drop: drop)
    let error = relativeError(backprop, finite, floor: 1e-3)
    print("dropped block 0: relative error \(error), tolerance 1e-6")
    #expect(error < 1e-6)
  }

  @Test func comparisonDetectsAWrongGradient() {
    let (model, input, labels) = tinyProblem(skips: true, seed: 4)
    var (backprop, finite) = gradientAndFiniteDifference(model, input: input, labels: labels)
    let largest = backprop.map(abs).max()!
    backprop[backprop.count / 2] += 1e-4 * largest
    let error = relativeError(backprop, finite, floor: 1e-3)
    print("perturbed gradient: relative error \(error), must exceed tolerance 1e-6")
    #expect(error > 1e-6)
  }
}
