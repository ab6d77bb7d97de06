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
