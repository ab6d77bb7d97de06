import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

@Suite("Beyond the paper: stationarity of the multi-class UJM implies rank ≤ C−1 and 1ᵀW = 0")
struct MulticlassRankBoundTests {
  @Test(arguments: [UInt64(0), 5])
  func crossEntropyGradientsGiveTheBoundExactly(seed: UInt64) {
    var rng = testGenerator(seed)
    let check = MulticlassRankBoundCheck.verify(cases: 24, using: &rng)
    print(check.note)
    #expect(check.passed && check.cases == 24 && check.kind == .exact, "\(check.note)")
  }

  @Test func squaredErrorToOneHotTargetsReachesRankC() {
    var rng = testGenerator(0)
    let check = MulticlassRankBoundCheck.verify(cases: 24, loss: .squaredError, using: &rng)
    print(check.note)
    #expect(!check.passed && check.measured == 24, "\(check.note)")
    #expect(check.note.contains("rank C reached in"))
  }

  @Test func theStepIsRegisteredWithItsCounterexample() {
    let steps = ExecutableProofs.steps(theorem: "multiclass")
    #expect(steps.map(\.name) == ["multiclass.rank-bound"])
    let configuration = ProofConfiguration(upTo: 5, cases: 60, seed: 0)
    #expect(steps[0].verify(configuration).passed)
    #expect(steps[0].verifyCounterexample(configuration).detected == true)
  }

  @Test func exactRankOfKnownMatrices() {
    let a = RationalMatrix(
      rowMajor: [[1, 2, 3], [2, 4, 6], [1, 0, 1]].map { $0.map { Rational($0) } })
    #expect(a.rank == 2)
    #expect(RationalMatrix.identity(4).rank == 4)
    #expect(RationalMatrix(rows: 3, columns: 2).rank == 0)
    let x = [Rational(1), Rational(-2), Rational(1, 3)]
    #expect(RationalMatrix.outer(x, x).rank == 1)
  }
}

@Suite("ujm verify --counterexamples shrinks every detected counterexample to its smallest run")
struct CounterexampleShrinkingTests {
  @Test func everyCounterexampleShrinksToADetectedRunWhoseSmallerNeighboursAreNot() {
    let configuration = ProofConfiguration(upTo: 12, cases: 40, seed: 3)
    for step in ExecutableProofs.steps {
      let check = step.shrinkCounterexample(configuration)
      #expect(check.detected == true && check.shrunk == true, "\(step.name)")
      guard let shrunk = check.counterexample else {
        Issue.record("\(step.name): no shrunk run")
        continue
      }
      print("\(step.name): \(shrunk.command)")
      let run = ProofConfiguration(upTo: shrunk.up_to, cases: shrunk.cases, seed: 3)
      #expect(step.verifyCounterexample(run).detected == true, "\(step.name)")
      if shrunk.cases > 1 {
        let fewer = ProofConfiguration(upTo: shrunk.up_to, cases: shrunk.cases - 1, seed: 3)
        #expect(step.verifyCounterexample(fewer).detected != true, "\(step.name): not minimal")
      }
      if shrunk.up_to > 1 {
        let shallower = ProofConfiguration(upTo: shrunk.up_to - 1, cases: shrunk.cases, seed: 3)
        #expect(step.verifyCounterexample(shallower).detected != true, "\(step.name)")
      }
      #expect(shrunk.cases <= 40 && shrunk.up_to <= 12)
      #expect(shrunk.command.contains("--cases \(shrunk.cases) --up-to \(shrunk.up_to)"))
    }
  }

  @Test func theMulticlassCounterexampleShrinksToTheSmallestInstance() {
    let step = ExecutableProofs.steps(theorem: "multiclass")[0]
    let check = step.shrinkCounterexample(ProofConfiguration(upTo: 5, cases: 200, seed: 0))
    #expect(check.counterexample?.cases == 1 && check.counterexample?.up_to == 1)
    #expect(
      check.counterexample?.note.contains("first failure: C = 2, D = 2, N = 2, L = 1, rank 2")
        == true, "\(check.counterexample?.note ?? "")")
  }

  @Test func anUndetectedCounterexampleIsNotShrunk() {
    // At k ≤ 2 Theorem 3.1's equal-spacing claim cannot be refuted (VerifyCommandTests).
    let configuration = ProofConfiguration(upTo: 2, cases: 10, seed: 0)
    let undetected = ExecutableProofs.steps(theorem: "3.1").map {
      $0.shrinkCounterexample(configuration)
    }.filter { $0.detected != true }
    #expect(!undetected.isEmpty)
    for check in undetected { #expect(check.shrunk == false && check.counterexample == nil) }
  }
}
