import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

@Suite("Definition 3.2: the objective and its analytic gradient")
struct ObjectiveTests {
  /// A random model and point: L ∈ 1…4, D ∈ 1…6, λ ∈ [0.001, 1], y = ±1.
  func randomCase(_ rng: inout SeededGenerator) -> (UnconstrainedJacobiansModel, [Double]) {
    let depth = Int.random(in: 1...4, using: &rng)
    let d = Int.random(in: 1...6, using: &rng)
    let lambda = Double.random(in: 0.001...1, using: &rng)
    let label: Double = Bool.random(using: &rng) ? 1 : -1
    let dx: [Double] = Gaussian.sample(d, using: &rng)
    let model = UnconstrainedJacobiansModel(dx: dx, label: label, lambda: lambda, depth: depth)
    let x: [Double] = Gaussian.sample(model.parameterCount, standardDeviation: 0.5, using: &rng)
    return (model, x)
  }

  @Test func gradientMatchesCentralFiniteDifferences() {
    var rng = testGenerator(31)
    var worst = 0.0
    for _ in 0..<60 {
      let (model, x) = randomCase(&rng)
      let (_, g) = model.valueAndGradient(at: x)
      let h = 1e-6
      var numeric = [Double](repeating: 0, count: x.count)
      for k in x.indices {
        var xp = x
        var xm = x
        xp[k] += h
        xm[k] -= h
        numeric[k] = (model.value(at: xp) - model.value(at: xm)) / (2 * h)
      }
      worst = max(worst, relativeError(g, numeric))
    }
    // Central differences with h = 1e-6 are accurate to about h² + ε/h ≈ 1e-10 here.
    #expect(worst < 1e-7, "worst relative gradient error \(worst)")
  }

  @Test func finiteDifferenceCheckDetectsAWrongGradient() {
    // Counterexample: dropping the λJ term from the gradient must be caught by the same measure.
    var rng = testGenerator(32)
    let (model, x) = randomCase(&rng)
    var (_, g) = model.valueAndGradient(at: x)
    let blocks = model.depth * model.dimension * model.dimension
    for k in 0..<blocks { g[k] -= model.lambda * x[k] }
    let h = 1e-6
    let numeric = x.indices.map { k -> Double in
      var xp = x
      var xm = x
      xp[k] += h
      xm[k] -= h
      return (model.value(at: xp) - model.value(at: xm)) / (2 * h)
    }
    #expect(relativeError(g, numeric) > 1e-4)
  }

  @Test func fusedKernelAgreesWithTheMatrixFormOfDefinition32() {
    var rng = testGenerator(33)
    for _ in 0..<30 {
      let (model, x) = randomCase(&rng)
      let reference = model.objective(at: model.point(from: x))
      let fused = model.value(at: x)
      let withGradient = model.valueAndGradient(at: x).value
      #expect(abs(fused - reference) <= 1e-13 * max(1, abs(reference)))
      #expect(abs(withGradient - reference) <= 1e-13 * max(1, abs(reference)))
    }
  }

  @Test func flattenAndPointAreInverse() {
    var rng = testGenerator(34)
    let (model, x) = randomCase(&rng)
    #expect(model.flatten(model.point(from: x)) == x)
  }
}

@Suite("Binary cross-entropy is computed without overflow")
struct BinaryCrossEntropyTests {
  @Test(arguments: [-800.0, -40, -1, 0, 1, 40, 800])
  func lossIsFiniteAndMatchesTheDefinitionWhereThatIsRepresentable(z: Double) {
    for y in [1.0, -1.0] {
      let l = BinaryCrossEntropy.loss(logit: z, label: y)
      #expect(l.isFinite && l >= 0)
      if abs(z) <= 40 { #expect(abs(l - log1p(exp(-y * z))) <= 1e-15 * max(1, l)) }
      let d = BinaryCrossEntropy.derivative(logit: z, label: y)
      #expect(d.isFinite && abs(d) <= 1)
    }
    #expect(BinaryCrossEntropy.loss(logit: 800, label: -1) == 800)
  }

}
