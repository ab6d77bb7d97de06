// Goals, in order of priority: exact results (every value is a reduced fraction, so `==` is
// equality of numbers); a small, obvious implementation; enough speed for the proof checks of
// `ujm verify` (small numerators and denominators take fast paths).

import BigInt

/// An exact rational number p/q on arbitrary-precision integers.
///
/// Used by the executable proofs of Theorem 3.1 and Theorem 3.3 (appendices A and B), which
/// decide identities and inequalities exactly instead of up to a floating-point tolerance.
///
/// Invariants: the fraction is always reduced (gcd(|p|, q) = 1), the denominator is positive
/// and the sign lives in the numerator; zero is 0/1. Hence two values are equal exactly when
/// their numerators and denominators are, and `Hashable` is consistent with `==`.
public struct Rational: Sendable, Hashable, Comparable {
  /// The numerator p, carrying the sign.
  public let numerator: BigInt
  /// The denominator q > 0.
  public let denominator: BigInt

  /// The fraction `numerator / denominator`, reduced. The denominator must not be zero.
  public init(_ numerator: BigInt, _ denominator: BigInt = 1) {
    precondition(!denominator.isZero, "Rational: zero denominator")
    var p = numerator
    var q = denominator
    if q.sign == .minus {
      p = -p
      q = -q
    }
    if p.isZero {
      self.init(reduced: 0, 1)
      return
    }
    let g = Rational.gcd(p.magnitude, q.magnitude)
    if g != 1 {
      let bg = BigInt(g)
      p /= bg
      q /= bg
    }
    self.init(reduced: p, q)
  }

  /// The fraction `numerator / denominator` of machine integers, reduced.
  public init(_ numerator: Int, _ denominator: Int = 1) {
    self.init(BigInt(numerator), BigInt(denominator))
  }

  /// A fraction already known to be reduced with a positive denominator.
  private init(reduced numerator: BigInt, _ denominator: BigInt) {
    self.numerator = numerator
    self.denominator = denominator
  }

  /// The exact value of a finite `Double` (every finite double is a dyadic rational).
  public init(_ value: Double) {
    precondition(value.isFinite, "Rational: \(value) is not finite")
    if value == 0 {
      self.init(reduced: 0, 1)
      return
    }
    let subnormal = value.isSubnormal
    let exponent =
      (subnormal ? -1022 : Int(value.exponent)) - Double.significandBitCount
    let significand = BigInt(
      subnormal
        ? value.significandBitPattern
        : value.significandBitPattern | (1 << Double.significandBitCount))
    let signed = value.sign == .minus ? -significand : significand
    if exponent >= 0 {
      self.init(signed << exponent)
    } else {
      self.init(signed, BigInt(1) << (-exponent))
    }
  }

  public static let zero = Rational(reduced: 0, 1)
  public static let one = Rational(reduced: 1, 1)

  /// True for 0.
  public var isZero: Bool { numerator.isZero }

  /// True when the denominator is 1.
  public var isInteger: Bool { denominator == 1 }

  /// −1, 0 or +1.
  public var signum: Int { numerator.isZero ? 0 : (numerator.sign == .minus ? -1 : 1) }

  /// |x|.
  public var magnitude: Rational {
    Rational(reduced: BigInt(numerator.magnitude), denominator)
  }

  /// 1/x; x must not be zero.
  public var reciprocal: Rational {
    precondition(!isZero, "Rational: reciprocal of zero")
    return numerator.sign == .minus
      ? Rational(reduced: -denominator, -numerator) : Rational(reduced: denominator, numerator)
  }

  /// xᵏ for any integer k (k < 0 needs x ≠ 0).
  public func power(_ k: Int) -> Rational {
    if k < 0 { return reciprocal.power(-k) }
    // A reduced fraction stays reduced under powers: no gcd needed.
    return Rational(reduced: numerator.power(k), denominator.power(k))
  }

  /// √x when it is rational (x ≥ 0 with square numerator and denominator), else nil.
  public func exactSquareRoot() -> Rational? {
    guard numerator.sign == .plus || numerator.isZero else { return nil }
    let p = numerator.magnitude.squareRoot()
    let q = denominator.magnitude.squareRoot()
    guard p * p == numerator.magnitude, q * q == denominator.magnitude else { return nil }
    return Rational(reduced: BigInt(p), BigInt(q))
  }

  /// The nearest `Double` (to within one rounding of a 64-bit quotient); for display and for
  /// comparisons with floating-point results, never for deciding a check.
  public var doubleValue: Double {
    if numerator.isZero { return 0 }
    if denominator == 1 { return Double(numerator) }
    // Scale so that the integer quotient carries ~64 significant bits, then rescale.
    let shift = denominator.bitWidth - numerator.magnitude.bitWidth + 64
    let quotient =
      shift >= 0 ? (numerator << shift) / denominator : numerator / (denominator << -shift)
    // One scaling by 2^(−shift): exact unless the result is subnormal (then rounded once more).
    return Double(
      sign: quotient.sign == .minus ? .minus : .plus, exponent: -shift,
      significand: Double(quotient.magnitude))
  }

  // MARK: Arithmetic

  public static func + (a: Rational, b: Rational) -> Rational {
    if a.isZero { return b }
    if b.isZero { return a }
    if a.denominator == b.denominator {
      if a.denominator == 1 { return Rational(reduced: a.numerator + b.numerator, 1) }
      return Rational(a.numerator + b.numerator, a.denominator)
    }
    if b.denominator == 1 {
      // (p + n·q)/q is already reduced when p/q is.
      return Rational(reduced: a.numerator + b.numerator * a.denominator, a.denominator)
    }
    if a.denominator == 1 {
      return Rational(reduced: b.numerator + a.numerator * b.denominator, b.denominator)
    }
    return Rational(
      a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator)
  }

  public static prefix func - (a: Rational) -> Rational {
    Rational(reduced: -a.numerator, a.denominator)
  }

  public static func - (a: Rational, b: Rational) -> Rational { a + (-b) }

  public static func * (a: Rational, b: Rational) -> Rational {
    if a.isZero || b.isZero { return .zero }
    if a.denominator == 1 && b.denominator == 1 {
      return Rational(reduced: a.numerator * b.numerator, 1)
    }
    // Cross-cancel first (Knuth 4.5.1): the factors stay small and the result is reduced.
    let g1 = BigInt(gcd(a.numerator.magnitude, b.denominator.magnitude))
    let g2 = BigInt(gcd(b.numerator.magnitude, a.denominator.magnitude))
    let p = (g1 == 1 ? a.numerator : a.numerator / g1) * (g2 == 1 ? b.numerator : b.numerator / g2)
    let q =
      (g2 == 1 ? a.denominator : a.denominator / g2)
      * (g1 == 1 ? b.denominator : b.denominator / g1)
    return Rational(reduced: p, q)
  }

  public static func / (a: Rational, b: Rational) -> Rational { a * b.reciprocal }

  public static func += (a: inout Rational, b: Rational) { a = a + b }
  public static func -= (a: inout Rational, b: Rational) { a = a - b }
  public static func *= (a: inout Rational, b: Rational) { a = a * b }
  public static func /= (a: inout Rational, b: Rational) { a = a / b }

  public static func < (a: Rational, b: Rational) -> Bool {
    if a.denominator == b.denominator { return a.numerator < b.numerator }
    return a.numerator * b.denominator < b.numerator * a.denominator
  }

  /// gcd with fast paths: 1, machine words, and Euclid's division step while the operands'
  /// sizes differ (one `%` then replaces many steps of the library's binary gcd, which walks
  /// the larger operand bit by bit); operands of similar size go to the binary gcd.
  static func gcd(_ a: BigUInt, _ b: BigUInt) -> BigUInt {
    if a == 1 || b == 1 { return 1 }
    if a.isZero { return b }
    if b.isZero { return a }
    if a.bitWidth <= 64 && b.bitWidth <= 64 { return BigUInt(wordGCD(UInt64(a), UInt64(b))) }
    let az = a.trailingZeroBitCount
    let bz = b.trailingZeroBitCount
    // Odd parts of similar size: the binary gcd is fastest.
    if abs((a.bitWidth - az) - (b.bitWidth - bz)) < 16 { return a.greatestCommonDivisor(with: b) }
    // gcd(a, b) = 2^min(twos) · gcd(odd parts), and Euclid's division step shrinks the larger
    // odd part at once (denominators here are often 4^k·m with m small).
    var (x, y) = (a >> az, b >> bz)
    if x < y { swap(&x, &y) }
    while !y.isZero {
      if x.bitWidth <= 64 {
        x = BigUInt(wordGCD(UInt64(x), UInt64(y)))
        break
      }
      if x.bitWidth - y.bitWidth < 16 {
        x = x.greatestCommonDivisor(with: y)
        break
      }
      (x, y) = (y, x % y)
    }
    return x << Swift.min(az, bz)
  }

  private static func wordGCD(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var (p, q) = (a, b)
    while q != 0 { (p, q) = (q, p % q) }
    return p
  }
}

extension Rational: ExpressibleByIntegerLiteral {
  public init(integerLiteral value: Int) { self.init(BigInt(value)) }
}

extension Rational: CustomStringConvertible {
  /// `p` for integers, `p/q` otherwise.
  public var description: String {
    denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)"
  }
}

extension Rational {
  /// A random fraction p/q with p drawn from `numerators` and q from `denominators` (q > 0),
  /// reduced.
  public static func random<G: RandomNumberGenerator>(
    numerators: ClosedRange<Int>, denominators: ClosedRange<Int>, using generator: inout G
  ) -> Rational {
    precondition(denominators.lowerBound > 0, "denominators must be positive")
    let p = Int.random(in: numerators, using: &generator)
    let q = Int.random(in: denominators, using: &generator)
    return Rational(p, q)
  }
}

extension Sequence where Element == Rational {
  /// The exact sum.
  public func sum() -> Rational { reduce(.zero, +) }
  /// The exact product.
  public func product() -> Rational { reduce(.one, *) }
}
