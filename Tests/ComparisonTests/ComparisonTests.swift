import Comparison
import Empirical
import Foundation
import LinearAlgebra
import TestSupport
import Testing
import UJM

/// The rows of a comparison by name.
private func rows(_ c: TheoryComparison) -> [String: Prediction] {
  Dictionary(uniqueKeysWithValues: c.predictions.map { ($0.name, $0) })
}

/// Pairs x_a = c − α·u, x_b = c + β·u (c ⟂ u) of the theory network: they differ along u only.
private func theoryPairs(_ u: [Double], count: Int) -> [InputPair] {
  var rng = testGenerator(21)
  return (0..<count).map { k in
    var c: [Double] = Gaussian.sample(u.count, standardDeviation: 1, using: &rng)
    c.add(u, scaledBy: -c.dot(u))
    let alpha = 0.5 + Double(k) * 0.3
    let beta = 1.5 - Double(k) * 0.2
    var xa = c
    xa.add(u, scaledBy: -alpha)
    var xb = c
    xb.add(u, scaledBy: beta)
    return InputPair(a: 2 * k, b: 2 * k + 1, xa: xa, xb: xb)
  }
}

@Suite("Boundary point: the first sign change of z on x(t), to |z| ≤ 1e-10")
struct BoundarySearchTests {
  @Test func findsTheRootOfAMarginLinearInT() {
    // Roots on a grid point, inside an interval, near both ends; slope 1e3 so |z| ≤ 1e-10
    // pins t to 1e-13.
    withEvery("t0", in: [0.5, 0.3, 1.0 / 3, 0.999, 0.0007, 2.0 / 64]) { t0, label in
      let found = BoundarySearch.search { 1e3 * ($0 - t0) }
      #expect(found != nil, "\(label)")
      let error = abs(found!.t - t0)
      print("boundary of 1e3·(t − \(t0)): |t − t0| = \(error) (tolerance 1e-12)")
      #expect(error <= 1e-12, "\(label)")
      #expect(abs(found!.z) <= 1e-10, "\(label)")
    }
  }

  @Test func findsTheKnownBoundaryOfALinearNetwork() {
    let (network, u) = SyntheticNetworks.theory(steepness: 1e4)
    for pair in theoryPairs(u, count: 3) {
      let za = network.margin(pair.xa)
      let zb = network.margin(pair.xb)
      // z is affine along the segment: z(t) = z_a + t·(z_b − z_a).
      let t0 = za / (za - zb)
      let found = BoundarySearch.search { network.margin(pair.point(at: $0)) }!
      print("linear network: t = \(found.t), known \(t0), |Δt| = \(abs(found.t - t0))")
      #expect(abs(found.t - t0) <= 1e-12)
      // The batched grid of ujm compare finds the same point.
      let batched = PairMeasurement.boundaryPoint(network: network, pair: pair)!
      #expect(abs(batched.t - t0) <= 1e-12)
    }
  }

  @Test func aPairWithoutSignChangeIsReportedAndSkipped() throws {
    let network = SyntheticNetworks.randomInit()
    var pairs = SyntheticNetworks.pairs(network, count: 2)
    // Both inputs of the second pair on the negative side: no boundary point between them.
    pairs[1].xb = pairs[0].xa
    let c = try TheoryComparison.compare(network: network, pairs: pairs, rank: 3, seed: 4)
    #expect(c.pairs[0].boundaryPoint != nil && c.pairs[1].boundaryPoint == nil)
    #expect(c.pairs[1].endpoints.isEmpty && c.pairs[1].zb < 0 && c.pairs[1].za < 0)
    // The rows are taken over the one measured pair.
    #expect(c.predictions.first { $0.name == "rank_one@boundary" }!.measured.count == 1)
  }

  @Test func noSignChangeGivesNoPoint() {
    #expect(BoundarySearch.search { 1 + $0 } == nil)
  }
}

@Suite("Linear propagation: ẑ = z(x_mid) + wᵀδ_{L+1}")
struct LinearisationTests {
  @Test func linearisedMarginEqualsTheMarginOfALinearNetwork() throws {
    let network = SyntheticNetworks.linear()
    let pairs = SyntheticNetworks.pairs(network, count: 3)
    #expect(
      pairs.allSatisfy {
        SyntheticNetworks.isLinear(network, at: $0.xa)
          && SyntheticNetworks.isLinear(network, at: $0.xb)
      })
    let c = try TheoryComparison.compare(network: network, pairs: pairs, rank: 3, seed: 1)
    for e in c.pairs.flatMap(\.endpoints) {
      let error = abs(e.linearisedZ - e.z) / abs(e.z)
      print("linear network: |ẑ − z|/|z| = \(error) (tolerance 1e-12)")
      #expect(error <= 1e-12)
    }
    #expect(rows(c)["linearisation@endpoints"]!.measured.max <= 1e-12)
  }

  @Test func linearisationFailsOnAReLUNetwork() throws {
    // The counterexample: a random network with inputs far apart, where ReLUs switch on the way.
    let network = SyntheticNetworks.randomInit()
    let pairs = SyntheticNetworks.pairs(network, count: 4, scale: 3)
    let c = try TheoryComparison.compare(network: network, pairs: pairs, rank: 3, seed: 1)
    let row = rows(c)["linearisation@endpoints"]!
    print("random init: linearisation median \(row.measured.median), max \(row.measured.max)")
    #expect(row.measured.max > 1e-3)
  }
}

@Suite("Theorem 3.3 rows: hold on a network built to satisfy it, fail at random init")
struct PredictionRowTests {
  @Test func theoryNetworkSatisfiesRankOneAlignmentAndEqualSigma() throws {
    let (network, u) = SyntheticNetworks.theory()
    let c = try TheoryComparison.compare(
      network: network, pairs: theoryPairs(u, count: 3), rank: 3, seed: 2)
    #expect(c.liveBlocks == [1, 2, 3])
    let table = rows(c)
    for name in [
      "rank_one@boundary", "equal_sigma1@boundary", "cross_block_alignment@boundary",
      "delta_alignment@boundary", "classifier_alignment@boundary", "balance@boundary",
      "exponential_growth@boundary", "linearisation@endpoints",
    ] {
      let row = table[name]!
      let error = max(abs(row.measured.min - row.theory), abs(row.measured.max - row.theory))
      print(
        "theory network: \(name) measured [\(row.measured.min), \(row.measured.max)], "
          + "theory \(row.theory), error \(error) (tolerance 1e-8)")
      #expect(error <= 1e-8, "\(name)")
      #expect(row.holds, "\(name)")
      #expect(row.measured.count >= 3, "\(name)")
    }
  }

  @Test func randomInitNetworkIsTheCounterexampleOfEveryBoundaryRow() throws {
    let network = SyntheticNetworks.randomInit()
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.pairs(network, count: 4), rank: 3, seed: 3)
    #expect(c.liveBlocks == [1, 2, 3])
    let table = rows(c)
    for name in [
      "rank_one@boundary", "equal_sigma1@boundary", "cross_block_alignment@boundary",
      "delta_alignment@boundary", "classifier_alignment@boundary", "balance@boundary",
    ] {
      let row = table[name]!
      print(
        "random init: \(name) median \(row.measured.median), theory \(row.theory), "
          + "tolerance \(row.tolerance): \(row.holds ? "holds" : "does not hold")")
      #expect(!row.holds, "\(name)")
    }
  }

  @Test func oneOverDepthNetworkIsTheCounterexampleOfEqualSigmaAndExponentialGrowth() throws {
    // At random init every branch is small and alike, so ‖δ_{i+1}‖/‖δ_i‖ ≈ 1 in every block
    // and exponential_growth holds trivially there (CV ≈ 0.03). Its counterexample: the theory
    // network with RA4's σ₁ = 2/i instead of equal values.
    let (network, u) = SyntheticNetworks.theory(sigma1: [2, 1, 2.0 / 3])
    let c = try TheoryComparison.compare(
      network: network, pairs: theoryPairs(u, count: 3), rank: 3, seed: 3)
    let table = rows(c)
    for name in ["equal_sigma1@boundary", "exponential_growth@boundary"] {
      let row = table[name]!
      print("σ₁ = 2/i network: \(name) median \(row.measured.median), tolerance \(row.tolerance)")
      #expect(!row.holds, "\(name)")
    }
    // Rank one and the alignments still hold: they do not depend on the σ₁.
    #expect(table["rank_one@boundary"]!.holds && table["delta_alignment@boundary"]!.holds)
  }

  @Test func everyRowSaysItsNumbers() throws {
    let network = SyntheticNetworks.randomInit()
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.pairs(network, count: 2), rank: 3, seed: 3)
    let names = c.predictions.map(\.name)
    #expect(
      names == [
        "rank_one@boundary", "equal_sigma1@boundary", "cross_block_alignment@boundary",
        "delta_alignment@boundary", "classifier_alignment@boundary", "balance@boundary",
        "exponential_growth@boundary", "linearisation@endpoints", "inverse_depth_r2@endpoints",
        "ra1_pc1@endpoints",
      ])
    for row in c.predictions {
      #expect(row.note.contains("Tolerance"), "\(row.name)")
      #expect(row.holds == (abs(row.measured.median - row.theory) <= row.tolerance))
    }
    #expect(
      c.predictions.filter { $0.perBlock != nil }.map(\.name) == [
        "rank_one@boundary", "equal_sigma1@boundary", "delta_alignment@boundary",
        "exponential_growth@boundary",
      ])
  }

  @Test func deadBranchesAreLeftOut() throws {
    // Block 2 of the theory network decayed to zero: the rows use blocks 1 and 3 only.
    let (network, u) = SyntheticNetworks.theory(deadBlocks: [2])
    let c = try TheoryComparison.compare(
      network: network, pairs: theoryPairs(u, count: 2), rank: 3, seed: 2)
    #expect(c.liveBlocks == [1, 3])
    #expect(rows(c)["rank_one@boundary"]!.perBlock!.map(\.block) == [1, 3])
    #expect(rows(c)["equal_sigma1@boundary"]!.holds)
  }
}

@Suite("The UJM fitted with one parameter: λ_eff from s*(λ_eff) = σ̄₁")
struct UJMFitTests {
  @Test func lambdaEffectiveInvertsTheReducedProblem() throws {
    withEvery("λ", in: [1e-1, 1e-3, 1e-6, 1e-43, 1e-200]) { lambda, label in
      let reduced = ReducedProblem(depth: 3, lambda: lambda, dxNorm: 2).minimize()
      let fit = try! UJMFit.fit(
        depth: 3, dxNorm: 2, targetSigma1: reduced.s, measuredClassifierNorm: 1,
        measuredMargin: 1, dx: nil, seed: 0)
      let error = abs(fit.lambdaEffective! - lambda) / lambda
      print(
        "UJM fit at λ = \(lambda): λ_eff relative error \(error) (tolerance 1e-6); "
          + "global check \(fit.globalCheck ?? .nan)")
      #expect(error <= 1e-6, "\(label)")
      #expect(abs(fit.tStar! - reduced.t) / reduced.t <= 1e-6, "\(label)")
      #expect(fit.globalCheck! <= 1e-6, "\(label)")
    }
  }

  @Test func unreachableSigmaGivesNullAndTheRange() throws {
    let fit = try UJMFit.fit(
      depth: 8, dxNorm: 10, targetSigma1: 2, measuredClassifierNorm: 1, measuredMargin: 1,
      dx: nil, seed: 0)
    print("σ̄₁ = 2 at L = 8, r = 10: \(fit.note)")
    #expect(fit.lambdaEffective == nil && fit.sStar == nil)
    #expect(fit.reachable[1] < 2 && fit.note.contains("outside"))
    let json = String(decoding: try JSONEncoder().encode(fit), as: UTF8.self)
    #expect(json.contains("\"lambda_effective\":null"))
  }

  @Test func fullSolveRunsOnTheModelsDeltaX() throws {
    let (network, u) = SyntheticNetworks.theory()
    let c = try TheoryComparison.compare(
      network: network, pairs: theoryPairs(u, count: 2), rank: 3, seed: 2)
    let fit = c.fit
    print("theory network fit: \(fit.note); λ_eff \(fit.lambdaEffective ?? .nan)")
    #expect(fit.lambdaEffective != nil)
    #expect(abs(fit.sStar! - 0.5) <= 1e-9)
    let solve = try #require(fit.fullSolve)
    print("full solve: \(solve.stopReason), \(solve.checksPassed)/\(solve.checks) checks")
    #expect(solve.dimension == 8)
    #expect(solve.stopReason == "converged" && solve.checksPassed == solve.checks)
  }
}

@Suite("Pairs drawn for --pairs N")
struct PairSelectionTests {
  @Test func drawsCorrectlyClassifiedPairsReproducibly() {
    let labels = (0..<40).map { $0 % 2 }
    let correct = { (n: Int) in n % 3 != 0 }
    var g1 = testGenerator(5)
    var g2 = testGenerator(5)
    let a = PairSelection.draw(count: 5, labels: labels, isCorrect: correct, using: &g1)!
    let b = PairSelection.draw(count: 5, labels: labels, isCorrect: correct, using: &g2)!
    #expect(a.map(\.a) == b.map(\.a) && a.map(\.b) == b.map(\.b))
    #expect(
      a.allSatisfy { labels[$0.a] == 0 && labels[$0.b] == 1 && correct($0.a) && correct($0.b) })
    #expect(Set(a.map(\.a)).count == 5)
    var g3 = testGenerator(5)
    #expect(PairSelection.draw(count: 20, labels: labels, isCorrect: correct, using: &g3) == nil)
  }
}
