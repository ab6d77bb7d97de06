/// Why a solver stopped (after GSL's status codes, named for a reader).
public enum StopReason: Sendable, Equatable {
  /// ‖∇F‖ fell to the gradient tolerance.
  case converged(gradientNorm: Double)
  /// The line search could make no further progress (GSL's `GSL_ENOPROG`), even after restarts.
  case stalled(gradientNorm: Double)
  /// The iteration budget ran out first.
  case iterationLimit
  /// F or ∇F became NaN or infinite at this iteration; the result holds the last finite point.
  case nonFinite(iteration: Int)
  /// F fell to the test's `objectiveTarget` (used by benchmarks that time a solver to a gap
  /// F − f*), before ‖∇F‖ met the tolerance.
  case reachedTarget(objective: Double)

  /// The reason without its figures, as the reports record it (`stop_reason` in JSON, one
  /// word: `converged`, `stalled`, `iteration_limit`, `non_finite`, `reached_target`) and
  /// compare it.
  public enum Kind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case converged
    case stalled
    case iterationLimit = "iteration_limit"
    case nonFinite = "non_finite"
    case reachedTarget = "reached_target"

    /// The JSON word.
    public var description: String { rawValue }
  }

  /// The reason without its figures.
  public var kind: Kind {
    switch self {
    case .converged: .converged
    case .stalled: .stalled
    case .iterationLimit: .iterationLimit
    case .nonFinite: .nonFinite
    case .reachedTarget: .reachedTarget
    }
  }

  /// A one-word name for JSON (`converged`, `stalled`, `iteration_limit`, `non_finite`).
  public var name: String { kind.rawValue }

  public var isConverged: Bool {
    if case .converged = self { return true }
    return false
  }
}

/// One row of a solver's history: the state after an iteration.
public struct IterationRecord: Sendable, Equatable, Codable {
  public var iteration: Int
  public var objective: Double
  public var gradientNorm: Double
  /// The step length taken (‖Δx‖).
  public var step: Double

  public init(iteration: Int, objective: Double, gradientNorm: Double, step: Double) {
    self.iteration = iteration
    self.objective = objective
    self.gradientNorm = gradientNorm
    self.step = step
  }
}

/// What every solver returns: the optimum it reached, how, and how it got there.
public struct SolveResult: Sendable {
  /// The final point; always finite (a non-finite step stops the solver at the last finite one).
  public var optimum: [Double]
  /// F at `optimum`.
  public var objective: Double
  /// ‖∇F‖ at `optimum`.
  public var gradientNorm: Double
  public var iterations: Int
  /// Objective+gradient (or objective-only) evaluations.
  public var evaluations: Int
  public var stopReason: StopReason
  /// How often the solver restarted its line search or its curvature memory after a stall.
  public var restarts: Int
  /// The state after each iteration (iteration 0 is the starting point).
  public var history: [IterationRecord]
  /// Iterations of the final polishing phase (a dense L-BFGS with a derivative-based line search)
  /// that took over after the main method stalled or handed over; 0 when there was none.
  /// Included in `iterations`.
  public var polishIterations: Int = 0

  public init(
    optimum: [Double], objective: Double, gradientNorm: Double, iterations: Int, evaluations: Int,
    stopReason: StopReason, restarts: Int = 0, history: [IterationRecord],
    polishIterations: Int = 0
  ) {
    self.optimum = optimum
    self.objective = objective
    self.gradientNorm = gradientNorm
    self.iterations = iterations
    self.evaluations = evaluations
    self.stopReason = stopReason
    self.restarts = restarts
    self.history = history
    self.polishIterations = polishIterations
  }
}

/// The convergence test, kept apart from the iteration (as GSL's `gsl_multimin_test_gradient`).
public struct ConvergenceTest: Sendable, Equatable {
  /// Converged when ‖∇F‖₂ ≤ this.
  public var gradientTolerance: Double
  /// Give up after this many iterations.
  public var maxIterations: Int
  /// Also stop, with `.reachedTarget`, once F ≤ this (benchmarks: time to F − f* < 1e-8).
  public var objectiveTarget: Double?

  public init(
    gradientTolerance: Double = 1e-9, maxIterations: Int = 20_000, objectiveTarget: Double? = nil
  ) {
    precondition(gradientTolerance > 0, "gradient tolerance must be positive")
    precondition(maxIterations >= 0, "iteration budget must be non-negative")
    self.gradientTolerance = gradientTolerance
    self.maxIterations = maxIterations
    self.objectiveTarget = objectiveTarget
  }

  public func isConverged(gradientNorm: Double) -> Bool { gradientNorm <= gradientTolerance }

  /// Whether F has reached `objectiveTarget` (false when there is none).
  public func reachedTarget(objective: Double) -> Bool {
    guard let objectiveTarget else { return false }
    return objective <= objectiveTarget
  }

  /// The reason to stop at a point with this F and ‖∇F‖, or nil to go on. Convergence comes first.
  public func stopReason(objective: Double, gradientNorm: Double) -> StopReason? {
    if isConverged(gradientNorm: gradientNorm) { return .converged(gradientNorm: gradientNorm) }
    if reachedTarget(objective: objective) { return .reachedTarget(objective: objective) }
    return nil
  }
}

/// A minimiser of an `Objective`.
public protocol Minimizer: Sendable {
  /// A short name (`bfgs2`, `gd`, …).
  var name: String { get }
  /// Minimises from `start` until `test` is met, the budget runs out or progress stops.
  func minimize(_ objective: some Objective, from start: [Double], until test: ConvergenceTest)
    -> SolveResult
}
