// Goals: refuse, before any work, a `ujm verify` size that would run for days, naming the
// option and how much longer than the default it would take.

import Foundation

extension ProofConfiguration {
  /// The largest K accepted. Theorem 3.1's exact checks carry rationals whose numerators and
  /// denominators grow with k, so their time grows faster than K: in a debug build K = 200 → 400
  /// took 3× as long and K = 1000 about 110 s; 10,000 is already 30–100× the default's time.
  public static let maximumUpTo = 10_000
  /// The most random cases accepted: the sampled checks are linear in it, and 10⁷ is already
  /// 10⁴× the default's time.
  public static let maximumCases = 10_000_000

  /// A one-line reason to refuse `upTo` or `cases`, naming the option, or nil.
  public static func refusal(upTo: Int, cases: Int) -> String? {
    let defaults = ProofConfiguration()
    if upTo > maximumUpTo {
      let ratio = Double(upTo) / Double(defaults.upTo)
      return "--up-to \(upTo): at most \(maximumUpTo); the exact checks' time grows faster than "
        + "K (about K^1.5 measured), so K = \(upTo) would take at least "
        + "\(format(ratio * ratio.squareRoot()))× the time of the default K = \(defaults.upTo)"
    }
    if cases > maximumCases {
      return "--cases \(cases): at most \(maximumCases); the sampled checks' time is linear in "
        + "the cases, so \(cases) would take \(format(Double(cases) / Double(defaults.cases)))× "
        + "the time of the default \(defaults.cases)"
    }
    return nil
  }

  private static func format(_ x: Double) -> String {
    x < 1e6 ? "\(Int(x.rounded()))" : String(format: "%.2g", x)
  }
}
