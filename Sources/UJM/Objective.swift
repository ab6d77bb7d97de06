/// A smooth function to minimise, with its gradient: the interface every solver takes.
///
/// After GSL's `gsl_multimin_function_fdf`: one call returns the value and writes the gradient, so
/// that shared work (the forward pass) is done once. The point and the gradient are memory-safe
/// views (`Span`, `MutableSpan`) of the solver's own storage: no copy, no pointer.
public protocol Objective: Sendable {
  /// The number of variables.
  var parameterCount: Int { get }

  /// F(x), and ∇F(x) written into `gradient` (x and `gradient` have `parameterCount` entries).
  func valueAndGradient(at x: Span<Double>, gradient: inout MutableSpan<Double>) -> Double

  /// F(x) alone.
  func value(at x: Span<Double>) -> Double

  /// The structured L-BFGS's minimum from `start` where this objective has the structure it
  /// works in (the UJM of Definition 3.2: gradients in span{Jᵢ⁰} + rank-one terms); nil for any
  /// other objective, which `StructuredLBFGS` hands to the dense `LBFGSMinimizer`.
  func structuredMinimum(
    from start: [Double], settings: StructuredLBFGS, until test: ConvergenceTest
  ) -> SolveResult?
}

extension Objective {
  /// F(x) and ∇F(x) for an array argument.
  public func valueAndGradient(at x: [Double]) -> (value: Double, gradient: [Double]) {
    precondition(x.count == parameterCount, "x has \(x.count) entries, expected \(parameterCount)")
    var g = [Double](repeating: 0, count: parameterCount)
    let v = valueAndGradient(at: x, gradient: &g)
    return (v, g)
  }

  /// F(x) for an array argument.
  public func value(at x: [Double]) -> Double {
    precondition(x.count == parameterCount, "x has \(x.count) entries, expected \(parameterCount)")
    return value(at: x.span)
  }

  /// F(x), and ∇F(x) written into the array `gradient` (no allocation).
  public func valueAndGradient(at x: [Double], gradient: inout [Double]) -> Double {
    var g = gradient.mutableSpan
    return valueAndGradient(at: x.span, gradient: &g)
  }

  /// Default: no structure for the structured L-BFGS.
  public func structuredMinimum(
    from start: [Double], settings: StructuredLBFGS, until test: ConvergenceTest
  ) -> SolveResult? { nil }

  /// Default: evaluate the gradient too and discard it.
  public func value(at x: Span<Double>) -> Double {
    var g = [Double](repeating: 0, count: parameterCount)
    var gradient = g.mutableSpan
    return valueAndGradient(at: x, gradient: &gradient)
  }
}
