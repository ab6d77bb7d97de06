// Goals, in order of priority: tell a stall from slow progress without false alarms near a
// minimum, where F changes at rounding level but ‖∇F‖ still falls.

/// Declares a stall when neither F nor ‖∇F‖ has improved on its best value for `patience`
/// consecutive iterations.
///
/// Line searches that accept steps on derivative information (approximate Wolfe conditions) can
/// take steps that change F only at rounding level; at a point where no progress is possible (a
/// kink, an inconsistent gradient) they would do so until the iteration budget runs out. A method
/// that is still converging improves ‖∇F‖ or F within a few iterations.
struct ProgressMonitor {
  var patience: Int
  private var bestObjective = Double.infinity
  private var bestGradientNorm = Double.infinity
  private var idle = 0

  init(patience: Int = 50) {
    precondition(patience >= 1, "patience must be at least 1")
    self.patience = patience
  }

  /// Records an accepted iterate; returns true when the method has stalled.
  mutating func record(objective: Double, gradientNorm: Double) -> Bool {
    var improved = false
    if objective < bestObjective {
      bestObjective = objective
      improved = true
    }
    if gradientNorm < bestGradientNorm {
      bestGradientNorm = gradientNorm
      improved = true
    }
    idle = improved ? 0 : idle + 1
    return idle >= patience
  }
}
