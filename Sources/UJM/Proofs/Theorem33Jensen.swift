/// Theorem 3.3, step 7: averaging the singular values does not increase the regulariser,
/// Σs_i² − L·(mean s)² = Σ(s_i − mean s)² ≥ 0 (Jensen's inequality for the convex s ↦ s²).
///
/// Appendix B: "since ‖J_i‖²_F = s_i² is convex, by Jensen's inequality, averaging the singular
/// values only decreases the value of the Jacobian regularization". Checked as an exact
/// identity, with the sign of the difference, on seeded rational vectors of either sign.
public enum JensenRegulariserCheck {
  public static let name = "thm3.3.jensen"
  static let step = "Σs_i² − L·mean² = Σ(s_i − mean)² ≥ 0"

  /// The inequality claimed for Σs_i² − L·(mean s)².
  public enum Claim: Sendable {
    /// ≥ 0, with equality exactly for equal s_i (the paper's).
    case nonNegative
    /// ≤ 0 (reversed: the counterexample, on unequal s).
    case reversed
  }

  /// Checks the identity and `claim` on `cases` random rational vectors, L = 1…8 (every fourth
  /// case all equal), or L = 2…8 with the s_i not all equal when `unequalOnly`.
  public static func verify<G: RandomNumberGenerator>(
    cases: Int, claim: Claim = .nonNegative, unequalOnly: Bool = false,
    using generator: inout G
  ) -> ProofCheck {
    var failures = 0
    for c in 0..<cases {
      let l = unequalOnly ? 2 + c % 7 : 1 + c % 8
      var s = ExactSampling.vector(l, using: &generator)
      if !unequalOnly && c % 4 == 3 { s = Array(repeating: s[0], count: l) }
      // The counterexample needs unequal s: make a tied draw unequal.
      if unequalOnly && s.allSatisfy({ $0 == s[0] }) { s[0] += 1 }
      let allEqual = s.allSatisfy { $0 == s[0] }
      let mean = s.sum() / Rational(l)
      let difference = s.map { $0 * $0 }.sum() - Rational(l) * mean * mean
      let spread = s.map { ($0 - mean) * ($0 - mean) }.sum()
      let signOK: Bool
      switch claim {
      case .nonNegative: signOK = difference >= .zero && (difference.isZero == allEqual)
      case .reversed: signOK = difference <= .zero
      }
      if difference != spread || !signOK { failures += 1 }
    }
    let claimLabel = claim == .nonNegative ? "≥ 0" : "≤ 0 (reversed)"
    return .exact(
      name: name, theorem: "3.3", step: step, cases: cases, failures: failures,
      note: "claim \(claimLabel), L = 1…8, s_i random rationals of either sign"
        + (unequalOnly ? ", unequal s only" : ""))
  }
}
