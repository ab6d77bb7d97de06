import Foundation
import LinearAlgebra

/// The algorithms `ujm solve --algorithm` offers.
public enum SolverAlgorithm: String, Sendable, CaseIterable {
  case lbfgs, bfgs2
  case cgFR = "cg-fr"
  case cgPR = "cg-pr"
  case steepest, gd
  case gdFixed = "gd-fixed"

  /// The minimiser for this algorithm; `step` is η for `gd-fixed`.
  public func minimizer(step: Double) -> any Minimizer {
    switch self {
    case .lbfgs: StructuredLBFGS()
    case .bfgs2: GSLMinimizer(algorithm: .bfgs2)
    case .cgFR: GSLMinimizer(algorithm: .conjugateFR)
    case .cgPR: GSLMinimizer(algorithm: .conjugatePR)
    case .steepest: GSLMinimizer(algorithm: .steepestDescent)
    case .gd: GradientDescent(rule: .backtracking(initialStep: 1))
    case .gdFixed: GradientDescent(rule: .fixed(step))
    }
  }
}

/// Solves one UJM instance, checks Theorem 3.3 at the optimum, and reports.
public struct UJMSolveRun: Sendable {
  public var problem: DefaultProblem
  public var algorithm: SolverAlgorithm
  public var test: ConvergenceTest
  public var step: Double
  public var perturbation: Double
  public var tolerances: Theorem33Tolerances
  /// Compute the Hessian's extreme eigenvalues at the returned point (`HessianSpectrum`).
  public var hessian: Bool

  public init(
    problem: DefaultProblem, algorithm: SolverAlgorithm, test: ConvergenceTest, step: Double = 0.5,
    perturbation: Double = 0, tolerances: Theorem33Tolerances = Theorem33Tolerances(),
    hessian: Bool = false
  ) {
    self.hessian = hessian
    self.problem = problem
    self.algorithm = algorithm
    self.test = test
    self.step = step
    self.perturbation = perturbation
    self.tolerances = tolerances
  }

  /// Runs the solver, then the checks. The seconds reported time the solver alone.
  public func run() throws(LAPACKError) -> (report: SolveReport, result: SolveResult) {
    let model = problem.model
    let reduced = problem.reduced.minimize()
    let minimizer = algorithm.minimizer(step: step)
    let clock = ContinuousClock()
    let started = clock.now
    let result = minimizer.minimize(model, from: problem.start, until: test)
    let elapsed = clock.now - started
    let seconds =
      elapsed.secondsValue

    var point = model.point(from: result.optimum)
    var objective = result.objective
    var gradientNorm = result.gradientNorm
    if perturbation > 0 {
      var generator = SeededGenerator(seed: problem.seed &+ 0x9E37_79B9)
      point = perturbed(point, relativeSize: perturbation, using: &generator)
      let (f, g) = model.valueAndGradient(at: model.flatten(point))
      objective = f
      gradientNorm = g.euclideanNorm
    }
    var tolerances = self.tolerances
    tolerances.gradient = test.gradientTolerance
    let verifier = Theorem33Verifier(model: model, reduced: reduced, tolerances: tolerances)
    let checks = try verifier.checks(at: point, objective: objective, gradientNorm: gradientNorm)
    var report = SolveReport(
      L: model.depth, lambda: model.lambda, D: model.dimension, label: Int(model.label),
      seed: problem.seed, algorithm: algorithm.rawValue, dx_norm: model.dx.euclideanNorm,
      objective: objective,
      reduced: .init(
        objective: reduced.objective, s: reduced.s, t: reduced.t,
        gradient_norm: reduced.gradientNorm),
      gap: objective - reduced.objective, gradient_norm: gradientNorm,
      iterations: result.iterations, evaluations: result.evaluations, restarts: result.restarts,
      polish_iterations: result.polishIterations,
      stopReason: result.stopReason.kind, seconds: seconds, perturb: perturbation,
      checks: checks, blas: .current)
    if hessian {
      var spectrum = try HessianSpectrum.compute(
        model, at: model.flatten(point), seed: problem.seed)
      spectrum.reduced_eigenvalues = problem.reduced.normalizedHessianEigenvalues(
        s: reduced.s, t: reduced.t)
      report.hessian = spectrum
    }
    return (report, result)
  }
}

extension SolverAlgorithm {
  /// The fastest algorithm that converges reliably on the default problem (see the README):
  /// the structured L-BFGS (`StructuredLBFGS`). `Benchmarks/Sources/SolveBenchmark` measures it
  /// against every other algorithm, with gradient descent as the baseline.
  public static var defaultAlgorithm: SolverAlgorithm { .lbfgs }
}
