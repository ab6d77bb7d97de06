import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

/// f(x) = ½xᵀAx + Σ c_k·x_k⁴: a synthetic objective with a known Hessian at 0 (A).
struct QuadraticQuartic: SecondOrderObjective {
  var a: Matrix<Double>
  var quartic: [Double]
  var parameterCount: Int { a.rows }

  func valueAndGradient(at x: Span<Double>, gradient g: inout MutableSpan<Double>) -> Double {
    let v = (0..<x.count).map { x[$0] }
    let ax = a * v
    var f = 0.5 * v.dot(ax)
    for k in v.indices {
      f += quartic[k] * v[k] * v[k] * v[k] * v[k]
      g[k] = ax[k] + 4 * quartic[k] * v[k] * v[k] * v[k]
    }
    return f
  }

  func hessianVectorProduct(at x: [Double], along v: [Double]) -> [Double] {
    var out = a * v
    for k in x.indices { out[k] += 12 * quartic[k] * x[k] * x[k] * v[k] }
    return out
  }
}

@Suite("The Hessian at the solution: exact products, dense and Lanczos spectra, the verdict")
struct HessianTests {
  @Test func multiclassProductsMatchExtrapolatedDifferencesOfTheGradient() {
    var worst = 0.0
    for seed in UInt64(0)..<8 {
      let (model, x) = multiclassCase(
        classes: 2 + Int(seed % 3), perClass: 1 + Int(seed % 2), dimension: 2 + Int(seed % 3),
        depth: 1 + Int(seed % 3), seed: seed)
      var rng = SeededGenerator(seed: seed + 100)
      let v: [Double] = Gaussian.sample(model.parameterCount, using: &rng)
      let exact = model.hessianVectorProduct(at: x, along: v)
      worst = max(
        worst, relativeError(exact, finiteDifferenceHessianProduct(model, at: x, along: v)))
    }
    print("multi-class Hessian-vector products against differences: worst relative \(worst)")
    #expect(worst < 1e-8, "measured \(worst), tolerance 1e-8")
  }

  @Test func binaryProductsMatchExtrapolatedDifferencesOfTheFastGradient() {
    var worst = 0.0
    for seed in UInt64(0)..<8 {
      var rng = SeededGenerator(seed: seed)
      let d = 2 + Int(seed % 4)
      let model = UnconstrainedJacobiansModel(
        dx: Gaussian.sample(d, using: &rng), label: seed % 2 == 0 ? 1 : -1, lambda: 0.05,
        depth: 1 + Int(seed % 3))
      let x: [Double] = Gaussian.sample(model.parameterCount, standardDeviation: 0.5, using: &rng)
      let v: [Double] = Gaussian.sample(model.parameterCount, using: &rng)
      let exact = model.hessianVectorProduct(at: x, along: v)
      worst = max(
        worst, relativeError(exact, finiteDifferenceHessianProduct(model, at: x, along: v)))
      // The generic gradient (the Hessian's path) is the fast one.
      var g = [Double](repeating: 0, count: x.count)
      let f = model.genericValueAndGradient(x, gradient: &g)
      let fast = model.valueAndGradient(at: x)
      #expect(abs(f - fast.value) <= 1e-13 * max(1, abs(f)))
      #expect(relativeError(g, fast.gradient) < 1e-13)
    }
    print("binary Hessian-vector products against differences: worst relative \(worst)")
    #expect(worst < 1e-8, "measured \(worst), tolerance 1e-8")
  }

  @Test func aWrongProductIsDetectedByTheSameMeasure() {
    let (model, x) = multiclassCase(classes: 3, perClass: 1, dimension: 3, depth: 2, seed: 1)
    let v = [Double](repeating: 1, count: x.count)
    var wrong = model.hessianVectorProduct(at: x, along: v)
    for k in wrong.indices { wrong[k] -= model.lambda * v[k] }  // the decay's λI dropped
    let error = relativeError(wrong, finiteDifferenceHessianProduct(model, at: x, along: v))
    #expect(error > 1e-4, "measured \(error)")
  }

  /// The spectrum at the reference optimum against a dense Hessian assembled from
  /// differences of the analytic gradient: extremes to 1e-8 relative.
  @Test func extremeEigenvaluesMatchADenseDifferenceHessian() throws {
    let model = MulticlassProblem(
      classes: 3, examplesPerClass: 1, dimension: 4, depth: 2, lambda: 0.05, seed: 2
    ).model
    let solved = StructuredLBFGS().minimize(
      model,
      from: MulticlassProblem(
        classes: 3, examplesPerClass: 1, dimension: 4, depth: 2, lambda: 0.05, seed: 2
      ).starts[0], until: ConvergenceTest())
    let x = solved.optimum
    let spectrum = try HessianSpectrum.compute(model, at: x)
    let n = model.parameterCount
    var h = Matrix<Double>(rows: n, columns: n)
    var e = [Double](repeating: 0, count: n)
    for k in 0..<n {
      e[k] = 1
      h.setColumn(k, to: finiteDifferenceHessianProduct(model, at: x, along: e))
      e[k] = 0
    }
    let symmetric = (h + h.transposed).scaled(by: 0.5)
    let values = try symmetric.symmetricEigendecomposition().values
    let scale = max(abs(values.first!), abs(values.last!))
    let errorLow = abs(spectrum.min_eigenvalue - values.first!) / scale
    let errorHigh = abs(spectrum.max_eigenvalue - values.last!) / scale
    print(
      "Hessian (n = \(n)): μ_min \(spectrum.min_eigenvalue) vs \(values.first!) (\(errorLow)), "
        + "μ_max \(spectrum.max_eigenvalue) vs \(values.last!) (\(errorHigh)), \(spectrum.verdict)")
    #expect(spectrum.method == "dense")
    #expect(
      errorLow < 1e-8 && errorHigh < 1e-8, "measured \(errorLow), \(errorHigh); tolerance 1e-8")
    #expect(spectrum.verdict == "strict local minimum")
    #expect(spectrum.error_estimate < 1e-12)
  }

  @Test func lanczosAgreesWithTheDenseSpectrum() throws {
    let problem = MulticlassProblem(
      classes: 3, examplesPerClass: 1, dimension: 5, depth: 2, lambda: 0.05, seed: 4)
    let x = StructuredLBFGS().minimize(
      problem.model, from: problem.starts[0], until: ConvergenceTest()
    ).optimum
    let dense = try HessianSpectrum.compute(problem.model, at: x)
    let full = try HessianSpectrum.compute(
      problem.model, at: x, forceLanczos: true, steps: problem.model.parameterCount)
    let partial = try HessianSpectrum.compute(problem.model, at: x, forceLanczos: true, steps: 40)
    let scale = abs(dense.max_eigenvalue)
    print(
      "Lanczos: dense [\(dense.min_eigenvalue), \(dense.max_eigenvalue)], full "
        + "[\(full.min_eigenvalue), \(full.max_eigenvalue)], 40 steps "
        + "[\(partial.min_eigenvalue), \(partial.max_eigenvalue)] ± \(partial.error_estimate)")
    #expect(full.method == "lanczos")
    #expect(abs(full.min_eigenvalue - dense.min_eigenvalue) / scale < 1e-10)
    #expect(abs(full.max_eigenvalue - dense.max_eigenvalue) / scale < 1e-10)
    #expect(abs(partial.max_eigenvalue - dense.max_eigenvalue) / scale < 1e-8)
    // Ritz values lie inside the spectrum.
    #expect(partial.min_eigenvalue >= dense.min_eigenvalue - 1e-12 * scale)
  }

  @Test func theVerdictIsSaddleDegenerateOrMinimum() throws {
    let a = Matrix<Double>.diagonal([2, -1, 3])
    let saddle = try HessianSpectrum.compute(
      QuadraticQuartic(a: a, quartic: [0, 0, 0]), at: [0, 0, 0])
    #expect(saddle.verdict == "saddle" && saddle.negative == 1 && saddle.min_eigenvalue == -1)
    let flat = try HessianSpectrum.compute(
      QuadraticQuartic(a: .diagonal([2, 0, 3]), quartic: [0, 1, 0]), at: [0, 0, 0])
    #expect(flat.verdict == "degenerate" && flat.near_zero == 1)
    let minimum = try HessianSpectrum.compute(
      QuadraticQuartic(a: .diagonal([2, 0, 3]), quartic: [0, 1, 0]), at: [0, 0.5, 0])
    // ∇²f = diag(2, 12·0.5², 3).
    #expect(minimum.verdict == "strict local minimum" && minimum.min_eigenvalue == 2)
  }

  @Test func theUJMAtTheOriginIsASaddleForSmallLambda() throws {
    // At J = 0, W = 0 the mixed second derivatives (the loss gradient times Δx) outweigh λ.
    let (model, _) = multiclassCase(
      classes: 3, perClass: 1, dimension: 3, depth: 2, seed: 6, lambda: 1e-3)
    let origin = [Double](repeating: 0, count: model.parameterCount)
    let spectrum = try HessianSpectrum.compute(model, at: origin)
    #expect(spectrum.verdict == "saddle", "μ_min = \(spectrum.min_eigenvalue)")
  }
}

@Suite("The binary Hessian restricted to the reduced family is the reduced problem's (appendix B)")
struct ReducedHessianTests {
  /// ∇²g(s, t) = Mᵀ·∇²F·M with M = [(uuᵀ,…,uuᵀ, 0), (0,…,0, y·u)], at the oracle's optimum.
  @Test(arguments: [(2, 1e-1), (4, 1e-2), (8, 1e-3), (16, 1e-2)])
  func restrictedHessianIsTheReducedOne(depth: Int, lambda: Double) throws {
    var rng = SeededGenerator(seed: UInt64(depth))
    let dx: [Double] = Gaussian.sample(5, standardDeviation: (1 / 5.0).squareRoot(), using: &rng)
    let model = UnconstrainedJacobiansModel(dx: dx, label: -1, lambda: lambda, depth: depth)
    let reduced = ReducedProblem(depth: depth, lambda: lambda, dxNorm: dx.euclideanNorm)
    let optimum = reduced.minimize()
    let x = model.flatten(optimum.point(dx: dx, label: -1, depth: depth))
    let u = dx.normalized
    let uu = Matrix<Double>.outer(u, u)
    let ds = model.flatten(
      UJMPoint(jacobians: Array(repeating: uu, count: depth), w: [Double](repeating: 0, count: 5)))
    let dt = model.flatten(
      UJMPoint(
        jacobians: Array(repeating: Matrix(rows: 5, columns: 5), count: depth),
        w: u.scaled(by: -1)))
    let hs = model.hessianVectorProduct(at: x, along: ds)
    let ht = model.hessianVectorProduct(at: x, along: dt)
    let h = reduced.hessian(s: optimum.s, t: optimum.t)
    let scale = max(abs(h.ss), abs(h.tt), 1e-300)
    let error =
      max(
        abs(ds.dot(hs) - h.ss), abs(ds.dot(ht) - h.st), abs(dt.dot(ht) - h.tt)) / scale
    print("L = \(depth), λ = \(lambda): MᵀHM against ∇²g, relative \(error)")
    #expect(error < 1e-10, "measured \(error), tolerance 1e-10")
    let spectrum = try HessianSpectrum.compute(model, at: x)
    let inside = reduced.normalizedHessianEigenvalues(s: optimum.s, t: optimum.t)
    let slack = 1e-10 * abs(spectrum.max_eigenvalue)
    #expect(inside[0] >= spectrum.min_eigenvalue - slack)
    #expect(inside[1] <= spectrum.max_eigenvalue + slack)
  }

  @Test func aWrongReducedHessianIsDetected() {
    // Counterexample: dropping ℓ′·t·c″ from g_ss must break the identity.
    let dx = [0.6, 0.8, 0, 0]
    let model = UnconstrainedJacobiansModel(dx: dx, label: 1, lambda: 1e-2, depth: 3)
    let reduced = ReducedProblem(depth: 3, lambda: 1e-2, dxNorm: 1)
    let o = reduced.minimize()
    let x = model.flatten(o.point(dx: dx, label: 1, depth: 3))
    let uu = Matrix<Double>.outer(dx, dx)
    let ds = model.flatten(
      UJMPoint(jacobians: [uu, uu, uu], w: [Double](repeating: 0, count: 4)))
    let exact = ds.dot(model.hessianVectorProduct(at: x, along: ds))
    let h = reduced.hessian(s: o.s, t: o.t)
    let c2 = 3.0 * 2 * (1 + o.s)
    let lPrime = BinaryCrossEntropy.derivative(logit: o.t * Double.pow(1 + o.s, 3), label: 1)
    let wrong = h.ss - lPrime * o.t * c2
    #expect(abs(exact - h.ss) < 1e-10 * abs(h.ss))
    #expect(abs(exact - wrong) > 1e-6 * abs(h.ss), "exact \(exact), wrong \(wrong)")
  }
}
