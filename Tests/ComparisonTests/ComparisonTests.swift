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

/// The verdict rows (every row but the not-identifiable balance).
private let verdictRows = [
  "rank_one@boundary", "equal_sigma1@boundary", "cross_block_alignment@boundary",
  "delta_alignment@boundary", "classifier_alignment@boundary", "stationarity@boundary",
  "symmetry@boundary", "growth_rate@boundary", "linearisation@endpoints",
  "inverse_depth@endpoints", "ra1_pc1@endpoints",
]

/// The relational rows (those with a null).
private let relationalRows = [
  "cross_block_alignment@boundary", "delta_alignment@boundary",
  "classifier_alignment@boundary", "stationarity@boundary", "symmetry@boundary",
]

@Suite("Theorem 3.3 rows: hold on a network built to satisfy it, fail on counterexamples")
struct PredictionRowTests {
  @Test func regionNetworkSatisfiesEveryBoundaryRowAndExcludesTheNull() throws {
    // J_i = s·u_Au_Aᵀ on pairs of kind A, s·u_Bu_Bᵀ on kind B: each pair satisfies Theorem 3.3
    // and its stationarity conditions, and mismatched pairs are orthogonal (null 0).
    let (network, u) = SyntheticNetworks.regions()
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.regionPairs(u, count: 6), rank: 3, seed: 2)
    #expect(c.liveBlocks == [1, 2, 3])
    let table = rows(c)
    for name in verdictRows where name != "inverse_depth@endpoints" {
      let row = table[name]!
      let error = max(abs(row.measured.min - row.theory), abs(row.measured.max - row.theory))
      print(
        "region network: \(name) measured [\(row.measured.min), \(row.measured.max)], CI "
          + "\(row.ci), null \(row.null?.median ?? .nan), theory \(row.theory), error \(error) "
          + "(tolerance 1e-8) — \(row.verdict)")
      #expect(error <= 1e-8, "\(name)")
      #expect(row.holds == true, "\(name): \(row.verdict)")
      #expect(row.measured.count >= 6, "\(name)")
    }
    for name in relationalRows {
      let null = try #require(table[name]!.null)
      print("region network: \(name) null median \(null.median), CI \(null.ci)")
      #expect(null.median <= 1e-8, "\(name)")
    }
    // Equal σ₁ in every block: 1/σ₁ is flat, slope 0, not RA4's 1/i.
    #expect(table["inverse_depth@endpoints"]!.holds == false)
    #expect(table["balance@boundary"]!.holds == nil)
  }

  @Test func aSharedDirectionCannotExcludeItsNull() throws {
    // The theory network has one u for every pair: each relational row measures 1, but so does
    // its null (pairs mismatched), so the row does not hold and says why.
    let (network, u) = SyntheticNetworks.theory()
    let c = try TheoryComparison.compare(
      network: network, pairs: theoryPairs(u, count: 4), rank: 3, seed: 2)
    let table = rows(c)
    for name in relationalRows {
      let row = table[name]!
      print("shared u: \(name) CI \(row.ci), null \(row.null!.median) — \(row.verdict)")
      #expect(abs(row.measured.median - 1) <= 1e-8 && abs(row.null!.median - 1) <= 1e-8)
      #expect(row.holds == false && row.verdict.contains("contains the null's median"))
      #expect(!row.verdict.contains("from the theory"), "\(name): the interval is within tolerance")
    }
    // The non-relational rows hold.
    #expect(table["rank_one@boundary"]!.holds == true)
    #expect(table["growth_rate@boundary"]!.holds == true)
  }

  @Test func randomInitNetworkIsTheCounterexampleOfEveryBoundaryRow() throws {
    let network = SyntheticNetworks.randomInit()
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.pairs(network, count: 4), rank: 3, seed: 3)
    #expect(c.liveBlocks == [1, 2, 3])
    let table = rows(c)
    for name in [
      "rank_one@boundary", "equal_sigma1@boundary", "cross_block_alignment@boundary",
      "delta_alignment@boundary", "classifier_alignment@boundary", "stationarity@boundary",
      "symmetry@boundary", "growth_rate@boundary",
    ] {
      let row = table[name]!
      print(
        "random init: \(name) median \(row.measured.median), CI \(row.ci), theory "
          + "\(row.theory), tolerance \(row.tolerance): \(row.verdict)")
      #expect(row.holds == false, "\(name)")
    }
    #expect(table["balance@boundary"]!.holds == nil)
  }

  @Test func offAxisDeltaIsTheCounterexampleOfGrowthRate() throws {
    // δ with a large component ⟂ u grows by less than 1 + s per block: growth rate < 1, while
    // the Jacobian rows (rank one, symmetry) still hold.
    let (network, u) = SyntheticNetworks.regions()
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.regionPairs(u, count: 6, offAxis: 5),
      rank: 3, seed: 3)
    let table = rows(c)
    let growth = table["growth_rate@boundary"]!
    print("off-axis δ: growth_rate median \(growth.measured.median), CI \(growth.ci)")
    #expect(growth.holds == false && growth.measured.median < 0.9)
    #expect(table["stationarity@boundary"]!.holds == false)
    #expect(table["rank_one@boundary"]!.holds == true && table["symmetry@boundary"]!.holds == true)
  }

  @Test func antisymmetricBranchesAreTheCounterexampleOfSymmetryAndStationarity() throws {
    // J_i = −s·u_Au_Aᵀ: rank one and aligned, but u₁ = −v₁ and J_i points against the
    // gradient y·(A_iᵀw)δ_iᵀ.
    let (original, u) = SyntheticNetworks.regions(s: 0.2)
    var network = original
    for i in network.branches.indices { network.branches[i].w2.scale(by: -1) }
    // The boundary back at uᵀx = 0 in both regions.
    network.classifierBias = [0, 0]
    let z0 = network.margin(
      [Double](repeating: 0, count: u.count) + [Double](repeating: -100, count: u.count))
    network.classifierBias = [0, -z0]
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.regionPairs(u, count: 6), rank: 3, seed: 3)
    let table = rows(c)
    for name in ["symmetry@boundary", "stationarity@boundary"] {
      let row = table[name]!
      print("J = −s·uuᵀ: \(name) median \(row.measured.median), CI \(row.ci) — \(row.verdict)")
      #expect(row.holds == false && abs(row.measured.median + 1) <= 1e-8, "\(name)")
    }
    #expect(table["rank_one@boundary"]!.holds == true)
  }

  @Test func oneOverDepthNetworkSatisfiesInverseDepthAndFailsEqualSigma() throws {
    // σ₁ = 1/i in 4 blocks: 1/σ₁ = i exactly, slope 1 and R² 1 (RA4, Theorem 3.1); the growth
    // rate is still exactly 1 + s_i per block; equal σ₁ (Theorem 3.3 on the boundary) fails.
    let (network, u) = SyntheticNetworks.regions(sigma1: [1, 1.0 / 2, 1.0 / 3, 1.0 / 4])
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.regionPairs(u, count: 6), rank: 3, seed: 3)
    let table = rows(c)
    let depth = table["inverse_depth@endpoints"]!
    print("σ₁ = 1/i: inverse_depth slope median \(depth.measured.median), CI \(depth.ci)")
    #expect(abs(depth.measured.median - 1) <= 1e-9 && depth.holds == true)
    #expect(table["growth_rate@boundary"]!.holds == true)
    #expect(table["equal_sigma1@boundary"]!.holds == false)
  }

  @Test func sigmaGrowingWithDepthIsTheCounterexampleOfInverseDepth() throws {
    // Anti-RA4: σ₁ = 0.25, 0.5, 1, 2 grows with depth, so 1/σ₁ falls: a negative slope, even
    // though the points lie on a smooth curve.
    let (network, u) = SyntheticNetworks.regions(sigma1: [0.25, 0.5, 1, 2])
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.regionPairs(u, count: 4), rank: 3, seed: 3)
    let row = rows(c)["inverse_depth@endpoints"]!
    print("σ₁ growing: inverse_depth slope median \(row.measured.median) — \(row.verdict)")
    #expect(row.measured.median < 0 && row.holds == false)
  }

  @Test func inverseDepthIsNotApplicableWithFewerThanThreeLiveBlocks() throws {
    // Block 2 dead (F = 0): two live blocks, and a line through two points always fits.
    let (network, u) = SyntheticNetworks.regions(sigma1: [1, 0, 0.5])
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.regionPairs(u, count: 2), rank: 3, seed: 3)
    #expect(c.liveBlocks == [1, 3])
    let row = rows(c)["inverse_depth@endpoints"]!
    print("2 live blocks: inverse_depth — \(row.verdict)")
    #expect(row.holds == nil && row.verdict.hasPrefix("not applicable"))
  }

  @Test func everyRowSaysItsNumbers() throws {
    let network = SyntheticNetworks.randomInit()
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.pairs(network, count: 3), rank: 3, seed: 3)
    let names = c.predictions.map(\.name)
    #expect(
      names == [
        "rank_one@boundary", "equal_sigma1@boundary", "cross_block_alignment@boundary",
        "delta_alignment@boundary", "classifier_alignment@boundary", "stationarity@boundary",
        "symmetry@boundary", "growth_rate@boundary", "balance@boundary",
        "linearisation@endpoints", "inverse_depth@endpoints", "ra1_pc1@endpoints",
      ])
    for row in c.predictions {
      #expect(row.note.contains("Tolerance") || row.holds == nil, "\(row.name)")
      #expect((row.null != nil) == relationalRows.contains(row.name), "\(row.name)")
      if row.holds != nil {
        #expect(row.ci[0] <= row.measured.median && row.measured.median <= row.ci[1])
        let within = max(abs(row.ci[0] - row.theory), abs(row.ci[1] - row.theory)) <= row.tolerance
        if !within { #expect(row.holds == false && row.verdict.contains("from the theory")) }
      }
    }
    #expect(
      c.predictions.filter { $0.perBlock != nil }.map(\.name) == [
        "rank_one@boundary", "equal_sigma1@boundary", "delta_alignment@boundary",
        "stationarity@boundary", "symmetry@boundary", "growth_rate@boundary",
      ])
  }

  @Test func deadBranchesAreLeftOut() throws {
    // Block 2 of the theory network decayed to zero: the rows use blocks 1 and 3 only.
    let (network, u) = SyntheticNetworks.theory(deadBlocks: [2])
    let c = try TheoryComparison.compare(
      network: network, pairs: theoryPairs(u, count: 2), rank: 3, seed: 2)
    #expect(c.liveBlocks == [1, 3])
    #expect(rows(c)["rank_one@boundary"]!.perBlock!.map(\.block) == [1, 3])
    #expect(rows(c)["equal_sigma1@boundary"]!.holds == true)
  }
}

@Suite("Bootstrap intervals: seeded, 2,000 resamples of whole pairs")
struct BootstrapTests {
  @Test func intervalIsReproducibleAndContainsTheMedian() {
    var rng = testGenerator(31)
    let groups = (0..<30).map { _ in [Double.random(in: 0...1, using: &rng)] }
    let a = Bootstrap.medianInterval(groups, seed: 5)
    let b = Bootstrap.medianInterval(groups, seed: 5)
    let m = Spread(of: groups.flatMap { $0 }).median
    print("30 uniform values: median \(m), 95% CI \(a)")
    #expect(a == b && a[0] <= m && m <= a[1])
    // For 30 uniform draws the median's standard error is about 1/(2·√30) ≈ 0.09: the interval
    // is about 4 of them wide.
    #expect(a[1] - a[0] > 0.1 && a[1] - a[0] < 0.6)
    #expect(Bootstrap.medianInterval([[.nan]], seed: 5).allSatisfy { $0.isNaN })
    #expect(Bootstrap.medianInterval([[2, 2], [2]], seed: 5) == [2, 2])
  }
}

@Suite("Invariance: every verdict is unchanged by h → c·h (c = 0.25 and 4)")
struct InvarianceTests {
  /// The largest difference between two comparisons over every number of every verdict row
  /// and of the UJM fit (relative for the fit's λ_eff), and the balance ratio.
  private func difference(_ a: TheoryComparison, _ b: TheoryComparison) -> Double {
    var worst = 0.0
    func compare(_ x: Double, _ y: Double, _ what: String) {
      if x.isNaN && y.isNaN { return }
      let d = abs(x - y) / max(1, abs(x))
      if !(d <= 1e-6) { print("  \(what): \(x) vs \(y)") }
      worst = max(worst, d.isNaN ? .infinity : d)
    }
    for (r, s) in zip(a.predictions, b.predictions) where r.name != "balance@boundary" {
      compare(r.measured.median, s.measured.median, "\(r.name) median")
      compare(r.measured.min, s.measured.min, "\(r.name) min")
      compare(r.measured.max, s.measured.max, "\(r.name) max")
      compare(r.ci[0], s.ci[0], "\(r.name) ci lo")
      compare(r.ci[1], s.ci[1], "\(r.name) ci hi")
      compare(r.null?.median ?? .nan, s.null?.median ?? .nan, "\(r.name) null")
      compare(r.null?.ci[0] ?? .nan, s.null?.ci[0] ?? .nan, "\(r.name) null lo")
      compare(r.null?.ci[1] ?? .nan, s.null?.ci[1] ?? .nan, "\(r.name) null hi")
      for (x, y) in zip(r.perBlock ?? [], s.perBlock ?? []) {
        compare(x.measured.median, y.measured.median, "\(r.name) block \(x.block)")
      }
      if r.holds != s.holds { worst = .infinity }
    }
    compare(a.fit.classifierDeltaNorm, b.fit.classifierDeltaNorm, "ρ")
    compare(a.fit.dxNorm, b.fit.dxNorm, "r")
    compare(a.fit.targetSigma1, b.fit.targetSigma1, "σ̄₁")
    compare(a.fit.measuredMargin, b.fit.measuredMargin, "margin")
    compare(a.fit.predictedMargin ?? .nan, b.fit.predictedMargin ?? .nan, "predicted margin")
    if let x = a.fit.lambdaEffective, let y = b.fit.lambdaEffective {
      compare(1, y / x, "λ_eff")
    } else if (a.fit.lambdaEffective == nil) != (b.fit.lambdaEffective == nil) {
      worst = .infinity
    }
    return worst
  }

  private func balance(_ c: TheoryComparison) -> Double {
    c.predictions.first { $0.name == "balance@boundary" }!.measured.median
  }

  /// Compares `network` and each of its rescaled `copies` (c, copy) on the same pairs: every
  /// verdict number within 1e-6, balance × 1/c².
  private func expectEveryVerdictUnchanged<N: ComparableResidualNetwork>(
    _ network: N, copies: [(c: Float, network: N)], pairs: [InputPair], kind: String
  ) throws {
    let base = try TheoryComparison.compare(
      network: network, pairs: pairs, rank: 3, seed: 7, solveIterations: 200)
    #expect(base.reachedBoundary && !base.liveBlocks.isEmpty)
    for (c, copy) in copies {
      // The function is the same: the same margins on the test inputs.
      let zError = pairs.map { abs(copy.margin($0.xa) - network.margin($0.xa)) }.max()!
      let moved = try TheoryComparison.compare(
        network: copy, pairs: pairs, rank: 3, seed: 7, solveIterations: 200)
      let worst = difference(base, moved)
      let ratio = balance(moved) / balance(base)
      print(
        "\(kind) checkpoint h → \(c)·h: largest change of any verdict number \(worst) "
          + "(tolerance 1e-6); |Δz| \(zError); balance × \(ratio) (1/c² = \(1 / Double(c * c)))")
      #expect(worst <= 1e-6)
      #expect(abs(ratio * Double(c * c) - 1) <= 1e-5)
    }
  }

  @Test func checkpointRescalingLeavesEveryVerdict() throws {
    // Issue 22's recipe on the Float32 parameters of a model with trained-looking BatchNorms.
    let model = SyntheticNetworks.randomModel()
    let network = EvaluationNetwork(model)
    try expectEveryVerdictUnchanged(
      network,
      copies: [Float(0.25), 4].map {
        ($0, EvaluationNetwork(RepresentationRescaling.rescaled(model, by: $0)))
      },
      pairs: SyntheticNetworks.pairs(network, count: 6), kind: "fully-connected")
  }

  @Test func convolutionalCheckpointRescalingLeavesEveryVerdict() throws {
    // The same recipe with conv2 in place of fc2; ‖J_i‖_F is the seeded estimate here, drawn
    // with the same seed for both networks.
    let model = SyntheticNetworks.randomConvolutionalModel()
    let network = ConvolutionalEvaluationNetwork(model)
    try expectEveryVerdictUnchanged(
      network,
      copies: [Float(0.25), 4].map {
        ($0, ConvolutionalEvaluationNetwork(RepresentationRescaling.rescaled(model, by: $0)))
      },
      pairs: SyntheticNetworks.pairs(network, count: 6), kind: "convolutional")
  }

  @Test func downsamplingCheckpointRescalingLeavesEveryVerdict() throws {
    // Type 3's shape: the projection shortcut × c as well; block 4 is left out of the rows but
    // its S_4 + J_4 carries δ and A_iᵀw of the other blocks.
    // The 6 of 12 pairs whose endpoints have the largest |z|: linearisation's |ẑ − z|/|z| at an
    // endpoint with z ≈ 0 magnifies the Float32 rounding of the rescaled variances past 1e-6.
    let model = SyntheticNetworks.randomConvolutionalModel(downsampling: true)
    let network = ConvolutionalEvaluationNetwork(model)
    let pairs = SyntheticNetworks.pairs(network, count: 12).sorted {
      min(abs(network.margin($0.xa)), abs(network.margin($0.xb)))
        > min(abs(network.margin($1.xa)), abs(network.margin($1.xb)))
    }
    try expectEveryVerdictUnchanged(
      network,
      copies: [Float(0.25), 4].map {
        ($0, ConvolutionalEvaluationNetwork(RepresentationRescaling.rescaled(model, by: $0)))
      },
      pairs: Array(pairs.prefix(6)), kind: "downsampling convolutional")
  }

  @Test func exactRescalingLeavesEveryVerdictOfTheTheoryNetwork() throws {
    // The same map in Float64 on the evaluation network (no rounding of the variances), on the
    // region network whose rows hold.
    let (network, u) = SyntheticNetworks.regions()
    let pairs = SyntheticNetworks.regionPairs(u, count: 6)
    let base = try TheoryComparison.compare(network: network, pairs: pairs, rank: 3, seed: 7)
    for c in [0.25, 4.0] {
      let moved = try TheoryComparison.compare(
        network: SyntheticNetworks.rescaled(network, by: c), pairs: pairs, rank: 3, seed: 7)
      let worst = difference(base, moved)
      print("region network h → \(c)·h: largest change \(worst) (tolerance 1e-6)")
      #expect(worst <= 1e-6)
      #expect(abs(balance(moved) / balance(base) * c * c - 1) <= 1e-9)
    }
  }
}

@Suite("The UJM fitted with one parameter: λ_eff from s*(λ_eff) = σ̄₁")
struct UJMFitTests {
  @Test func lambdaEffectiveInvertsTheReducedProblem() throws {
    withEvery("λ", in: [1e-1, 1e-3, 1e-6, 1e-43, 1e-200]) { lambda, label in
      let reduced = ReducedProblem(depth: 3, lambda: lambda, dxNorm: 2).minimize()
      // ρ = ‖w‖·‖Δx‖ = t*·r at the optimum, so the balanced gauge gives back r = 2.
      let fit = try! UJMFit.fit(
        depth: 3, classifierDeltaNorm: reduced.t * 2, targetSigma1: reduced.s,
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
      depth: 8, classifierDeltaNorm: 10 * 6.0.squareRoot(), targetSigma1: 2, measuredMargin: 1,
      dx: nil, seed: 0)
    print("σ̄₁ = 2 at L = 8, r = 10: \(fit.note)")
    #expect(abs(fit.dxNorm - 10) <= 1e-12)
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
    #expect(fit.weightDecay == nil && fit.lambdaRatio == nil)
    #expect(fit.note.contains("no training weight decay"))
    let solve = try #require(fit.fullSolve)
    print("full solve: \(solve.stopReason), \(solve.checksPassed)/\(solve.checks) checks")
    #expect(solve.dimension == 8)
    #expect(solve.stopReason == "converged" && solve.checksPassed == solve.checks)
  }
}

extension UJMFitTests {
  @Test func lambdaEffectiveIsSetAgainstTheTrainingWeightDecay() throws {
    let reduced = ReducedProblem(depth: 3, lambda: 1e-3, dxNorm: 2).minimize()
    let fit = try UJMFit.fit(
      depth: 3, classifierDeltaNorm: reduced.t * 2, targetSigma1: reduced.s, measuredMargin: 1,
      dx: nil, weightDecay: 1e-2, seed: 0)
    print("λ = 1e-3 against weight decay 1e-2: λ_eff/λ \(fit.lambdaRatio ?? .nan)")
    #expect(abs(fit.lambdaRatio! - 0.1) <= 1e-6)
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

@Suite("Snapshots of a run directory: checkpoint-epoch<E>.safetensors by epoch")
struct SnapshotFileTests {
  @Test func nonNegativeIntegerEpochsInNumericOrderAndOtherNamesIgnored() throws {
    let names = [
      "checkpoint-epoch10.safetensors", "checkpoint.safetensors", "checkpoint-epoch2.safetensors",
      ".snapshot-30.checkpoint.safetensors", "checkpoint-epoch5.safetensors.tmp",
      "checkpoint-epoch007.safetensors", "checkpoint-epoch0.safetensors",
    ]
    let found = try SnapshotRows.snapshotFiles(names)
    #expect(found.map(\.epoch) == [0, 2, 7, 10])
    #expect(
      found.map(\.name) == [
        "checkpoint-epoch0.safetensors", "checkpoint-epoch2.safetensors",
        "checkpoint-epoch007.safetensors",
        "checkpoint-epoch10.safetensors",
      ])
  }

  @Test(arguments: [
    "-1", "-0", "+5", "", "3x", "99999999999999999999", "\u{0664}", "\u{FF14}", " 4",
  ])
  func aSnapshotNameWithoutANonNegativeEpochIsRefusedNotSkipped(_ epoch: String) {
    let name = "checkpoint-epoch\(epoch).safetensors"
    #expect(throws: SnapshotNameError.notAnEpoch(name)) {
      try SnapshotRows.snapshotFiles(["checkpoint-epoch1.safetensors", name])
    }
  }

  @Test func twoNamesOfOneEpochAreRefused() {
    let names = ["checkpoint-epoch1.safetensors", "checkpoint-epoch01.safetensors"]
    #expect(
      throws: SnapshotNameError.sameEpoch(
        1, "checkpoint-epoch01.safetensors", "checkpoint-epoch1.safetensors")
    ) { try SnapshotRows.snapshotFiles(names) }
    #expect(throws: Never.self) { try SnapshotRows.snapshotFiles([names[0]]) }
  }

  /// A directory with `names` as empty regular files (a 0-byte file is not read here).
  private func runDirectory(_ names: [String]) -> String {
    let directory = temporaryDirectory("snapshot-run")
    for name in names {
      FileManager.default.createFile(
        atPath: (directory as NSString).appendingPathComponent(name), contents: Data())
    }
    return directory
  }

  @Test func aSnapshotThatIsNoRegularFileIsRefusedBeforeAnyWork() throws {
    // A FIFO with no writer, a directory, a dangling link and /dev/zero, each as a snapshot
    // and as the final checkpoint: refused by the listing, before any checkpoint is read.
    let makers: [(String, (String) -> Void)] = [
      ("a FIFO", { _ = mkfifo($0, 0o600) }),
      (
        "a directory",
        { try? FileManager.default.createDirectory(atPath: $0, withIntermediateDirectories: false) }
      ),
      ("no such file", { _ = symlink("/nonexistent/ujm", $0) }),
      ("a character device", { _ = symlink("/dev/zero", $0) }),
    ]
    for (kind, make) in makers {
      for name in ["checkpoint-epoch2.safetensors", "checkpoint.safetensors"] {
        let directory = runDirectory(
          [
            "checkpoint-epoch1.safetensors", "checkpoint-epoch2.safetensors",
            "checkpoint.safetensors",
          ]
          .filter { $0 != name })
        make((directory as NSString).appendingPathComponent(name))
        let message: String
        do {
          _ = try ComparisonRun.snapshotRun(in: directory)
          Issue.record("\(kind) as \(name) was accepted")
          continue
        } catch { message = error.description }
        print("\(kind) as \(name): \(message)")
        #expect(message.hasPrefix("--snapshots: "))
        #expect(message.contains(name) && message.contains(kind))
      }
    }
    // The same directory with regular files throughout is accepted.
    let good = runDirectory([
      "checkpoint-epoch1.safetensors", "checkpoint-epoch2.safetensors", "checkpoint.safetensors",
    ])
    let run = try ComparisonRun.snapshotRun(in: good)
    #expect(run.snapshots.map(\.epoch) == [1, 2])
    #expect(run.checkpoint.hasSuffix("/checkpoint.safetensors"))
  }

  @Test func moreSnapshotsThanTheMaximumAreRefusedBeforeAnyWork() throws {
    let most = SnapshotRows.maximumSnapshots
    let names = (1...(most + 1)).map { "checkpoint-epoch\($0).safetensors" }
    let over = runDirectory(names)
    let started = ContinuousClock.now
    do {
      _ = try ComparisonRun.snapshotRun(in: over)
      Issue.record("\(most + 1) snapshots were accepted")
    } catch {
      print("\(most + 1) snapshots: \(error) (\(started.duration(to: .now)))")
      #expect(error.description.contains("\(most + 1) snapshots, more than the \(most)"))
    }
    try FileManager.default.removeItem(
      atPath: (over as NSString).appendingPathComponent(names[most]))
    #expect(try ComparisonRun.snapshotRun(in: over).snapshots.count == most)
  }
}

@Suite("Pieces of the new rows: A_iᵀw, ‖J_i‖_F, the two-class view of a C-class network")
struct RowPieceTests {
  @Test func classifierGradientsAreTheAdjointOfThePropagation() throws {
    // g_i = A_{i−1}ᵀw: for every δ_i, g_iᵀδ_i = wᵀδ_{L+1} with δ propagated from block i on.
    let network = SyntheticNetworks.randomInit()
    let pair = SyntheticNetworks.pairs(network, count: 1)[0]
    var rng = testGenerator(41)
    let m = try PairMeasurement.measure(network: network, pair: pair, rank: 3, using: &rng)
    let b = try #require(m.boundary)
    var worst = 0.0
    for i in 0...network.depth {
      let delta: [Double] = Gaussian.sample(network.width, standardDeviation: 1, using: &rng)
      let propagated = LinearPropagation.deltas(
        from: delta, through: Array(b.jacobians[i...]), skips: network.skips)
      let direct = b.classifierJacobian.dot(propagated.last!)
      let adjoint = b.classifierGradients[i].dot(delta)
      worst = max(worst, abs(direct - adjoint) / max(1, abs(direct)))
    }
    print("g_iᵀδ against wᵀ(I + J_L)⋯(I + J_i)δ: largest relative difference \(worst) (1e-12)")
    #expect(worst <= 1e-12)
    // ‖J_i‖_F from the compressed Jacobian against the dense matrix.
    for (j, norm) in zip(b.jacobians, b.frobeniusNorms) {
      #expect(abs(j.materialized().frobeniusNorm - norm) <= 1e-12 * max(1, norm))
    }
  }

  @Test func convolutionalExpansionPredictsTheMarginToSecondOrder() throws {
    // w (through BN_f, the ReLU mask and the average pool), the matrix-free J_i and the
    // propagation together: ẑ − z(x_mid) = wᵀδ_{L+1} against z(x) − z(x_mid) for x = x_mid + εv.
    // A wrong w (e.g. without 1/S²) or J misses by O(1), a right one by O(ε).
    let network = ConvolutionalEvaluationNetwork(SyntheticNetworks.randomConvolutionalModel())
    let pair = SyntheticNetworks.pairs(network, count: 1)[0]
    var rng = testGenerator(43)
    let m = try PairMeasurement.measure(network: network, pair: pair, rank: 3, using: &rng)
    let point = try #require(m.boundaryPoint)
    let b = try #require(m.boundary)
    let xMid = pair.point(at: point.t)
    let v: [Double] = Gaussian.sample(xMid.count, standardDeviation: 1, using: &rng)
    for epsilon in [1e-4, 1e-6] {
      var x = xMid
      x.add(v, scaledBy: epsilon)
      var delta = network.trajectory(x)[0]
      delta.add(b.trajectory[0], scaledBy: -1)
      let deltas = LinearPropagation.deltas(from: delta, through: b.jacobians, skips: true)
      let predicted = b.classifierJacobian.dot(deltas.last!)
      let actual = network.margin(x) - point.z
      let error = abs(predicted - actual) / abs(actual)
      print("conv margin at x_mid + \(epsilon)·v: |wᵀδ − Δz|/|Δz| = \(error) (tolerance 1e-3)")
      #expect(error <= 1e-3)
    }
    // The adjoint: g_iᵀδ = wᵀ(I + J_L)⋯(I + J_i)δ.
    let delta: [Double] = Gaussian.sample(network.width, standardDeviation: 1, using: &rng)
    let direct = b.classifierJacobian.dot(
      LinearPropagation.deltas(from: delta, through: b.jacobians, skips: true).last!)
    let adjoint = b.classifierGradients[0].dot(delta)
    print("conv g₁ᵀδ against wᵀ∏(I + J_i)δ: \(adjoint) vs \(direct) (relative 1e-12)")
    #expect(abs(adjoint - direct) <= 1e-12 * max(1, abs(direct)))
  }

  @Test func frobeniusEstimateIsWithinItsStatedErrorAndExactOnRankK() throws {
    // On the matrix-free conv Jacobians (D = 64, small enough to materialise): the estimate
    // against the dense ‖J‖_F, within 4 of its stated standard errors; on a matrix of rank k
    // deflated by its own top-k right vectors, exact (the remainder is 0).
    let network = ConvolutionalEvaluationNetwork(SyntheticNetworks.randomConvolutionalModel())
    let pair = SyntheticNetworks.pairs(network, count: 1)[0]
    var rng = testGenerator(44)
    let h = network.trajectory(pair.xa)
    var worst = 0.0
    for i in 0..<network.depth {
      let j = network.residualJacobian(block: i, at: h[i])
      let triplets = try network.topSingularTriplets(
        of: j, rank: 3, powerIterations: 20, using: &rng
      ).decomposition
      let estimate = try network.frobeniusNorm(of: j, triplets: triplets, using: &rng)
      let exact = j.materialized().frobeniusNorm
      let error = abs(estimate.value - exact) / exact
      print(
        "block \(i + 1): ‖J‖_F \(exact), estimate \(estimate.value), relative error \(error), "
          + "stated standard error \(estimate.relativeStandardError) (tolerance 4×)")
      #expect(!estimate.exact && estimate.relativeStandardError > 0)
      #expect(error <= 4 * estimate.relativeStandardError)
      worst = max(worst, error)
    }
    #expect(worst > 0)  // an estimate, not the exact value
    let u = try Gaussian.matrix(rows: 40, columns: 2, as: Double.self, using: &rng)
      .orthonormalized()
    let w = try Gaussian.matrix(rows: 30, columns: 2, as: Double.self, using: &rng)
      .orthonormalized()
    let a = w.multiplied(
      by: u.multiplied(by: Matrix(rows: 2, columns: 2, storage: [3, 0, 0, 1])),
      transposingOther: true)
    let rankTwo = try FrobeniusNorm.estimate(a, rightVectors: u, using: &rng)
    print("rank 2 deflated by its right vectors: \(rankTwo.value) vs √10 (1e-12)")
    #expect(abs(rankTwo.value - 10.0.squareRoot()) <= 1e-12)
    #expect(rankTwo.relativeStandardError <= 1e-12)
  }

  @Test func twoClassViewHasTheMarginOfTheTwoLogits() throws {
    var rng = testGenerator(42)
    let model = ResidualNetwork<Float>(
      architecture: Architecture(blocks: 3, width: 8, skips: true), inputSize: 8, classCount: 4,
      using: &rng)
    let inputs: [[Double]] = (0..<10).map { _ in
      Gaussian.sample(8, standardDeviation: 1, using: &rng)
    }
    // Class 2's bias +100: it wins everywhere; −100 for classes 0 and 2: it never does.
    for (shift, expected) in [(100.0, 2), (-100.0, nil)] {
      var full = EvaluationNetwork(model)
      full.classifierBias[2] += shift
      if expected == nil { full.classifierBias[0] += shift }
      let view = full.binary(negative: 3, positive: 1)
      var worst = 0.0
      for x in inputs {
        let logits = full.forward(batch: Matrix(rows: 8, columns: 1, storage: x))
        worst = max(worst, abs(view.margin(x) - (logits[1, 0] - logits[3, 0])))
        #expect(EvaluationNetwork.dominantOtherClass(full, at: x, classes: (3, 1)) == expected)
      }
      print(
        "two-class view (3, 1) of 4 classes, bias shift \(shift): |z − (logit₁ − logit₃)| ≤ \(worst)"
      )
      #expect(worst <= 1e-12)
    }
  }
}

@Suite("A block that changes the representation's size: δ and A_iᵀw through S_i + J_i, left out")
struct ShapeChangingBlockTests {
  /// The identity a downsampling block could have instead of its projection (ResNet's option
  /// A): each kept pixel's channels copied, the new channels zero.
  private func strideIdentity(
    channels: Int, side: Int, outChannels: Int, outSide: Int
  ) -> Matrix<Double> {
    var m = Matrix<Double>(rows: outChannels * outSide * outSide, columns: channels * side * side)
    for y in 0..<outSide {
      for x in 0..<outSide {
        for k in 0..<channels {
          m[(y * outSide + x) * outChannels + k, ((2 * y) * side + 2 * x) * channels + k] = 1
        }
      }
    }
    return m
  }

  @Test func projectionPropagationMatchesTheForwardPassAndTheIdentityDoesNot() throws {
    // Type 3's shape, small: blocks 1–3 at 4×4×4 (D = 64), block 4 downsamples to 2×2×8 (32)
    // with a projection shortcut. δ propagated through S_4 + J_4 against the forward pass's
    // central difference h(x_mid ± εv) (ReLU networks are piecewise linear: the difference is
    // exact up to rounding, ~1e-16/ε), and g_iᵀδ_i against Δz.
    let network = ConvolutionalEvaluationNetwork(
      SyntheticNetworks.randomConvolutionalModel(downsampling: true))
    #expect(network.shapeChangingBlocks == [4])
    let pair = SyntheticNetworks.pairs(network, count: 1)[0]
    var rng = testGenerator(47)
    let m = try PairMeasurement.measure(network: network, pair: pair, rank: 3, using: &rng)
    let point = try #require(m.boundaryPoint)
    let b = try #require(m.boundary)
    let k = 3
    let s = try #require(b.skipJacobians[k])
    #expect(b.skipJacobians.indices.allSatisfy { $0 == k || b.skipJacobians[$0] == nil })
    let xMid = pair.point(at: point.t)
    let v: [Double] = Gaussian.sample(xMid.count, standardDeviation: 1, using: &rng)
    let epsilon = 1e-6
    var plus = xMid
    plus.add(v, scaledBy: epsilon)
    var minus = xMid
    minus.add(v, scaledBy: -epsilon)
    let (hp, hm) = (network.trajectory(plus), network.trajectory(minus))
    let differences = hp.indices.map { i in
      var d = hp[i]
      d.add(hm[i], scaledBy: -1)
      return d.map { $0 / 2 }
    }
    let dz = (network.margin(plus) - network.margin(minus)) / 2
    func deltaError(_ skip: (any LinearOperator<Double> & Sendable)?) -> Double {
      var skips = b.skipJacobians
      skips[k] = skip
      let deltas = LinearPropagation.deltas(
        from: differences[0], through: b.jacobians, skips: true, skipJacobians: skips)
      return deltas.indices.map { i in
        var e = deltas[i]
        e.add(differences[i], scaledBy: -1)
        return e.euclideanNorm / differences[i].euclideanNorm
      }.max()!
    }
    func adjointError(_ skip: (any LinearOperator<Double> & Sendable)?) -> Double {
      var skips = b.skipJacobians
      skips[k] = skip
      let g = LinearPropagation.gradients(
        from: b.classifierJacobian, through: b.jacobians, skips: true, skipJacobians: skips)
      return (0...(k + 1)).map { abs(g[$0].dot(differences[$0]) - dz) / abs(dz) }.max()!
    }
    let stored = (0...network.depth).map { i in
      abs(b.classifierGradients[i].dot(differences[i]) - dz) / abs(dz)
    }.max()!
    let identity = strideIdentity(channels: 4, side: 4, outChannels: 8, outSide: 2)
    let dropped = Matrix<Double>(rows: s.rows, columns: s.columns)
    let errors = (
      delta: deltaError(s), adjoint: adjointError(s), stored: stored,
      identityDelta: deltaError(identity), identityAdjoint: adjointError(identity),
      droppedDelta: deltaError(dropped), droppedAdjoint: adjointError(dropped)
    )
    print(
      "Type 3-like block 4 at ε = \(epsilon): δ through S + J, largest relative error over "
        + "h₁…h₆ \(errors.delta); g_iᵀδ_i against Δz \(errors.adjoint) (stored A_iᵀw "
        + "\(errors.stored)) (tolerance 1e-6). Counterexamples (must exceed 1e-2): strided "
        + "identity for S: δ \(errors.identityDelta), adjoint \(errors.identityAdjoint); S "
        + "dropped: δ \(errors.droppedDelta), adjoint \(errors.droppedAdjoint)")
    #expect(errors.delta <= 1e-6 && errors.adjoint <= 1e-6 && errors.stored <= 1e-6)
    #expect(errors.identityDelta > 1e-2 && errors.identityAdjoint > 1e-2)
    #expect(errors.droppedDelta > 1e-2 && errors.droppedAdjoint > 1e-2)
  }

  @Test func shapeChangingBlockIsLeftOutOfEveryRow() throws {
    let network = ConvolutionalEvaluationNetwork(
      SyntheticNetworks.randomConvolutionalModel(downsampling: true))
    let c = try TheoryComparison.compare(
      network: network, pairs: SyntheticNetworks.pairs(network, count: 4), rank: 3, seed: 7,
      solveIterations: 200)
    print("Type 3-like comparison: live \(c.liveBlocks), shape-changing \(c.shapeChangingBlocks)")
    #expect(c.reachedBoundary && c.shapeChangingBlocks == [4])
    #expect(!c.liveBlocks.isEmpty && !c.liveBlocks.contains(4))
    for row in c.predictions {
      #expect(!(row.perBlock ?? []).contains { $0.block == 4 }, "\(row.name)")
    }
  }
}
