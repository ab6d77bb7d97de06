// Goals, in order of priority: the whole theory-versus-practice comparison of one binary network
// on a list of input pairs, reproducible from one seed; progress reported per pair; every
// measurement kept for the report, the figures and the export.

import Empirical
import LinearAlgebra

/// The Unconstrained Jacobians Model (Definition 3.2, Theorem 3.3, appendix B) and Residual
/// Alignment (RA1, RA4) held against a trained binary network.
///
/// For each pair: the boundary point on the segment between the inputs (`BoundarySearch`), the
/// residual Jacobians and classifier Jacobian there, and the linear propagation of
/// δ₁ = h₁(x) − h₁(x_mid) to each input (`PairMeasurement`). Then the prediction rows
/// (`PredictionTable`) over the live blocks and the UJM fitted with one parameter (`UJMFit`).
public struct TheoryComparison: Sendable {
  /// A block whose median σ₁ at x_mid is at most this is dead whatever the other blocks do: its
  /// branch changes a perturbation by a relative 1e-6 at most, about ten Float32 roundings of
  /// the checkpoint's weights (weight decay 1e-2 leaves σ₁ of 1e-50 and below). Without this
  /// floor, the relative rule keeps the largest of a set of decayed branches alive.
  public static let deadSigma1 = 1e-6

  public var pairs: [PairMeasurement]
  /// The live blocks (1-based): median σ₁ at x_mid over the pairs above 1e-6 × the largest
  /// (`InverseDepthScaling`'s rule) and above `deadSigma1`.
  /// Blocks that change the representation's size (Type 3's block 9) are not among them.
  public var liveBlocks: [Int]
  /// The blocks (1-based) that change the representation's size (Type 3's downsampling block 9,
  /// with a projection skip S_i): δ and A_iᵀw are propagated through them with S_i + J_i, but
  /// the UJM's I + J_i does not describe them, so they are left out of every row.
  public var shapeChangingBlocks: [Int] = []
  public var predictions: [Prediction]
  public var fit: UJMFit
  /// Whether the blocks have skip connections.
  public var skips: Bool

  /// Compares `network` (two classes, at least 3 blocks; fully-connected or convolutional; a
  /// block that changes the representation's size is propagated through with its skip Jacobian
  /// and left out of the rows) on `pairs` with the top `rank` (≥ 2) triplets per
  /// Jacobian, from Algorithm 971 with `powerIterations` where the network has no exact path.
  /// `progress(done, total)` is called after each pair. The randomness (test matrices, RA2
  /// baselines, ‖J_i‖_F estimates, the bootstrap intervals) comes from generators seeded with
  /// `seed`; the full UJM solve uses `seed` for its starting point. `weightDecay` is the training
  /// λ the fit is set against (nil when the checkpoint records none). `full`, when `network` is
  /// the two-class view (`ComparableResidualNetwork.binary`) of a C-class network for the class
  /// indices `classes` (a, b), lets each pair record a third class whose logit exceeds both at
  /// x_mid. `solveIterations` bounds the full UJM solve's L-BFGS; 0 solves nothing (the
  /// snapshots of `ujm compare --snapshots`, whose fit is not reported).
  public static func compare<N: ComparableResidualNetwork>(
    network: N, pairs: [InputPair], rank: Int, seed: UInt64,
    powerIterations: Int = RandomizedSVD.defaultPowerIterations, weightDecay: Double? = nil,
    full: (network: N, classes: (Int, Int))? = nil, solveIterations: Int = 20_000,
    progress: (Int, Int) -> Void = { _, _ in }
  ) throws(LAPACKError) -> TheoryComparison {
    precondition(!pairs.isEmpty, "need at least one pair")
    var generator = SeededGenerator(seed: seed)
    var measured = [PairMeasurement]()
    for (k, pair) in pairs.enumerated() {
      var m = try PairMeasurement.measure(
        network: network, pair: pair, rank: rank, powerIterations: powerIterations,
        using: &generator)
      if let full, let point = m.boundaryPoint {
        m.dominantClass = N.dominantOtherClass(
          full.network, at: pair.point(at: point.t), classes: full.classes)
      }
      measured.append(m)
      progress(k + 1, pairs.count)
    }
    let boundaries = measured.compactMap(\.boundary)
    let live: [Int]
    if boundaries.isEmpty {
      live = []
    } else {
      live = InverseDepthScaling(
        sigma1: boundaries.map(\.sigma1), resamples: 0, using: &generator
      ).liveBlocks.filter { i in
        median(boundaries.map { $0.sigma1[i - 1] }) > deadSigma1
          && !network.shapeChangingBlocks.contains(i)
      }
    }
    let rows = PredictionTable.rows(pairs: measured, live: live, skips: network.skips, seed: seed)
    let endpoints = measured.flatMap { p in p.endpoints.map { (p.boundary!, $0) } }
    let first = measured.first { $0.boundary != nil }
    let fit = try UJMFit.fit(
      depth: live.count,
      classifierDeltaNorm: median(
        endpoints.map { b, e in b.classifierJacobian.euclideanNorm * e.deltas[0].euclideanNorm }),
      targetSigma1: median(boundaries.flatMap { b in live.map { b.sigma1[$0 - 1] } }),
      measuredMargin: median(endpoints.map { $0.1.label * $0.1.z }),
      dx: solveIterations > 0 ? first?.endpoints.last?.deltas[0] : nil,
      weightDecay: weightDecay, seed: seed,
      solveIterations: solveIterations)
    return TheoryComparison(
      pairs: measured, liveBlocks: live, shapeChangingBlocks: network.shapeChangingBlocks,
      predictions: rows, fit: fit, skips: network.skips)
  }

  /// Whether any pair reached the boundary (has a sign change of z on its segment).
  public var reachedBoundary: Bool { pairs.contains { $0.boundary != nil } }
}
