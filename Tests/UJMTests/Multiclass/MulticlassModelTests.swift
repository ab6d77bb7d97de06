import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

@Suite("The multi-class UJM: objective, gradient, Definition 3.2 at C = 2, N = 1")
struct MulticlassModelTests {
  @Test func gradientMatchesCentralFiniteDifferences() {
    var worst = 0.0
    for seed in UInt64(0)..<20 {
      let (model, x) = multiclassCase(
        classes: 2 + Int(seed % 3), perClass: 1 + Int(seed % 2), dimension: 1 + Int(seed % 5),
        depth: 1 + Int(seed % 3), seed: seed)
      let g = model.valueAndGradient(at: x).gradient
      worst = max(worst, relativeError(g, finiteDifferenceGradient(model, at: x)))
    }
    print("multi-class gradient against central differences: worst relative error \(worst)")
    #expect(worst < 1e-7, "worst relative gradient error \(worst), tolerance 1e-7")
  }

  @Test func finiteDifferencesDetectAGradientWithoutTheDecayOfW() {
    let (model, x) = multiclassCase(classes: 3, perClass: 1, dimension: 3, depth: 2, seed: 9)
    var g = model.valueAndGradient(at: x).gradient
    let w = model.depth * model.dimension * model.dimension
    for k in w..<x.count { g[k] -= model.lambda * x[k] }
    let error = relativeError(g, finiteDifferenceGradient(model, at: x))
    #expect(error > 1e-4, "measured \(error): a wrong gradient must be caught")
  }

  @Test func flatEvaluationMatchesTheMatrixDefinition() {
    for seed in UInt64(30)..<40 {
      let (model, x) = multiclassCase(classes: 4, perClass: 2, dimension: 3, depth: 2, seed: seed)
      let flat = model.value(at: x)
      let reference = model.objective(at: model.point(from: x))
      #expect(abs(flat - reference) <= 1e-13 * max(1, abs(reference)), "\(flat) vs \(reference)")
      #expect(model.flatten(model.point(from: x)) == x)
    }
  }

  /// Definition 3.2 at C = 2, N = 1: F_C=2(J, [−w̃/√2; w̃/√2]) = F_Def3.2(J, w̃; √2·Δx).
  @Test func twoClassesOneInputIsDefinition32AtRootTwoDx() throws {
    var worst = 0.0
    for seed in UInt64(50)..<60 {
      let (model, _) = multiclassCase(
        classes: 2, perClass: 1, dimension: 3, depth: 2, seed: seed)
      // N = 1: keep the first input only, with label seed % 2.
      let single = MulticlassUnconstrainedJacobiansModel(
        inputs: Matrix(rows: 3, columns: 1, storage: model.inputs.column(0)),
        labels: [Int(seed % 2)], classes: 2, lambda: model.lambda, depth: 2)
      let binary = try #require(single.binaryCorrespondence())
      #expect(binary.label == (seed % 2 == 1 ? 1 : -1))
      var rng = SeededGenerator(seed: seed)
      let xb: [Double] = Gaussian.sample(binary.parameterCount, using: &rng)
      let fb = binary.value(at: xb)
      let fm = single.objective(at: single.point(fromBinary: binary.point(from: xb)))
      worst = max(worst, abs(fm - fb) / max(1, abs(fb)))
    }
    #expect(worst < 1e-14, "measured \(worst), tolerance 1e-14")
  }

  @Test func twoClassesOneInputReachesTheReducedOracleAtRootTwoDx() throws {
    var rng = SeededGenerator(seed: 3)
    let dx: [Double] = Gaussian.sample(6, standardDeviation: (1 / 6.0).squareRoot(), using: &rng)
    let problem = MulticlassProblem(
      inputs: Matrix(rows: 6, columns: 1, storage: dx), labels: [1], classes: 2, depth: 3,
      lambda: 0.05, seed: 3)
    let (report, _) = try MulticlassSolveRun(
      problem: problem, algorithm: .lbfgs, test: ConvergenceTest()
    ).run()
    let oracle = ReducedProblem(depth: 3, lambda: 0.05, dxNorm: dx.euclideanNorm * 2.0.squareRoot())
      .minimize()
    let gap = report.objective - oracle.objective
    print("C = 2, N = 1: F = \(report.objective), f*(√2‖Δx‖) = \(oracle.objective), gap \(gap)")
    #expect(abs(gap) <= 1e-10 * max(1, oracle.objective), "gap \(gap), tolerance 1e-10")
    #expect(report.multiclass.binary_optimum == oracle.objective)
    for block in report.multiclass.blocks {
      #expect(abs(block.singular_values[0] - oracle.s) <= 1e-6 * oracle.s)
    }
    #expect(report.succeeded)
    // And at ‖Δx‖ itself (the unscaled binary model) the optimum is different: the √2 matters.
    let unscaled = ReducedProblem(depth: 3, lambda: 0.05, dxNorm: dx.euclideanNorm).minimize()
    #expect(abs(report.objective - unscaled.objective) > 1e-4)
  }

  @Test func sameSeedSameBitsAndStartsDiffer() throws {
    let a = MulticlassProblem(
      classes: 3, examplesPerClass: 2, dimension: 5, depth: 2, lambda: 0.1, seed: 7)
    let b = MulticlassProblem(
      classes: 3, examplesPerClass: 2, dimension: 5, depth: 2, lambda: 0.1, seed: 7)
    #expect(a.model == b.model && a.starts == b.starts)
    #expect(a.starts.count == MulticlassProblem.defaultStarts)
    #expect(Set(a.starts).count == a.starts.count)
    let c = MulticlassProblem(
      classes: 3, examplesPerClass: 2, dimension: 5, depth: 2, lambda: 0.1, seed: 8)
    #expect(c.model != a.model)
    let run = MulticlassSolveRun(problem: a, algorithm: .lbfgs, test: ConvergenceTest())
    let (r1, x1) = try run.run()
    let (r2, x2) = try run.run()
    #expect(x1 == x2 && r1.objective.bitPattern == r2.objective.bitPattern)
  }

  @Test func theBestStartIsTheConvergedOneWithTheSmallestObjective() {
    func result(_ f: Double, converged: Bool) -> SolveResult {
      SolveResult(
        optimum: [], objective: f, gradientNorm: 0, iterations: 0, evaluations: 0,
        stopReason: converged ? .converged(gradientNorm: 0) : .iterationLimit, history: [])
    }
    let results = [
      result(1.0, converged: true), result(0.5, converged: false), result(0.7, converged: true),
      result(.nan, converged: true),
    ]
    #expect(MulticlassSolveRun.best(results) == 2)
    #expect(
      MulticlassSolveRun.best([result(2, converged: false), result(1, converged: false)]) == 1)
    // Ties go to the lowest start index, so the choice does not depend on which thread
    // finished first.
    #expect(
      MulticlassSolveRun.best([
        result(1, converged: true), result(0.5, converged: true), result(0.5, converged: true),
      ]) == 1)
  }

  /// Every start's report and the returned point, as bit patterns.
  private func bits(_ run: MulticlassSolveRun) throws -> [UInt64] {
    let (report, x) = try run.run()
    return x.map(\.bitPattern) + [UInt64(report.best_start)]
      + report.starts.flatMap {
        [$0.objective.bitPattern, $0.gradient_norm.bitPattern, UInt64($0.iterations)]
      }
  }

  @Test func theSameSeedGivesTheSameBitsAtAnyThreadCount() throws {
    let problem = MulticlassProblem(
      classes: 3, examplesPerClass: 2, dimension: 6, depth: 2, lambda: 1e-2, seed: 11, starts: 5)
    let run = MulticlassSolveRun(problem: problem, algorithm: .lbfgs, test: ConvergenceTest())
    var reference = run
    reference.threads = 1
    let expected = try bits(reference)
    for threads in [2, 3, 8] {
      var parallel = run
      parallel.threads = threads
      let differing = zip(try bits(parallel), expected).filter { $0 != $1 }.count
      print(
        "\(parallel.parallelStarts) starts at once against 1: \(differing) differing words of "
          + "\(expected.count), tolerance 0")
      #expect(differing == 0, "measured \(differing) at \(threads) threads")
    }
    #expect(
      MulticlassSolveRun(problem: problem, algorithm: .lbfgs, test: ConvergenceTest(), threads: 8)
        .parallelStarts == 5)
  }

  @Test func theSameBitwiseComparisonDetectsAStartOneUlpAway() throws {
    // The counterexample: the last start moved by one ulp in one entry, solved in parallel.
    var problem = MulticlassProblem(
      classes: 3, examplesPerClass: 2, dimension: 6, depth: 2, lambda: 1e-2, seed: 11, starts: 5)
    let expected = try bits(
      MulticlassSolveRun(
        problem: problem, algorithm: .lbfgs, test: ConvergenceTest(), threads: 1))
    problem.starts[4][0] = problem.starts[4][0].nextUp
    let moved = try bits(
      MulticlassSolveRun(
        problem: problem, algorithm: .lbfgs, test: ConvergenceTest(), threads: 3))
    let differing = zip(moved, expected).filter { $0 != $1 }.count
    print("a start one ulp away, 3 threads: \(differing) differing words, must exceed 0")
    #expect(differing > 0, "measured \(differing)")
  }
}
