// Goals, in order of priority: never accept a step that is not a descent step; keep working when
// differences of F are at rounding level (near a minimum, F changes by ‖∇F‖²/λ, which at
// ‖∇F‖ = 1e-9 is below the rounding error of F itself), by trusting the directional derivative,
// which stays accurate; few evaluations (a unit step is usually accepted at once by L-BFGS).

/// One trial of a line search: φ(t) = F(x + t·d) and φ′(t) = ∇F(x + t·d)ᵀd.
struct LineSearchTrial: Sendable, Equatable {
  var step: Double
  var value: Double
  var slope: Double
}

/// A line search for the weak Wolfe conditions, with Hager and Zhang's approximate Wolfe
/// conditions as an alternative to the sufficient-decrease test.
///
/// A step t is accepted when φ′(t) ≥ σ·φ′(0) (curvature) and either
/// φ(t) ≤ φ(0) + c₁·t·φ′(0) (Armijo) or φ(t) ≤ φ(0) + ε·|φ(0)| and φ′(t) ≤ (2δ − 1)·φ′(0)
/// (approximate Armijo: for a quadratic φ it is Armijo's condition with c₁ = δ, written with the
/// derivative, so it does not depend on differences of F).
/// A trial that fails the decrease test, or is not finite, closes the bracket from above; one that
/// passes it but is still steep (φ′(t) < σ·φ′(0)) opens it from below. Inside a bracket the next
/// trial is the secant root of φ′, kept in the middle 80 % of the bracket, else the midpoint.
///
/// References: W. W. Hager and H. Zhang, "A new conjugate gradient method with guaranteed descent
/// and an efficient line search", SIAM J. Optim. 16 (2005) 170–192, conditions (T1)–(T2);
/// J. Nocedal and S. J. Wright, Numerical Optimization (2006), §3.1 and Algorithm 3.6.
struct WolfeLineSearch: Sendable {
  /// c₁ of Armijo's condition.
  var sufficientDecrease = 1e-4
  /// σ of the curvature condition.
  var curvature = 0.9
  /// δ of the approximate Armijo condition.
  var approximateDecrease = 0.1
  /// ε: how far above φ(0), relative to |φ(0)|, the approximate condition lets φ(t) be
  /// (an allowance for the rounding error of F).
  var valueAllowance = 1e-10
  /// The trial budget.
  var maxEvaluations = 40

  enum Outcome: Equatable {
    /// The last evaluated trial satisfies the conditions (the caller's buffers hold its state).
    case accepted(LineSearchTrial)
    /// No acceptable step within the budget or the bracket collapsed; `nonFinite` when the last
    /// trial gave a non-finite φ or φ′ (the objective broke down rather than the search).
    case failed(nonFinite: Bool)
  }

  /// Searches along a descent direction (φ′(0) < 0) from `initialStep`. `evaluate(t)` computes
  /// φ(t) and φ′(t) at x + t·d and keeps that point's state; the accepted trial is always the last
  /// one evaluated.
  func search(
    value phi0: Double, slope slope0: Double, initialStep: Double,
    evaluate: (Double) -> LineSearchTrial
  ) -> (outcome: Outcome, evaluations: Int) {
    precondition(slope0 < 0, "the search direction must be a descent direction")
    var lo = 0.0
    var slopeLo = slope0
    var hi = Double.infinity
    var slopeHi = Double.nan
    var t = initialStep
    let allowance = phi0 + valueAllowance * abs(phi0)
    for evaluation in 1...maxEvaluations {
      let trial = evaluate(t)
      if !trial.value.isFinite || !trial.slope.isFinite {
        hi = t
        slopeHi = .nan
        t = lo + 0.1 * (t - lo)
        if t <= lo || evaluation == maxEvaluations {
          return (.failed(nonFinite: true), evaluation)
        }
        continue
      }
      let armijo = trial.value <= phi0 + sufficientDecrease * t * slope0
      let approximate =
        trial.value <= allowance && trial.slope <= (2 * approximateDecrease - 1) * slope0
      let decreased = armijo || approximate
      if decreased && trial.slope >= curvature * slope0 {
        return (.accepted(trial), evaluation)
      }
      if decreased {
        // Too short: still descending steeply.
        lo = t
        slopeLo = trial.slope
      } else {
        hi = t
        slopeHi = trial.slope
      }
      if hi.isInfinite {
        // Extrapolate: the secant root of φ′ through (0, φ′(0)) and (t, φ′(t)), between 2t and 10t.
        let secant = trial.slope > slope0 ? t * slope0 / (slope0 - trial.slope) : .infinity
        t = min(max(secant, 2 * t), 10 * t)
        continue
      }
      let width = hi - lo
      if width <= 1e-15 * hi { return (.failed(nonFinite: false), evaluation) }
      var next = lo + width / 2
      if slopeHi.isFinite && slopeHi > slopeLo && slopeHi >= 0 {
        let secant = lo - slopeLo * width / (slopeHi - slopeLo)
        if secant.isFinite { next = min(max(secant, lo + 0.1 * width), hi - 0.1 * width) }
      }
      t = next
    }
    return (.failed(nonFinite: false), maxEvaluations)
  }
}
