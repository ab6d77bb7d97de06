/// Theorem 3.3, step 6: s_{L+1}∏(1 + s_i) ≤ s_{L+1}(1 + mean s)^L for s_i ≥ 0, with equality
/// exactly when all s_i are equal (the inequality of arithmetic and geometric means).
///
/// Appendix B: "Using the inequality of arithmetic and geometric means on this only non-zero
/// entry s_i of every diagonal matrix S_i". Decided by exact comparisons of rationals. The
/// premise s_i ≥ 0 matters: s = (−1, −1, −4) gives ∏(1 + s_i) = 0 > (1 + mean)³ = −1.
public enum ArithmeticGeometricMeanCheck {
  public static let name = "thm3.3.am-gm"
  static let step = "s_{L+1}∏(1+s_i) ≤ s_{L+1}(1+mean s)^L"
  /// The counterexample outside the premise s_i ≥ 0.
  public static let negativeCounterexample: [Rational] = [-1, -1, -4]

  /// Checks the inequality and its equality case on `cases` random non-negative rational
  /// vectors (L = 1…8; every fourth case has all s_i equal), with s_{L+1} > 0 random.
  public static func verify<G: RandomNumberGenerator>(
    cases: Int, using generator: inout G
  ) -> ProofCheck {
    var inputs: [(top: Rational, s: [Rational])] = []
    for c in 0..<cases {
      let l = 1 + c % 8
      let top = ExactSampling.positive(using: &generator)
      var s = (0..<l).map { _ in ExactSampling.nonNegative(using: &generator) }
      if c % 4 == 3 { s = Array(repeating: s[0], count: l) }
      inputs.append((top, s))
    }
    return verify(inputs, label: "s_i ≥ 0 random, L = 1…8, every 4th case all equal")
  }

  /// Checks the inequality and its equality case on the given (s_{L+1}, s) pairs.
  public static func verify(_ inputs: [(top: Rational, s: [Rational])], label: String)
    -> ProofCheck
  {
    var failures = 0
    var smallestGap: Rational?
    var equalCases = 0
    for (top, s) in inputs {
      let l = s.count
      let mean = s.sum() / Rational(l)
      let lhs = top * s.map { 1 + $0 }.product()
      let rhs = top * (1 + mean).power(l)
      let allEqual = s.allSatisfy { $0 == s[0] }
      if allEqual { equalCases += 1 }
      if lhs > rhs || (lhs == rhs) != allEqual { failures += 1 }
      if !allEqual && lhs <= rhs {
        let gap = (rhs - lhs) / rhs.magnitude
        if smallestGap.map({ gap < $0 }) ?? true { smallestGap = gap }
      }
    }
    var note = "\(label); \(equalCases) equal-s cases"
    if let g = smallestGap {
      note += ", smallest relative gap on unequal s \(formatScientific(g.doubleValue))"
    }
    return .exact(
      name: name, theorem: "3.3", step: step, cases: inputs.count, failures: failures,
      note: note)
  }
}
