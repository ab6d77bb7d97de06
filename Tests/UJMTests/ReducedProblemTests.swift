import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

@Suite("The reduced problem is a trustworthy oracle for the UJM optimum")
struct ReducedProblemTests {
  @Test(arguments: [(16, 0.01, 1.0), (1, 0.1, 0.5), (4, 1.0, 2.0), (32, 0.001, 0.9)])
  func minimumIsNotBeatenByABruteForceGrid(depth: Int, lambda: Double, r: Double) {
    let problem = ReducedProblem(depth: depth, lambda: lambda, dxNorm: r)
    let optimum = problem.minimize()
    let sMax = problem.sBound
    let tMax = (2 * 0.6931471805599453 / lambda).squareRoot()
    var gridMin = Double.infinity
    let n = 400
    for i in 0...n {
      for j in 0...n {
        let s = sMax * Double(i) / Double(n)
        let t = tMax * Double(j) / Double(n)
        gridMin = min(gridMin, problem.value(s: s, t: t))
      }
    }
    // The oracle is at least as good as every grid point, and the grid comes close to it.
    #expect(optimum.objective <= gridMin + 1e-15)
    #expect(gridMin - optimum.objective < 1e-2 * max(1, optimum.objective))
  }

  @Test(arguments: [(16, 0.01, 1.0), (1, 0.1, 0.5), (4, 1.0, 2.0), (8, 0.05, 0.3)])
  func gradientVanishesToMachinePrecisionAtTheOptimum(depth: Int, lambda: Double, r: Double) {
    let optimum = ReducedProblem(depth: depth, lambda: lambda, dxNorm: r).minimize()
    #expect(optimum.gradientNorm < 1e-14, "‖∇g‖ = \(optimum.gradientNorm)")
    #expect(optimum.s > 0 && optimum.t > 0)
  }

  @Test func reducedValueEqualsTheFullObjectiveOnTheFamily() {
    var rng = testGenerator(41)
    for label in [1.0, -1.0] {
      let dx: [Double] = Gaussian.sample(5, using: &rng)
      let model = UnconstrainedJacobiansModel(dx: dx, label: label, lambda: 0.05, depth: 3)
      let problem = ReducedProblem(depth: 3, lambda: 0.05, dxNorm: dx.euclideanNorm)
      let candidate = ReducedOptimum(objective: 0, s: 0.3, t: 1.7, gradientNorm: 0)
      let full = model.objective(at: candidate.point(dx: dx, label: label, depth: 3))
      #expect(abs(full - problem.value(s: 0.3, t: 1.7)) < 1e-14)
    }
  }

  @Test func optimalTSolvesItsStationarityEquation() {
    let problem = ReducedProblem(depth: 5, lambda: 0.02, dxNorm: 1.3)
    for s in [0.0, 0.1, 0.5, 2.0] {
      let t = problem.optimalT(s: s)
      #expect(abs(problem.gradient(s: s, t: t).dt) < 1e-15)
    }
  }

  /// At λ = 1e-300 the a-priori bound √(2 log 2/(λL)) ≈ 1e150 makes (1+s)ᴸ overflow at every
  /// grid point (the old oracle returned f* = ∞); the bound from g(s₀, t(s₀)) keeps the search
  /// in range, and the optimum found satisfies the stationarity t*² = s*(1+s*).
  @Test(arguments: [1e-300, 1e-200, 1e-100, 1e-16])
  func theOracleStaysFiniteAtExtremelySmallLambda(lambda: Double) {
    let problem = ReducedProblem(depth: 16, lambda: lambda, dxNorm: 1)
    let optimum = problem.minimize()
    let balance = optimum.t * optimum.t / (optimum.s * (1 + optimum.s))
    print(
      "λ = \(lambda): s* = \(optimum.s), f* = \(optimum.objective), t*²/(s*(1+s*)) = \(balance), search bound \(problem.searchBound) (a-priori \(problem.sBound))"
    )
    #expect(optimum.objective.isFinite && optimum.objective > 0)
    #expect(optimum.s > 0 && optimum.s < problem.searchBound)
    #expect(abs(balance - 1) < 1e-6)
    // Counterexample: the a-priori bound alone leaves no finite grid point to search.
    if lambda <= 1e-200 {
      #expect(!problem.reducedDerivative(s: problem.sBound / 4000).isFinite)
    }
  }

  /// Issue 19 defect 7: over the ‖Δx‖ range `ujm solve --dx` accepts (1e-50…1e50), the oracle
  /// is finite and stationary (t*² = s*(1+s*)) for L in 1…10 and λ in 1e-6…1; outside it
  /// (1e-200, 1e150) it overflowed to f* = ∞, which is why the range is refused.
  @Test(arguments: [1, 2, 3, 10], [1e-6, 1e-2, 1])
  func theOracleIsFiniteOverTheAcceptedRangeOfDx(depth: Int, lambda: Double) {
    for r in [1e-50, 1e-20, 1, 1e20, 1e50] {
      let optimum = ReducedProblem(depth: depth, lambda: lambda, dxNorm: r).minimize()
      let balance = optimum.t * optimum.t / (optimum.s * (1 + optimum.s))
      print(
        "L = \(depth), λ = \(lambda), ‖Δx‖ = \(r): f* = \(optimum.objective), s* = \(optimum.s), "
          + "t*²/(s*(1+s*)) − 1 = \(balance - 1) (tolerance 1e-6)")
      #expect(optimum.objective.isFinite && optimum.objective >= 0)
      #expect(optimum.s > 0 && optimum.s.isFinite && optimum.t > 0 && optimum.t.isFinite)
      #expect(abs(balance - 1) < 1e-6)
    }
    if depth == 2 && lambda == 1e-2 {
      for r in [1e-200, 1e150] {
        let optimum = ReducedProblem(depth: depth, lambda: lambda, dxNorm: r).minimize()
        print("outside the range, ‖Δx‖ = \(r): f* = \(optimum.objective)")
        #expect(!optimum.objective.isFinite || optimum.s == 0)
      }
    }
  }
}
