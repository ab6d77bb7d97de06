import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

// One suite per step of the proof of Theorem 3.3 (appendix B). Each runs the step's verifier
// with fixed seeds on the claim (it must pass) and on its counterexample (it must fail).

@Suite("Theorem 3.3, step 1: the logit is a trace")
struct LogitIsTraceTests {
  @Test(arguments: [UInt64(0), 7])
  func logitEqualsTraceExactly(seed: UInt64) {
    var rng = testGenerator(seed)
    let check = LogitIsTraceCheck.verify(cases: 24, using: &rng)
    #expect(check.passed && check.cases == 24, "\(check.note)")
  }

  @Test func reversedProductIsDetected() {
    var rng = testGenerator(0)
    let check = LogitIsTraceCheck.verify(cases: 24, order: .reversed, using: &rng)
    #expect(!check.passed && check.measured > 0)
  }
}

@Suite("Theorem 3.3, step 2: the product of blocks expands over the power set")
struct PowerSetExpansionTests {
  @Test func orderedSubsetProductsSumToTheProduct() {
    var rng = testGenerator(1)
    // L = 2…8 and 1 (the CLI goes to 10; 2^8 subsets keep the debug build fast).
    let check = PowerSetExpansionCheck.verify(cases: 8, using: &rng)
    #expect(check.passed, "\(check.note)")
  }

  @Test(arguments: [
    PowerSetExpansionCheck.Expansion.oneTermLeftOut, .unordered,
  ])
  func wrongExpansionIsDetected(expansion: PowerSetExpansionCheck.Expansion) {
    var rng = testGenerator(1)
    // L = 2…7: every case breaks (unordered products would agree for L = 1 only).
    let check = PowerSetExpansionCheck.verify(cases: 6, expansion: expansion, using: &rng)
    #expect(!check.passed)
    #expect(check.measured == 6)
  }
}

@Suite("Theorem 3.3, step 3: Miranda and Thompson's trace bound", .serialized)
struct MirandaThompsonTests {
  @Test(arguments: [UInt64(0), 11])
  func noRotationExceedsTheBoundAndSVDRotationsAttainIt(seed: UInt64) {
    var rng = testGenerator(seed)
    let check = MirandaThompsonCheck.verify(cases: 120, using: &rng)
    #expect(check.passed, "\(check.note)")
    #expect(check.measured <= MirandaThompsonCheck.tolerance)
  }

  @Test func rankDeficientFactorsStillObeyTheFormula() {
    // Every third case has a rank-deficient factor; 30 cases include n = 2…6.
    var rng = testGenerator(3)
    let check = MirandaThompsonCheck.verify(cases: 30, using: &rng)
    #expect(check.passed && check.note.contains("10 with a rank-deficient factor"), "\(check.note)")
  }

  @Test func boundWithoutSignTermIsNotAttainedWhenDeterminantIsNegative() {
    var rng = testGenerator(0)
    let check = MirandaThompsonCheck.verify(
      cases: 60, bound: .signTermDropped, family: .negativeDeterminant, using: &rng)
    #expect(!check.passed)
    #expect(check.measured > 1e-6, "overstated by 2∏s_n: \(check.note)")
  }
}

@Suite("Theorem 3.3, step 4: aligned Jacobians attain the bound term by term")
struct AlignmentTests {
  @Test(arguments: [UInt64(0), 5])
  func alignedPointAttainsEveryTerm(seed: UInt64) {
    var rng = testGenerator(seed)
    let check = AlignmentAttainsBoundCheck.verify(cases: 16, using: &rng)
    #expect(check.passed, "\(check.note)")
  }

  @Test(arguments: [
    AlignmentAttainsBoundCheck.Variant.negativeMultiple, .ownBasis,
  ])
  func misalignedPointIsDetected(variant: AlignmentAttainsBoundCheck.Variant) {
    var rng = testGenerator(0)
    let check = AlignmentAttainsBoundCheck.verify(cases: 16, variant: variant, using: &rng)
    #expect(!check.passed)
    #expect(check.measured == 16, "every case is genuinely misaligned")
  }
}

@Suite("Theorem 3.3, step 5: zeroing off-support singular values keeps the logit")
struct ZeroingTests {
  @Test(arguments: [UInt64(0), 9])
  func zeroingKeepsLogitAndLowersRegulariser(seed: UInt64) {
    var rng = testGenerator(seed)
    let check = ZeroingKeepsLogitCheck.verify(cases: 24, using: &rng)
    #expect(check.passed, "\(check.note)")
  }

  @Test func keepingAnotherEntryIsDetected() {
    var rng = testGenerator(0)
    let check = ZeroingKeepsLogitCheck.verify(cases: 24, keptIndex: 1, using: &rng)
    #expect(!check.passed)
    #expect(check.measured == 24, "positive s_{i,1} always moves the logit")
  }
}

@Suite("Theorem 3.3, step 6: AM–GM on the top singular values")
struct ArithmeticGeometricMeanTests {
  @Test(arguments: [UInt64(0), 3])
  func productIsAtMostPowerOfMeanWithEqualityIffEqual(seed: UInt64) {
    var rng = testGenerator(seed)
    let check = ArithmeticGeometricMeanCheck.verify(cases: 400, using: &rng)
    #expect(check.passed, "\(check.note)")
  }

  @Test func negativeValuesOutsideThePremiseAreDetected() {
    let check = ArithmeticGeometricMeanCheck.verify(
      [(top: .one, s: ArithmeticGeometricMeanCheck.negativeCounterexample)], label: "")
    #expect(!check.passed && check.measured == 1)
    // ∏(1 + s_i) = 0 > (1 + mean)³ = −1.
    let s = ArithmeticGeometricMeanCheck.negativeCounterexample
    #expect(s.map { 1 + $0 }.product() == .zero)
    #expect((1 + s.sum() / 3).power(3) == -1)
  }
}

@Suite("Theorem 3.3, step 7: Jensen's inequality for the regulariser")
struct JensenTests {
  @Test(arguments: [UInt64(0), 2])
  func differenceIsTheSpreadAndNonNegative(seed: UInt64) {
    var rng = testGenerator(seed)
    let check = JensenRegulariserCheck.verify(cases: 400, using: &rng)
    #expect(check.passed, "\(check.note)")
  }

  @Test func reversedInequalityIsDetected() {
    var rng = testGenerator(0)
    let check = JensenRegulariserCheck.verify(
      cases: 100, claim: .reversed, unequalOnly: true, using: &rng)
    #expect(!check.passed)
    #expect(check.measured == Double(check.cases))
  }
}

@Suite("Theorem 3.3: the constructed point is no worse and no better than f*", .serialized)
struct ProofConclusionTests {
  @Test(arguments: [UInt64(0), 13])
  func constructedPointLiesBetweenOptimumAndOriginal(seed: UInt64) {
    var rng = testGenerator(seed)
    let check = ProofConclusionCheck.verify(cases: 48, using: &rng)
    #expect(check.passed, "\(check.note)")
  }

  @Test func wrongSignOfClassifierIsDetected() {
    var rng = testGenerator(0)
    let check = ProofConclusionCheck.verify(cases: 48, sign: .wrong, using: &rng)
    #expect(!check.passed && check.measured > 1e-3)
  }
}

@Suite("ujm verify's catalog lists every step of the issue")
struct ExecutableProofsTests {
  @Test func everyIdIsListedOnceInThePapersOrder() {
    #expect(
      ExecutableProofs.steps.map(\.name) == [
        "thm3.1.product", "thm3.1.implication", "thm3.1.typo", "thm3.3.trace",
        "thm3.3.power-set", "thm3.3.miranda-thompson", "thm3.3.alignment", "thm3.3.zeroing",
        "thm3.3.am-gm", "thm3.3.jensen", "thm3.3.conclusion", "multiclass.rank-bound",
      ])
    #expect(ExecutableProofs.steps(theorem: "3.1").count == 3)
  }

  @Test func everyStepPassesAndEveryCounterexampleIsDetected() {
    let configuration = ProofConfiguration(upTo: 12, cases: 40, seed: 21)
    for step in ExecutableProofs.steps {
      let check = step.verify(configuration)
      #expect(check.passed, "\(step.name): \(check.note)")
      let counter = step.verifyCounterexample(configuration)
      #expect(counter.detected == true, "\(step.name): \(counter.note)")
    }
  }

  @Test func sameSeedGivesTheSameReport() {
    let configuration = ProofConfiguration(upTo: 5, cases: 20, seed: 3)
    let a = ExecutableProofs.run(theorem: "3.3", configuration: configuration)
    let b = ExecutableProofs.run(theorem: "3.3", configuration: configuration)
    #expect(a == b)
  }
}
