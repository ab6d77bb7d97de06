/// Theorem 3.1's product: ∏_{i=1}^{k−1}(1 + 1/i) = k, exactly, for every k up to a bound.
///
/// Appendix A, the last display before the conclusion: with (RA4)'s singular values
/// s_i = 1/i the product telescopes, ∏ (i + 1)/i = k.
public enum ProductTelescopesCheck {
  public static let name = "thm3.1.product"
  static let step = "∏_{i<k}(1 + 1/i) = k"

  /// The factor of the i-th block.
  public enum Factor: Sendable {
    /// 1 + 1/i, the paper's.
    case paper
    /// 1 + 1/(i + 1), a shifted factor claimed to give k (the counterexample).
    case shifted

    func value(at i: Int) -> Rational {
      switch self {
      case .paper: return Rational(i + 1, i)
      case .shifted: return Rational(i + 2, i + 1)
      }
    }

    var label: String { self == .paper ? "1 + 1/i" : "1 + 1/(i+1)" }
  }

  /// Checks ∏_{i=1}^{k−1} factor(i) = k for k = 1…`upTo` by running the product exactly.
  public static func verify(upTo: Int, factor: Factor = .paper) -> ProofCheck {
    var product = Rational.one
    var failures = 0
    var firstFailure: (Int, Rational)?
    for k in 1...upTo {
      if k > 1 { product *= factor.value(at: k - 1) }
      if product != Rational(k) {
        failures += 1
        if firstFailure == nil { firstFailure = (k, product) }
      }
    }
    var note = "factor \(factor.label), k = 1…\(upTo): "
    if let (k, p) = firstFailure {
      note += "first failure k = \(k): product \(p)"
    } else {
      note += "product = k for every k"
    }
    return .exact(
      name: name, theorem: "3.1", step: step, cases: upTo, failures: failures, note: note)
  }
}
