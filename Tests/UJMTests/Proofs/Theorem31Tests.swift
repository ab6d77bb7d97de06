import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

@Suite("Theorem 3.1")
struct Theorem31Tests {
  @Test func productTelescopesToKUpTo1000() {
    let check = ProductTelescopesCheck.verify(upTo: 1000)
    #expect(check.passed, "\(check.note)")
    #expect(check.cases == 1000 && check.measured == 0 && check.kind == .exact)
  }

  @Test func shiftedFactorIsDetected() {
    let check = ProductTelescopesCheck.verify(upTo: 50, factor: .shifted)
    #expect(!check.passed)
    #expect(check.measured == 49, "k = 1 is the empty product; every k ≥ 2 fails")
  }

  @Test func alignedRankOneBlocksGiveEquispacedPointsOnALine() {
    for seed: UInt64 in [0, 1] {
      var rng = testGenerator(seed)
      for a in [Rational.zero, Rational(-1, 2), Rational(3)] {
        let check = RAImpliesRA1Check.verify(
          depth: 40, blocks: .aligned(shift: a), dimensions: [2, 3, 5], using: &rng)
        #expect(check.passed, "\(check.note)")
      }
    }
  }

  @Test(arguments: [
    RAImpliesRA1Check.Blocks.rotationPerBlock, .rankTwo, .doubled,
  ])
  func brokenPremiseIsDetected(blocks: RAImpliesRA1Check.Blocks) {
    var rng = testGenerator(4)
    let check = RAImpliesRA1Check.verify(depth: 40, blocks: blocks, using: &rng)
    #expect(!check.passed)
    #expect(check.measured == Double(check.cases), "every stream breaks: \(check.note)")
  }

  @Test func constantQuarterGivesStepsGrowingByFiveQuarters() {
    var rng = testGenerator(5)
    let check = AppendixTypoCheck.verify(depth: 40, using: &rng)
    #expect(check.passed, "\(check.note)")
  }

  @Test func equalSpacingClaimForTheTypoIsDetected() {
    var rng = testGenerator(5)
    let check = AppendixTypoCheck.verify(depth: 40, ratio: 1, using: &rng)
    #expect(!check.passed)
    #expect(check.measured == 3)
  }
}
