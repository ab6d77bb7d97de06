import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

/// The checks by name fragment.
private func check(_ checks: [CheckResult], _ fragment: String) throws -> CheckResult {
  try #require(checks.first { $0.name.contains(fragment) }, "no check named …\(fragment)…")
}

@Suite("Multi-class UJM checks: rank ≤ C−1, 1ᵀW = 0 (proved); equal, aligned, symmetric (observed)")
struct MulticlassCheckTests {
  let optimum = referenceSolve.1
  var problem: MulticlassUnconstrainedJacobiansModel {
    MulticlassProblem(
      classes: 3, examplesPerClass: 2, dimension: 12, depth: 3, lambda: 1e-2, seed: 0
    ).model
  }

  @Test func theReferenceSolvePassesEveryCheck() {
    let r = referenceSolve.0
    for c in r.checks + r.observed { print(c.summary) }
    print(
      "reference solve: F = \(r.objective), σ(J_i) = \(r.multiclass.blocks.map(\.singular_values))"
    )
    #expect(r.stop_reason == .converged)
    #expect(r.checks.allSatisfy(\.passed) && r.observed.allSatisfy(\.passed))
    #expect(r.multiclass.blocks.allSatisfy { $0.rank == 2 })
    #expect(r.starts.count == 4 && r.starts.allSatisfy { $0.stop_reason == .converged })
  }

  /// (J₁…J_L, W) = (U·diag(s)·Uᵀ, …): a constructed point where the observed checks hold
  /// exactly and the structural proved ones too.
  @Test func aConstructedAlignedSymmetricPointPassesTheStructuralChecks() throws {
    let p = problem
    var rng = SeededGenerator(seed: 1)
    let q = try Gaussian.orthogonalMatrix(12, as: Double.self, using: &rng).leadingColumns(2)
    let j = q * Matrix.diagonal([0.9, 0.5]) * q.transposed
    var w = Matrix<Double>(rows: 3, columns: 12)
    for k in 0..<12 {
      w[0, k] = q[k, 0]
      w[1, k] = -q[k, 0] + q[k, 1]
      w[2, k] = -q[k, 1]
    }
    let x = p.flatten(MulticlassPoint(jacobians: [j, j, j], classifier: w))
    let (proved, observed, _) = try MulticlassVerifier(model: p).checks(at: x)
    for c in proved + observed { print("constructed: " + c.summary) }
    #expect(try check(proved, "rank ≤ C−1").passed)
    #expect(try check(proved, "rows of W").passed)
    let allObserved = observed.allSatisfy(\.passed)
    #expect(allObserved)
    #expect(try !check(proved, "stationary: ‖∇F‖").passed, "not a stationary point")
  }

  func checks(after change: (inout MulticlassPoint) -> Void) throws -> (
    proved: [CheckResult], observed: [CheckResult]
  ) {
    let p = problem
    var point = p.point(from: optimum)
    change(&point)
    let (proved, observed, _) = try MulticlassVerifier(model: p).checks(at: p.flatten(point))
    return (proved, observed)
  }

  @Test func aFullRankTermBreaksTheRankBound() throws {
    let (proved, _) = try checks { point in
      var rng = SeededGenerator(seed: 2)
      point.jacobians[0].add(Gaussian.matrix(rows: 12, columns: 12, using: &rng), scaledBy: 1e-3)
    }
    let rank = try check(proved, "rank ≤ C−1")
    print("counterexample: " + rank.summary)
    #expect(!rank.passed)
  }

  @Test func aCommonRowAddedToWBreaksTheRowSumButNotTheLoss() throws {
    let p = problem
    var point = p.point(from: optimum)
    let before = p.objective(at: point)
    var rng = SeededGenerator(seed: 3)
    let v: [Double] = Gaussian.sample(12, standardDeviation: 0.1, using: &rng)
    for k in 0..<3 { for c in 0..<12 { point.classifier[k, c] += v[c] } }
    let (proved, _, _) = try MulticlassVerifier(model: p).checks(at: p.flatten(point))
    let rowSum = try check(proved, "rows of W")
    print("counterexample: " + rowSum.summary)
    #expect(!rowSum.passed)
    // Only the decay changed: λ/2·(‖W + 1vᵀ‖² − ‖W‖²) = λ/2·C·‖v‖² when 1ᵀW = 0.
    let expected = before + p.lambda / 2 * 3 * v.dot(v)
    #expect(abs(p.objective(at: point) - expected) < 1e-9)
  }

  @Test func aPerturbedOptimumBreaksStationarity() throws {
    let (proved, _) = try checks { point in
      point.jacobians[1].scale(by: 1.001)
    }
    let identity = try check(proved, "stationarity identity")
    let gradient = try check(proved, "stationary: ‖∇F‖")
    print("counterexample: " + identity.summary)
    #expect(!identity.passed && !gradient.passed)
    #expect(try check(proved, "loss gradients sum to zero").passed, "1ᵀG = 0 holds everywhere")
  }

  @Test func aRescaledBlockBreaksEqualSpectraOnly() throws {
    let (_, observed) = try checks { point in point.jacobians[1].scale(by: 1.1) }
    let equal = try check(observed, "equal non-zero spectra")
    print("counterexample: " + equal.summary)
    #expect(!equal.passed)
    #expect(try check(observed, "aligned").passed && check(observed, "symmetric").passed)
  }

  @Test func aRotatedBlockBreaksAlignmentOnly() throws {
    var rng = SeededGenerator(seed: 4)
    let q = try Gaussian.orthogonalMatrix(12, as: Double.self, using: &rng)
    let (_, observed) = try checks { point in
      point.jacobians[2] = q * point.jacobians[2] * q.transposed
    }
    let aligned = try check(observed, "aligned")
    print("counterexample: " + aligned.summary)
    #expect(!aligned.passed)
    #expect(try check(observed, "equal non-zero spectra").passed)
    #expect(try check(observed, "symmetric").passed)
  }

  @Test func aOneSidedRotationBreaksSymmetry() throws {
    var rng = SeededGenerator(seed: 5)
    let q = try Gaussian.orthogonalMatrix(12, as: Double.self, using: &rng)
    let (_, observed) = try checks { point in
      for i in point.jacobians.indices { point.jacobians[i] = point.jacobians[i] * q }
    }
    let symmetric = try check(observed, "symmetric")
    print("counterexample: " + symmetric.summary)
    #expect(!symmetric.passed)
    #expect(try check(observed, "equal non-zero spectra").passed)
  }

  @Test func stationarityImpliesTheBoundAtEveryStartOfARandomInstance() throws {
    // C = 4, one input per class, D = 6, L = 2: the bound holds at whatever each start reaches.
    let problem = MulticlassProblem(
      classes: 4, examplesPerClass: 1, dimension: 6, depth: 2, lambda: 0.05, seed: 11,
      starts: 3)
    for (k, start) in problem.starts.enumerated() {
      let result = StructuredLBFGS().minimize(problem.model, from: start, until: ConvergenceTest())
      #expect(result.stopReason.isConverged, "start \(k): \(result.stopReason)")
      let (proved, _, summary) = try MulticlassVerifier(model: problem.model).checks(
        at: result.optimum)
      let allProved = proved.allSatisfy(\.passed)
      #expect(allProved, "start \(k): \(proved.map(\.summary))")
      let bounded = summary.blocks.allSatisfy { $0.rank <= 3 }
      #expect(bounded)
    }
  }
}
