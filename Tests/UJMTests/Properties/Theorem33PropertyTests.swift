import LinearAlgebra
import PropertyBased
import TestSupport
import Testing

@testable import UJM

@Suite("Theorem 3.3 as properties of the binary UJM (shrinking, then a fixed-seed replay)")
struct Theorem33PropertyTests {
  /// f* (the reduced problem's optimum) is below F at every point: the global optimum claim.
  static func oracleIsALowerBoundProperty(_ instance: BinaryInstance) {
    let model = instance.model
    let fStar = ReducedProblem(
      depth: model.depth, lambda: model.lambda, dxNorm: model.dx.euclideanNorm
    ).minimize().objective
    for scale in [0.1, 0.5, 1.0] {
      let x = instance.vector(model.parameterCount, offset: 3, standardDeviation: scale)
      let f = model.value(at: x)
      #expect(f >= fStar - 1e-13 * max(1, fStar), "\(instance): F = \(f) < f* = \(fStar)")
    }
  }

  @Test func theReducedOptimumBoundsFFromBelow() async {
    await propertyCheck(count: 40, input: binaryInstances) {
      Self.oracleIsALowerBoundProperty($0)
    }
    replay(binaryInstances, seed: 31) { Self.oracleIsALowerBoundProperty($0) }
  }

  /// The solver reaches f*, with every Jᵢ of rank one and σ₁ = s* (RA3, RA4).
  static func solveProperty(_ instance: BinaryInstance) {
    let problem = DefaultProblem(
      dx: instance.model.dx, depth: instance.depth, lambda: instance.lambda,
      label: instance.positive ? 1 : -1, seed: instance.seed)
    do {
      let (report, _) = try UJMSolveRun(
        problem: problem, algorithm: .lbfgs, test: ConvergenceTest()
      ).run()
      let failed = report.checks.filter { !$0.passed }.map(\.summary)
      #expect(
        report.stopReason == .converged && failed.isEmpty,
        "\(instance): \(report.stop_reason), \(failed)")
    } catch {
      Issue.record("\(instance): \(error)")
    }
  }

  @Test func theSolverReachesTheTheoremsOptimum() async {
    await propertyCheck(count: 10, input: binaryInstances) { Self.solveProperty($0) }
    replay(binaryInstances, seed: 32, count: 4) { Self.solveProperty($0) }
  }

  /// At the solver's optimum the Hessian is positive definite: a strict local minimum.
  static func hessianProperty(_ instance: BinaryInstance) {
    let problem = DefaultProblem(
      dx: instance.model.dx, depth: instance.depth, lambda: instance.lambda,
      label: instance.positive ? 1 : -1, seed: instance.seed)
    let result = StructuredLBFGS().minimize(
      problem.model, from: problem.start, until: ConvergenceTest())
    do {
      let h = try HessianSpectrum.compute(problem.model, at: result.optimum)
      #expect(h.verdict == "strict local minimum", "\(instance): μ_min = \(h.min_eigenvalue)")
    } catch {
      Issue.record("\(instance): \(error)")
    }
  }

  @Test func theOptimumIsAStrictLocalMinimum() async {
    await propertyCheck(count: 10, input: binaryInstances) { Self.hessianProperty($0) }
    replay(binaryInstances, seed: 33, count: 4) { Self.hessianProperty($0) }
  }
}
