/// A smooth function to minimise, with its gradient: the interface every solver takes.
///
/// After GSL's `gsl_multimin_function_fdf`: one call returns the value and writes the gradient, so
/// that shared work (the forward pass) is done once.
public protocol Objective: Sendable {
  /// The number of variables.
  var parameterCount: Int { get }

  /// F(x), and ∇F(x) written into `gradient` (which has `parameterCount` entries).
  func valueAndGradient(
    at x: UnsafeBufferPointer<Double>, gradient: UnsafeMutableBufferPointer<Double>
  ) -> Double

  /// F(x) alone.
  func value(at x: UnsafeBufferPointer<Double>) -> Double

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
    let v = x.withUnsafeBufferPointer { xx in
      g.withUnsafeMutableBufferPointer { gg in valueAndGradient(at: xx, gradient: gg) }
    }
    return (v, g)
  }

  /// F(x) for an array argument.
  public func value(at x: [Double]) -> Double {
    precondition(x.count == parameterCount, "x has \(x.count) entries, expected \(parameterCount)")
    return x.withUnsafeBufferPointer { value(at: $0) }
  }

  /// Default: no structure for the structured L-BFGS.
  public func structuredMinimum(
    from start: [Double], settings: StructuredLBFGS, until test: ConvergenceTest
  ) -> SolveResult? { nil }

  /// Default: evaluate the gradient too and discard it.
  public func value(at x: UnsafeBufferPointer<Double>) -> Double {
    var g = [Double](repeating: 0, count: parameterCount)
    return g.withUnsafeMutableBufferPointer { valueAndGradient(at: x, gradient: $0) }
  }
}
