// Goals, in order of priority: the textbook method, exactly as stated (a baseline that others are
// measured against); never return a non-finite point; reach the gradient tolerance even where
// differences of F are at rounding level; one evaluation per trial step.

/// Gradient descent, with a fixed step η or with a backtracking (Armijo) line search.
///
/// x ← x − η∇F(x). With `.backtracking`, η starts from twice the last accepted step and halves
/// until F(x − η∇F) ≤ F(x) − c·η‖∇F‖² (Armijo's condition, c = 1e-4). Near a minimum that
/// difference of F falls below F's rounding error (‖∇F‖²/λ ≈ 1e-16 at ‖∇F‖ = 1e-9), so a trial
/// whose F is within 1e-10·|F| of F(x) is also accepted when Hager and Zhang's approximate Armijo
/// condition holds: ∇F(x − η∇F)ᵀ∇F(x) ≥ −(1 − 2δ)‖∇F(x)‖², δ = 0.1 (for a quadratic this is
/// Armijo's condition with c = δ, written with the gradient, which stays accurate). An iterate
/// sequence that improves neither F nor ‖∇F‖ for 50 iterations is a stall (`ProgressMonitor`;
/// backtracking only: a fixed step is the textbook method without safeguards).
public struct GradientDescent: Minimizer {
  public enum StepRule: Sendable, Equatable {
    /// A constant step η.
    case fixed(Double)
    /// Armijo backtracking from an initial trial step.
    case backtracking(initialStep: Double)
  }

  public var rule: StepRule

  public init(rule: StepRule) { self.rule = rule }

  public var name: String {
    if case .fixed = rule { return "gd-fixed" }
    return "gd"
  }

  public func minimize(
    _ objective: some Objective, from start: [Double], until test: ConvergenceTest
  ) -> SolveResult {
    var x = start
    var (f, g) = objective.valueAndGradient(at: x)
    var evaluations = 1
    var gnorm = VectorKernels.norm(g)
    var history = [IterationRecord(iteration: 0, objective: f, gradientNorm: gnorm, step: 0)]
    guard f.isFinite, gnorm.isFinite else {
      return SolveResult(
        optimum: x, objective: f, gradientNorm: gnorm, iterations: 0, evaluations: evaluations,
        stopReason: .nonFinite(iteration: 0), history: history)
    }
    var trial = x
    var eta: Double
    switch rule {
    case .fixed(let e): eta = e
    case .backtracking(let e): eta = e
    }
    var iteration = 0
    var reason: StopReason = .iterationLimit
    var progress = ProgressMonitor()
    while true {
      if let stop = test.stopReason(objective: f, gradientNorm: gnorm) {
        reason = stop
        break
      }
      if iteration >= test.maxIterations { break }
      iteration += 1
      var accepted = false
      var fNew = f
      var gNew = g
      switch rule {
      case .fixed(let e):
        VectorKernels.step(x, -e, g, into: &trial)
        (fNew, gNew) = objective.valueAndGradient(at: trial)
        evaluations += 1
        accepted = fNew.isFinite && VectorKernels.allFinite(gNew)
        eta = e
      case .backtracking:
        eta *= 2
        let g2 = gnorm * gnorm
        var haveGradient = false
        var lastFinite = true
        for _ in 0..<60 {
          VectorKernels.step(x, -eta, g, into: &trial)
          let fTrial = objective.value(at: trial)
          evaluations += 1
          lastFinite = fTrial.isFinite
          if fTrial.isFinite && fTrial <= f - 1e-4 * eta * g2 {
            accepted = true
            break
          }
          if fTrial.isFinite && fTrial <= f + 1e-10 * abs(f) {
            // Rounding level: decide with the directional derivative instead.
            (fNew, gNew) = objective.valueAndGradient(at: trial)
            evaluations += 1
            if fNew.isFinite && VectorKernels.dot(gNew, g) >= -(1 - 2 * 0.1) * g2 {
              accepted = true
              haveGradient = true
              break
            }
          }
          eta /= 2
        }
        if accepted && !haveGradient {
          (fNew, gNew) = objective.valueAndGradient(at: trial)
          evaluations += 1
        }
        if accepted {
          accepted = fNew.isFinite && VectorKernels.allFinite(gNew)
        } else if lastFinite {
          reason = .stalled(gradientNorm: gnorm)
        }
      }
      if !accepted {
        if case .stalled = reason { break }
        reason = .nonFinite(iteration: iteration)
        break
      }
      swap(&x, &trial)
      f = fNew
      g = gNew
      gnorm = VectorKernels.norm(g)
      history.append(
        IterationRecord(iteration: iteration, objective: f, gradientNorm: gnorm, step: eta * gnorm))
      if case .backtracking = rule, progress.record(objective: f, gradientNorm: gnorm),
        test.stopReason(objective: f, gradientNorm: gnorm) == nil
      {
        reason = .stalled(gradientNorm: gnorm)
        break
      }
    }
    return SolveResult(
      optimum: x, objective: f, gradientNorm: gnorm, iterations: iteration,
      evaluations: evaluations, stopReason: reason, history: history)
  }
}
