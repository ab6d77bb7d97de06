import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

/// Small default problems: L = 4, λ = 0.1, D = 6, both labels (fast in debug builds).
private func smallProblem(label: Double, seed: UInt64 = 3) -> DefaultProblem {
  DefaultProblem(depth: 4, lambda: 0.1, dimension: 6, label: label, seed: seed)
}

@Suite("Solvers reach the reduced optimum f* of Theorem 3.3", .serialized)
struct SolverConvergenceTests {
  @Test func everyAlgorithmButSteepestConvergesToTheReducedOptimum() {
    let test = ConvergenceTest(gradientTolerance: 1e-9, maxIterations: 100_000)
    let algorithms = SolverAlgorithm.allCases.filter { $0 != .steepest }
    for algorithm in algorithms {
      let label = "algorithm = \(algorithm)"
      for y in [1.0, -1.0] {
        let problem = smallProblem(label: y)
        let fStar = problem.reduced.minimize().objective
        let result = algorithm.minimizer(step: 0.5).minimize(
          problem.model, from: problem.start, until: test)
        #expect(result.stopReason.isConverged, "\(label), y = \(y): \(result.stopReason)")
        #expect(result.gradientNorm <= 1e-9, "\(label), y = \(y): ‖∇F‖ = \(result.gradientNorm)")
        let gap = result.objective - fStar
        #expect(abs(gap) <= 1e-10 * max(1, fStar), "\(label), y = \(y): F − f* = \(gap)")
        // The reported F and ‖∇F‖ are those of the returned point.
        let (f, g) = problem.model.valueAndGradient(at: result.optimum)
        #expect(abs(f - result.objective) <= 1e-14 * max(1, abs(f)), "\(label): F mismatch")
        #expect(abs(g.euclideanNorm - result.gradientNorm) <= 1e-12, "\(label): ‖∇F‖ mismatch")
      }
    }
  }

  @Test func steepestDescentEndsAboveTheReducedOptimum() {
    let problem = smallProblem(label: 1)
    let fStar = problem.reduced.minimize().objective
    let result = SolverAlgorithm.steepest.minimizer(step: 0.5).minimize(
      problem.model, from: problem.start,
      until: ConvergenceTest(gradientTolerance: 1e-9, maxIterations: 2000))
    let finite = result.optimum.allSatisfy { $0.isFinite }
    #expect(finite)
    #expect(result.objective >= fStar - 1e-13, "F − f* = \(result.objective - fStar)")
  }

  @Test func objectiveTargetStopsEveryAlgorithmWithReachedTarget() {
    let problem = smallProblem(label: 1)
    let fStar = problem.reduced.minimize().objective
    let test = ConvergenceTest(
      gradientTolerance: 1e-300, maxIterations: 100_000, objectiveTarget: fStar + 1e-6)
    for algorithm in SolverAlgorithm.allCases {
      let label = "algorithm = \(algorithm)"
      let result = algorithm.minimizer(step: 0.5).minimize(
        problem.model, from: problem.start, until: test)
      #expect(result.stopReason == .reachedTarget(objective: result.objective), "\(label)")
      #expect(result.objective - fStar < 1e-6, "\(label): F − f* = \(result.objective - fStar)")
    }
  }

  @Test func gslStallIsPolishedToTheTolerance() {
    // At a tolerance of 1e-12 GSL's line search stalls (F differences below rounding); the
    // polishing phase must take over and say so.
    let problem = smallProblem(label: 1)
    let test = ConvergenceTest(gradientTolerance: 1e-12, maxIterations: 100_000)
    let plain = GSLMinimizer(algorithm: .bfgs2, polish: false).minimize(
      problem.model, from: problem.start, until: test)
    let polished = GSLMinimizer(algorithm: .bfgs2).minimize(
      problem.model, from: problem.start, until: test)
    #expect(plain.stopReason.name == "stalled", "without polishing: \(plain.stopReason)")
    #expect(polished.stopReason.isConverged, "with polishing: \(polished.stopReason)")
    #expect(polished.polishIterations > 0)
    #expect(polished.gradientNorm <= 1e-12, "‖∇F‖ = \(polished.gradientNorm)")
  }
}

@Suite("The structured L-BFGS works in span{Jᵢ⁰} + rank-one gradient terms, exactly", .serialized)
struct StructuredSolverTests {
  /// A basis with the start and three further bundles committed, and a coefficient vector.
  private func basisWithBundles(
    _ problem: DefaultProblem, using generator: inout SeededGenerator
  ) -> RankOneBundleBasis {
    var basis = RankOneBundleBasis(model: problem.model, start: problem.start, capacity: 8)
    let d = problem.model.dimension
    for _ in 0..<4 {
      let c = randomCoefficients(basis, using: &generator)
      let w: [Double] = Gaussian.sample(d, standardDeviation: 0.5, using: &generator)
      basis.commit(basis.evaluate(coefficients: c, w: w))
    }
    return basis
  }

  private func randomCoefficients(
    _ basis: RankOneBundleBasis, using generator: inout SeededGenerator
  ) -> [Double] {
    var c = [Double](repeating: 0, count: basis.coefficientLength)
    let draws: [Double] = Gaussian.sample(
      basis.activeCount, standardDeviation: 0.3, using: &generator)
    for k in 0..<basis.activeCount { c[k] = draws[k] }
    return c
  }

  private func gramForm(_ basis: RankOneBundleBasis, _ u: [Double], _ v: [Double]) -> Double {
    var s = 0.0
    for j in 0..<basis.activeCount {
      for k in 0..<basis.activeCount {
        s += u[j] * basis.gram[j * (basis.capacity + 1) + k] * v[k]
      }
    }
    return s
  }

  @Test func evaluationEqualsDenseEvaluationOfTheMaterialisedPoint() {
    var generator = testGenerator()
    let problem = smallProblem(label: -1)
    let model = problem.model
    var basis = basisWithBundles(problem, using: &generator)
    let c = randomCoefficients(basis, using: &generator)
    let w: [Double] = Gaussian.sample(model.dimension, standardDeviation: 0.5, using: &generator)
    let e = basis.evaluate(coefficients: c, w: w)
    let point = basis.materialize(coefficients: c, w: w)
    let (f, g) = model.valueAndGradient(at: point)
    let fGram = e.loss + model.lambda / 2 * (gramForm(basis, c, c) + w.dot(w))
    #expect(abs(fGram - f) <= 1e-13 * max(1, abs(f)), "F: Gram form \(fGram), dense \(f)")
    #expect(
      abs(e.logit - model.logit(at: model.point(from: point))) <= 1e-13 * max(1, abs(e.logit)))
    // ∇F = λ·(c, w) + ℓ′·(E_new, a_L), materialised.
    basis.commit(e)
    var gc = c.map { model.lambda * $0 }
    gc[basis.count] += e.lossDerivative
    let gw = zip(w, e.output).map { model.lambda * $0 + e.lossDerivative * $1 }
    let gStructured = basis.materialize(coefficients: gc, w: gw)
    let error = relativeError(gStructured, g, floor: 1e-300)
    #expect(error <= 1e-12, "∇F: relative error \(error)")
    // Counterexample: a different coefficient gives a different point, so the comparison can fail.
    var other = c
    other[1] += 1e-3
    let moved = basis.materialize(coefficients: other, w: w)
    #expect(relativeError(moved, point) > 1e-6)
  }

  @Test func gramMatrixGivesTheFrobeniusInnerProducts() {
    var generator = testGenerator(7)
    let problem = smallProblem(label: 1)
    let basis = basisWithBundles(problem, using: &generator)
    let zero = [Double](repeating: 0, count: problem.model.dimension)
    let u = randomCoefficients(basis, using: &generator)
    let v = randomCoefficients(basis, using: &generator)
    let dense = basis.materialize(coefficients: u, w: zero).dot(
      basis.materialize(coefficients: v, w: zero))
    let gram = gramForm(basis, u, v)
    #expect(abs(dense - gram) <= 1e-13 * max(1, abs(dense)), "uᵀGv \(gram), dense \(dense)")
  }

  @Test func iteratesMatchDenseLBFGSFromTheSameStart() {
    // Same method, same line search, same start: the first iterations agree to rounding.
    let problem = smallProblem(label: 1)
    let test = ConvergenceTest(gradientTolerance: 1e-300, maxIterations: 8)
    let structured = StructuredLBFGS(memory: 10).minimize(
      problem.model, from: problem.start, until: test)
    let dense = LBFGSMinimizer(memory: 10).minimize(problem.model, from: problem.start, until: test)
    #expect(structured.history.count == 9, "8 iterations and the start")
    #expect(structured.history.count == dense.history.count)
    for (s, d) in zip(structured.history, dense.history) {
      #expect(
        abs(s.objective - d.objective) <= 1e-12 * abs(d.objective), "iteration \(s.iteration)")
      #expect(
        abs(s.gradientNorm - d.gradientNorm) <= 1e-8 * d.gradientNorm, "iteration \(s.iteration)")
    }
    let error = relativeError(structured.optimum, dense.optimum)
    #expect(error <= 1e-10, "iterate 8: relative difference \(error)")
  }
}

/// An objective that returns NaN from its `finiteEvaluations + 1`-th evaluation on.
private final class FailingObjective: Objective, @unchecked Sendable {
  let model: UnconstrainedJacobiansModel
  let finiteEvaluations: Int
  private(set) var evaluations = 0

  init(model: UnconstrainedJacobiansModel, finiteEvaluations: Int) {
    self.model = model
    self.finiteEvaluations = finiteEvaluations
  }

  var parameterCount: Int { model.parameterCount }

  func valueAndGradient(at x: Span<Double>, gradient: inout MutableSpan<Double>) -> Double {
    evaluations += 1
    let f = model.valueAndGradient(at: x, gradient: &gradient)
    return evaluations > finiteEvaluations ? .nan : f
  }

  func value(at x: Span<Double>) -> Double {
    evaluations += 1
    let f = model.value(at: x)
    return evaluations > finiteEvaluations ? .nan : f
  }
}

/// F(x) = |x₁ − 0.3| + 1 + Σ_{k>1} x_k², with the one-sided derivative 1 at the kink: no line
/// search can make progress at x₁ = 0.3, where ‖∇F‖ ≥ 1.
private struct KinkObjective: Objective {
  var parameterCount: Int { 3 }

  func valueAndGradient(at x: Span<Double>, gradient: inout MutableSpan<Double>) -> Double {
    gradient[0] = x[0] >= 0.3 ? 1 : -1
    gradient[1] = 2 * x[1]
    gradient[2] = 2 * x[2]
    return abs(x[0] - 0.3) + 1 + x[1] * x[1] + x[2] * x[2]
  }
}

@Suite("Solvers report failures honestly", .serialized)
struct SolverFailureTests {
  @Test func nonFiniteObjectiveStopsAtTheLastFinitePoint() {
    let problem = smallProblem(label: 1)
    let test = ConvergenceTest(gradientTolerance: 1e-9, maxIterations: 100_000)
    let minimizers: [any Minimizer] =
      SolverAlgorithm.allCases.map { $0.minimizer(step: 0.5) } + [LBFGSMinimizer()]
    for minimizer in minimizers {
      let label = "solver = \(minimizer.name)"
      let objective = FailingObjective(model: problem.model, finiteEvaluations: 12)
      let result = minimizer.minimize(objective, from: problem.start, until: test)
      #expect(result.stopReason.name == "non_finite", "\(label): \(result.stopReason)")
      let finite = result.optimum.allSatisfy { $0.isFinite }
      #expect(finite, "\(label): non-finite optimum")
      #expect(result.objective.isFinite, "\(label): F = \(result.objective)")
      // The point returned is one the solver had evaluated: its F is the one reported.
      let f = problem.model.value(at: result.optimum)
      #expect(
        abs(f - result.objective) <= 1e-14 * abs(f), "\(label): F \(result.objective) vs \(f)")
    }
  }

  @Test func kinkIsReportedAsStalled() {
    let test = ConvergenceTest(gradientTolerance: 1e-9, maxIterations: 10_000)
    let minimizers: [any Minimizer] = [
      LBFGSMinimizer(), StructuredLBFGS(), GradientDescent(rule: .backtracking(initialStep: 1)),
      GSLMinimizer(algorithm: .bfgs2, polish: false),
    ]
    for minimizer in minimizers {
      let result = minimizer.minimize(KinkObjective(), from: [1, 0.5, -0.5], until: test)
      #expect(result.stopReason.name == "stalled", "\(minimizer.name): \(result.stopReason)")
      #expect(result.gradientNorm >= 1, "\(minimizer.name): ‖∇F‖ = \(result.gradientNorm)")
    }
  }
}
