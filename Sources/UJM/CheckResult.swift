/// One numerical check: the quantity measured, the tolerance it was held to, and the verdict.
///
/// Printed as `rank-one σ₂/σ₁ (J₃): measured 3.1e-9, tolerance 1e-6 — pass`.
public struct CheckResult: Sendable, Equatable, Codable {
  /// What was checked, in the paper's words.
  public var name: String
  /// The measured quantity (a residual, a gap, a count of failures).
  public var measured: Double
  /// The bound the measured quantity must not exceed.
  public var tolerance: Double
  /// Whether `measured ≤ tolerance` (and `measured` is finite).
  public var passed: Bool

  /// A check that passes when `measured` is finite and at most `tolerance`.
  public init(name: String, measured: Double, tolerance: Double) {
    self.name = name
    self.measured = measured
    self.tolerance = tolerance
    self.passed = measured.isFinite && measured <= tolerance
  }

  /// One line: name, measured value, tolerance, verdict.
  public var summary: String {
    "\(name): measured \(formatScientific(measured)), tolerance \(formatScientific(tolerance))"
      + " — \(passed ? "pass" : "FAIL")"
  }
}

/// `x` in compact scientific notation (`3.1e-09`), or `0`.
public func formatScientific(_ x: Double, digits: Int = 2) -> String {
  if x == 0 { return "0" }
  if !x.isFinite { return "\(x)" }
  var exponent = Int((abs(x)).log10Floor)
  var mantissa = x / pow10(exponent)
  let scale = pow10(digits - 1 + 0)
  mantissa = (mantissa * scale).rounded() / scale
  if abs(mantissa) >= 10 {
    mantissa /= 10
    exponent += 1
  }
  let sign = exponent < 0 ? "-" : "+"
  let e = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
  return "\(mantissa)e\(sign)\(e)"
}

private func pow10(_ k: Int) -> Double {
  var r = 1.0
  for _ in 0..<abs(k) { r *= 10 }
  return k < 0 ? 1 / r : r
}

extension Double {
  fileprivate var log10Floor: Double {
    var e = 0.0
    var v = self
    while v >= 10 {
      v /= 10
      e += 1
    }
    while v < 1 {
      v *= 10
      e -= 1
    }
    return e
  }
}
