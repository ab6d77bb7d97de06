import RealModule

/// A scalar that the UJM gradients are written over: `Double` for values and gradients, `Dual`
/// for exact Hessian-vector products.
///
/// Forward mode over the reverse-mode gradient: evaluating ∇F at x + ε·v with ε² = 0 gives
/// ∇F(x) + ε·∇²F(x)·v, so the ε-part of the gradient is the Hessian-vector product, exact up to
/// rounding (no finite-difference step). References: Pearlmutter, "Fast exact multiplication by
/// the Hessian", Neural Computation 6 (1994).
public protocol GradientScalar: Sendable {
  /// The constant `value` (no ε-part).
  init(_ value: Double)
  /// The real part.
  var primal: Double { get }
  static func + (a: Self, b: Self) -> Self
  static func - (a: Self, b: Self) -> Self
  static func * (a: Self, b: Self) -> Self
  static func / (a: Self, b: Self) -> Self
  static prefix func - (a: Self) -> Self
  /// eˣ.
  static func exponential(_ x: Self) -> Self
  /// log x for x > 0.
  static func logarithm(_ x: Self) -> Self
  /// log(1 + x) for x > −1, accurate near 0.
  static func logarithm(onePlus x: Self) -> Self
}

extension Double: GradientScalar {
  @inlinable public var primal: Double { self }
  @inlinable public static func exponential(_ x: Double) -> Double { Double.exp(x) }
  @inlinable public static func logarithm(_ x: Double) -> Double { Double.log(x) }
  @inlinable public static func logarithm(onePlus x: Double) -> Double { Double.log(onePlus: x) }
}

/// A dual number a + b·ε with ε² = 0: `primal` a, `tangent` b.
public struct Dual: GradientScalar, Equatable {
  public var primal: Double
  public var tangent: Double

  public init(_ value: Double) {
    primal = value
    tangent = 0
  }

  public init(_ primal: Double, tangent: Double) {
    self.primal = primal
    self.tangent = tangent
  }

  @inlinable public static func + (a: Dual, b: Dual) -> Dual {
    Dual(a.primal + b.primal, tangent: a.tangent + b.tangent)
  }
  @inlinable public static func - (a: Dual, b: Dual) -> Dual {
    Dual(a.primal - b.primal, tangent: a.tangent - b.tangent)
  }
  @inlinable public static func * (a: Dual, b: Dual) -> Dual {
    Dual(a.primal * b.primal, tangent: a.primal * b.tangent + a.tangent * b.primal)
  }
  @inlinable public static func / (a: Dual, b: Dual) -> Dual {
    let q = a.primal / b.primal
    return Dual(q, tangent: (a.tangent - q * b.tangent) / b.primal)
  }
  @inlinable public static prefix func - (a: Dual) -> Dual { Dual(-a.primal, tangent: -a.tangent) }
  public static func exponential(_ x: Dual) -> Dual {
    let e = Double.exp(x.primal)
    return Dual(e, tangent: e * x.tangent)
  }
  public static func logarithm(_ x: Dual) -> Dual {
    Dual(Double.log(x.primal), tangent: x.tangent / x.primal)
  }
  public static func logarithm(onePlus x: Dual) -> Dual {
    Dual(Double.log(onePlus: x.primal), tangent: x.tangent / (1 + x.primal))
  }
}

/// An objective whose Hessian-vector products are available exactly.
public protocol SecondOrderObjective: Objective {
  /// ∇²F(x)·v, exact up to rounding.
  func hessianVectorProduct(at x: [Double], along v: [Double]) -> [Double]
}
