/// The outcome of one executable proof step: what was checked, how, on how many cases, the
/// measured quantity, its tolerance and the verdict.
///
/// Checks the claims of Theorem 3.1 (appendix A) and the steps of the proof of Theorem 3.3
/// (appendix B) of Li & Papyan (2023). An `exact` check decides its claim in rational
/// arithmetic: `measured` is the number of cases where the claim failed and the tolerance is 0.
/// A `sampled` check evaluates it in floating point over seeded random cases: `measured` is the
/// worst margin or relative error, held to a small tolerance.
///
/// In counterexample mode the same verifier runs on inputs that break a premise, or on a
/// deliberately wrong variant of the claim; `detected` is then true when the verifier fails
/// there, as it must.
public struct ProofCheck: Sendable, Equatable, Codable {
  /// How a claim is decided.
  public enum Kind: String, Sendable, Codable {
    /// Decided in exact rational arithmetic.
    case exact
    /// Evaluated in floating point over seeded random cases.
    case sampled
  }

  /// The stable id, e.g. `thm3.3.power-set`.
  public var name: String
  /// "3.1" or "3.3".
  public var theorem: String
  /// The step of the proof, in the paper's words.
  public var step: String
  /// Exact or sampled.
  public var kind: Kind
  /// How many cases were checked.
  public var cases: Int
  /// Failures (exact) or the worst margin/relative error (sampled).
  public var measured: Double
  /// The bound `measured` must not exceed (0 for exact checks).
  public var tolerance: Double
  /// Whether `measured` is finite and at most `tolerance`.
  public var passed: Bool
  /// What was run and what it showed.
  public var note: String
  /// Counterexample mode only: true when the verifier failed on the counterexample.
  public var detected: Bool?
  /// Counterexample mode only: true when `counterexample` holds the smallest run found by
  /// shrinking on which the counterexample is still detected.
  public var shrunk: Bool?
  /// Counterexample mode only: that smallest run (`ProofStep.shrinkCounterexample`).
  public var counterexample: ShrunkCounterexample?

  /// A check that passes when `measured` is finite and at most `tolerance`.
  public init(
    name: String, theorem: String, step: String, kind: Kind, cases: Int, measured: Double,
    tolerance: Double, note: String
  ) {
    self.name = name
    self.theorem = theorem
    self.step = step
    self.kind = kind
    self.cases = cases
    self.measured = measured
    self.tolerance = tolerance
    self.passed = measured.isFinite && measured <= tolerance
    self.note = note
    self.detected = nil
  }

  /// An exact check: `failures` of `cases` failed; passes when none did.
  public static func exact(
    name: String, theorem: String, step: String, cases: Int, failures: Int, note: String
  ) -> ProofCheck {
    ProofCheck(
      name: name, theorem: theorem, step: step, kind: .exact, cases: cases,
      measured: Double(failures), tolerance: 0, note: note)
  }

  /// The report of running the verifier on one or more counterexample inputs (`variants`, each
  /// the verifier's own result there): the counterexample is detected when the verifier fails
  /// on every variant. `measured` is the smallest of the variants' measured values (above the
  /// tolerance exactly when every variant is detected); `cases` is their total.
  public static func counterexample(_ variants: [ProofCheck]) -> ProofCheck {
    precondition(!variants.isEmpty, "a counterexample needs at least one variant")
    var out = variants[0]
    out.cases = variants.map(\.cases).reduce(0, +)
    out.measured = variants.map(\.measured).min()!
    out.passed = variants.contains(where: \.passed)
    out.detected = !out.passed
    out.note = variants.map { v in
      let outcome =
        v.kind == .exact
        ? "\(Int(v.measured)) of \(v.cases) cases fail" : "measured \(formatScientific(v.measured))"
      return "\(v.note) [\(outcome): \(v.passed ? "not detected" : "detected")]"
    }.joined(separator: "; ")
    return out
  }
}

/// The smallest `ujm verify --counterexamples` run, found by shrinking, on which a step's
/// counterexample is still detected: its case count and depth, its seed, what the verifier
/// reported there, and the command that replays it.
public struct ShrunkCounterexample: Sendable, Equatable, Codable {
  /// The smallest `--cases` found.
  public var cases: Int
  /// The smallest `--up-to` found.
  public var up_to: Int
  public var seed: UInt64
  /// The verifier's note on that run (it names the instances it drew).
  public var note: String
  /// `ujm verify --theorem … --cases … --up-to … --seed … --counterexamples`.
  public var command: String
}

/// The sizes of a `ujm verify` run and its seed.
public struct ProofConfiguration: Sendable, Equatable {
  /// Largest k for the product ∏_{i<k}(1 + 1/i) = k and the depth of Theorem 3.1's streams.
  public var upTo: Int
  /// Number of random cases of the sampled checks; exact checks over random rationals use a
  /// fixed fraction of it (each check's note says how many).
  public var cases: Int
  /// The seed of every random draw.
  public var seed: UInt64

  public init(upTo: Int = 1000, cases: Int = 1000, seed: UInt64 = 0) {
    precondition(upTo >= 1 && cases >= 1, "upTo and cases must be at least 1")
    self.upTo = upTo
    self.cases = cases
    self.seed = seed
  }
}
