import LinearAlgebra

/// One step of an executable proof: its stable id, the theorem, and how to run its verifier on
/// the claim and on its counterexample.
public struct ProofStep: Sendable {
  /// The stable id, e.g. `thm3.3.jensen`.
  public let name: String
  /// "3.1" or "3.3".
  public let theorem: String
  private let claim: @Sendable (ProofConfiguration, inout SeededGenerator) -> ProofCheck
  private let counterexamples: @Sendable (ProofConfiguration, inout SeededGenerator) -> [ProofCheck]

  init(
    _ name: String, theorem: String,
    claim: @escaping @Sendable (ProofConfiguration, inout SeededGenerator) -> ProofCheck,
    counterexamples: @escaping @Sendable (ProofConfiguration, inout SeededGenerator) -> [ProofCheck]
  ) {
    self.name = name
    self.theorem = theorem
    self.claim = claim
    self.counterexamples = counterexamples
  }

  /// Runs the verifier on the claim, with a generator seeded from `configuration.seed` and
  /// this step's id (so a step's result does not depend on which other steps run).
  public func verify(_ configuration: ProofConfiguration) -> ProofCheck {
    var generator = ExecutableProofs.generator(for: name, seed: configuration.seed)
    return claim(configuration, &generator)
  }

  /// Runs the same verifier on each of this step's counterexamples; `detected` is true when
  /// it fails on every one of them.
  public func verifyCounterexample(_ configuration: ProofConfiguration) -> ProofCheck {
    var generator = ExecutableProofs.generator(for: name, seed: configuration.seed)
    return .counterexample(counterexamples(configuration, &generator))
  }

  /// `verifyCounterexample`, then, when it is detected, shrinking: the smallest `cases`, then
  /// the smallest `upTo`, on which it is still detected, by bisection.
  ///
  /// A run with fewer cases draws a prefix of the same seeded sequence of instances (and a
  /// smaller `upTo` a shorter stream), so detection is monotone in both and bisection finds the
  /// smallest; where a verifier is not monotone the result is still a detected run, maybe not
  /// the smallest. Each verifier draws its instances in order of size (D, L, k cycling up from
  /// the smallest), so the shrunk run's last instance is the first one that breaks.
  public func shrinkCounterexample(_ configuration: ProofConfiguration) -> ProofCheck {
    var check = verifyCounterexample(configuration)
    guard check.detected == true else {
      check.shrunk = false
      return check
    }
    func detected(cases: Int, upTo: Int) -> Bool {
      verifyCounterexample(
        ProofConfiguration(upTo: upTo, cases: cases, seed: configuration.seed)
      ).detected == true
    }
    var lo = 1
    var hi = configuration.cases
    while lo < hi {
      let mid = (lo + hi) / 2
      if detected(cases: mid, upTo: configuration.upTo) { hi = mid } else { lo = mid + 1 }
    }
    let cases = hi
    lo = 1
    hi = configuration.upTo
    while lo < hi {
      let mid = (lo + hi) / 2
      if detected(cases: cases, upTo: mid) { hi = mid } else { lo = mid + 1 }
    }
    let shrunk = ProofConfiguration(upTo: hi, cases: cases, seed: configuration.seed)
    let there = verifyCounterexample(shrunk)
    check.shrunk = true
    check.counterexample = ShrunkCounterexample(
      cases: cases, up_to: hi, seed: configuration.seed, note: there.note,
      command: "ujm verify --theorem \(theorem) --cases \(cases) --up-to \(hi) "
        + "--seed \(configuration.seed) --counterexamples")
    return check
  }
}

/// The executable proofs of Theorem 3.1 (appendix A) and of every step of the proof of
/// Theorem 3.3 (appendix B), in the order of the paper.
///
/// Case counts derive from `ProofConfiguration.cases` (N, default 1000): the sampled checks
/// and the cheap exact ones run N cases; exact checks whose cases cost more run a fixed
/// fraction (trace N/4, zeroing N/4, alignment N/10, power-set N/20, each at least 1).
/// `ProofConfiguration.upTo` (K) bounds k in Theorem 3.1's checks (the typo check at most 1000).
public enum ExecutableProofs {
  /// Every step, in the paper's order.
  public static let steps: [ProofStep] = theorem31 + theorem33 + multiclass

  /// The ids of the steps of theorem `theorem` ("3.1" or "3.3"), or of all when nil.
  public static func steps(theorem: String?) -> [ProofStep] {
    steps.filter { theorem == nil || $0.theorem == theorem }
  }

  /// Runs the steps of `theorem` (nil: all) on their claims, or on their counterexamples.
  ///
  /// `progress` is called before each check with its position, the count and its id (the CLI
  /// prints it on stderr; large `--up-to` runs take minutes).
  /// In counterexample mode each detected counterexample is also shrunk
  /// (`ProofStep.shrinkCounterexample`).
  public static func run(
    theorem: String?, configuration: ProofConfiguration, counterexamples: Bool = false,
    progress: (_ index: Int, _ count: Int, _ name: String) -> Void = { _, _, _ in }
  ) -> [ProofCheck] {
    let selected = steps(theorem: theorem)
    return selected.enumerated().map { index, step in
      progress(index, selected.count, step.name)
      return counterexamples
        ? step.shrinkCounterexample(configuration) : step.verify(configuration)
    }
  }

  /// Beyond the paper: the multi-class UJM's rank bound (N/10 cases, at least 1).
  static let multiclass: [ProofStep] = [
    ProofStep(
      MulticlassRankBoundCheck.name, theorem: "multiclass",
      claim: { c, g in MulticlassRankBoundCheck.verify(cases: fraction(c.cases, 10), using: &g) },
      counterexamples: { c, g in
        [
          MulticlassRankBoundCheck.verify(
            cases: fraction(c.cases, 10), loss: .squaredError, using: &g)
        ]
      })
  ]

  /// A generator for step `name`: the seed mixed with a stable (FNV-1a) hash of the id.
  static func generator(for name: String, seed: UInt64) -> SeededGenerator {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return SeededGenerator(seed: seed ^ hash)
  }

  static func fraction(_ cases: Int, _ divisor: Int) -> Int { max(1, cases / divisor) }

  /// The typo check's depth: `upTo`, at most 1000 — its numbers grow like (5/4)^k, so the cost
  /// grows quadratically in k (about 2 s at k = 1000 in a release build).
  static func typoDepth(_ c: ProofConfiguration) -> Int { min(c.upTo, 1000) }

  static let theorem31: [ProofStep] = [
    ProofStep(
      ProductTelescopesCheck.name, theorem: "3.1",
      claim: { c, _ in ProductTelescopesCheck.verify(upTo: c.upTo) },
      counterexamples: { c, _ in [ProductTelescopesCheck.verify(upTo: c.upTo, factor: .shifted)] }
    ),
    ProofStep(
      RAImpliesRA1Check.name, theorem: "3.1",
      claim: { c, g in
        let shifts = [Rational.zero, Rational(-1, 2), Rational(1, 2), Rational(3)]
        let runs = shifts.map {
          RAImpliesRA1Check.verify(depth: c.upTo, blocks: .aligned(shift: $0), using: &g)
        }
        var out = runs[0]
        out.cases = runs.map(\.cases).reduce(0, +)
        out.measured = runs.map(\.measured).reduce(0, +)
        out.passed = runs.allSatisfy(\.passed)
        out.note =
          "s_i = 1/(i + a), a ∈ {0, −1/2, 1/2, 3}, D ∈ {2, 3, 5, 8}, k ≤ \(c.upTo): "
          + (out.passed
            ? "h_k = h₁ + (k−1)/(1+a)·uuᵀh₁, equispaced on the line (a = 0 is RA4)"
            : runs.filter { !$0.passed }.map(\.note).joined(separator: "; "))
        return out
      },
      counterexamples: { c, g in
        [.rotationPerBlock, .rankTwo, .doubled].map {
          RAImpliesRA1Check.verify(depth: c.upTo, blocks: $0, using: &g)
        }
      }),
    ProofStep(
      AppendixTypoCheck.name, theorem: "3.1",
      claim: { c, g in AppendixTypoCheck.verify(depth: typoDepth(c), using: &g) },
      counterexamples: { c, g in
        [AppendixTypoCheck.verify(depth: typoDepth(c), ratio: 1, using: &g)]
      }
    ),
  ]

  static let theorem33: [ProofStep] = [
    ProofStep(
      LogitIsTraceCheck.name, theorem: "3.3",
      claim: { c, g in LogitIsTraceCheck.verify(cases: fraction(c.cases, 4), using: &g) },
      counterexamples: { c, g in
        [LogitIsTraceCheck.verify(cases: fraction(c.cases, 4), order: .reversed, using: &g)]
      }),
    ProofStep(
      PowerSetExpansionCheck.name, theorem: "3.3",
      claim: { c, g in PowerSetExpansionCheck.verify(cases: fraction(c.cases, 20), using: &g) },
      counterexamples: { c, g in
        [.oneTermLeftOut, .unordered].map {
          PowerSetExpansionCheck.verify(cases: fraction(c.cases, 20), expansion: $0, using: &g)
        }
      }),
    ProofStep(
      MirandaThompsonCheck.name, theorem: "3.3",
      claim: { c, g in MirandaThompsonCheck.verify(cases: c.cases, using: &g) },
      counterexamples: { c, g in
        [
          MirandaThompsonCheck.verify(
            cases: c.cases, bound: .signTermDropped, family: .negativeDeterminant, using: &g)
        ]
      }),
    ProofStep(
      AlignmentAttainsBoundCheck.name, theorem: "3.3",
      claim: { c, g in
        AlignmentAttainsBoundCheck.verify(cases: fraction(c.cases, 10), using: &g)
      },
      counterexamples: { c, g in
        [.negativeMultiple, .ownBasis].map {
          AlignmentAttainsBoundCheck.verify(cases: fraction(c.cases, 10), variant: $0, using: &g)
        }
      }),
    ProofStep(
      ZeroingKeepsLogitCheck.name, theorem: "3.3",
      claim: { c, g in ZeroingKeepsLogitCheck.verify(cases: fraction(c.cases, 4), using: &g) },
      counterexamples: { c, g in
        [ZeroingKeepsLogitCheck.verify(cases: fraction(c.cases, 4), keptIndex: 1, using: &g)]
      }),
    ProofStep(
      ArithmeticGeometricMeanCheck.name, theorem: "3.3",
      claim: { c, g in ArithmeticGeometricMeanCheck.verify(cases: c.cases, using: &g) },
      counterexamples: { _, _ in
        [
          ArithmeticGeometricMeanCheck.verify(
            [(top: .one, s: ArithmeticGeometricMeanCheck.negativeCounterexample)],
            label: "s = (−1, −1, −4) outside s_i ≥ 0")
        ]
      }),
    ProofStep(
      JensenRegulariserCheck.name, theorem: "3.3",
      claim: { c, g in JensenRegulariserCheck.verify(cases: c.cases, using: &g) },
      counterexamples: { c, g in
        [
          JensenRegulariserCheck.verify(
            cases: c.cases, claim: .reversed, unequalOnly: true, using: &g)
        ]
      }),
    ProofStep(
      ProofConclusionCheck.name, theorem: "3.3",
      claim: { c, g in ProofConclusionCheck.verify(cases: c.cases, using: &g) },
      counterexamples: { c, g in
        [ProofConclusionCheck.verify(cases: c.cases, sign: .wrong, using: &g)]
      }),
  ]
}
