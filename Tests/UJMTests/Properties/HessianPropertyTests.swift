import LinearAlgebra
import PropertyBased
import TestSupport
import Testing

@testable import UJM

@Suite("Properties of the exact Hessian-vector products (shrinking, then a fixed-seed replay)")
struct HessianPropertyTests {
  static func multiclassProductProperty(_ instance: MulticlassInstance) {
    let (model, x) = instance.modelAndPoint
    let v = instance.direction(model.parameterCount)
    let error = relativeError(
      model.hessianVectorProduct(at: x, along: v),
      finiteDifferenceHessianProduct(model, at: x, along: v))
    #expect(error < 1e-7, "\(instance): measured \(error), tolerance 1e-7")
  }

  @Test func multiclassProductsAreDerivativesOfTheGradient() async {
    await propertyCheck(count: 20, input: multiclassInstances) {
      Self.multiclassProductProperty($0)
    }
    replay(multiclassInstances, seed: 11) { Self.multiclassProductProperty($0) }
  }

  static func binaryProductProperty(_ instance: BinaryInstance) {
    let model = instance.model
    let x = instance.vector(model.parameterCount, offset: 1, standardDeviation: 0.5)
    let v = instance.vector(model.parameterCount, offset: 2)
    let error = relativeError(
      model.hessianVectorProduct(at: x, along: v),
      finiteDifferenceHessianProduct(model, at: x, along: v))
    #expect(error < 1e-7, "\(instance): measured \(error), tolerance 1e-7")
  }

  @Test func binaryProductsAreDerivativesOfTheFastGradient() async {
    await propertyCheck(count: 20, input: binaryInstances) { Self.binaryProductProperty($0) }
    replay(binaryInstances, seed: 12) { Self.binaryProductProperty($0) }
  }

  /// uᵀ(Hv) = vᵀ(Hu): the Hessian is symmetric.
  static func symmetryProperty(_ instance: MulticlassInstance) {
    let (model, x) = instance.modelAndPoint
    let u = instance.direction(model.parameterCount, offset: 1)
    let v = instance.direction(model.parameterCount, offset: 2)
    let a = u.dot(model.hessianVectorProduct(at: x, along: v))
    let b = v.dot(model.hessianVectorProduct(at: x, along: u))
    let error = abs(a - b) / max(1, abs(a))
    #expect(error < 1e-12, "\(instance): uᵀHv = \(a), vᵀHu = \(b)")
  }

  @Test func theHessianIsSymmetric() async {
    await propertyCheck(count: 30, input: multiclassInstances) { Self.symmetryProperty($0) }
    replay(multiclassInstances, seed: 13) { Self.symmetryProperty($0) }
  }

  /// H(αu + v) = αHu + Hv.
  static func linearityProperty(_ instance: BinaryInstance) {
    let model = instance.model
    let x = instance.vector(model.parameterCount, offset: 1, standardDeviation: 0.5)
    let u = instance.vector(model.parameterCount, offset: 2)
    let v = instance.vector(model.parameterCount, offset: 3)
    let alpha = 0.5 + Double(instance.seed % 7)
    var combined = v
    combined.add(u, scaledBy: alpha)
    var expected = model.hessianVectorProduct(at: x, along: v)
    expected.add(model.hessianVectorProduct(at: x, along: u), scaledBy: alpha)
    let error = relativeError(model.hessianVectorProduct(at: x, along: combined), expected)
    #expect(error < 1e-12, "\(instance): measured \(error)")
  }

  @Test func productsAreLinearInTheDirection() async {
    await propertyCheck(count: 30, input: binaryInstances) { Self.linearityProperty($0) }
    replay(binaryInstances, seed: 14) { Self.linearityProperty($0) }
  }

  /// Ritz values lie inside [μ_min, μ_max], and a full Lanczos run recovers both extremes.
  static func lanczosProperty(_ size: Int, _ steps: Int, _ seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let g = Gaussian.matrix(rows: size, columns: size, as: Double.self, using: &rng)
    let a = (g + g.transposed).scaled(by: 0.5)
    let objective = QuadraticQuartic(a: a, quartic: [Double](repeating: 0, count: size))
    let x = [Double](repeating: 0, count: size)
    do {
      let dense = try HessianSpectrum.compute(objective, at: x)
      let partial = try HessianSpectrum.compute(
        objective, at: x, forceLanczos: true, steps: min(steps, size), seed: seed)
      let full = try HessianSpectrum.compute(
        objective, at: x, forceLanczos: true, steps: size, seed: seed)
      let scale = max(abs(dense.min_eigenvalue), abs(dense.max_eigenvalue))
      #expect(partial.min_eigenvalue >= dense.min_eigenvalue - 1e-10 * scale)
      #expect(partial.max_eigenvalue <= dense.max_eigenvalue + 1e-10 * scale)
      let error =
        max(
          abs(full.min_eigenvalue - dense.min_eigenvalue),
          abs(full.max_eigenvalue - dense.max_eigenvalue)) / scale
      #expect(error < 1e-10, "n = \(size), seed \(seed): measured \(error), tolerance 1e-10")
    } catch {
      Issue.record("\(error)")
    }
  }

  @Test func lanczosRitzValuesLieInsideTheSpectrum() async {
    let sizes = zip(Gen.int(in: 1...14), Gen.int(in: 1...14), Gen.uint64(in: 0...100_000))
    await propertyCheck(count: 30, input: sizes) { Self.lanczosProperty($0.0, $0.1, $0.2) }
    replay(sizes, seed: 15) { Self.lanczosProperty($0.0, $0.1, $0.2) }
  }
}
