// Goals, in order of priority: the prediction rows, each computed from the pair
// measurements in one place with the paper's reason for its theory value and ours for its
// tolerance; dead blocks (numerically zero branches) left out as RA4 leaves them out.

import Empirical
import Foundation
import LinearAlgebra

/// The predictions of the Unconstrained Jacobians Model (Theorem 3.3, appendix B) and of
/// Residual Alignment (RA1, RA4) as rows of measured-against-theory values.
///
/// Every row holds when its median over pairs (and endpoints) is within `tolerance` of the
/// theory's value. The tolerances are ours (the paper states none); each row's note says why.
/// The blocks are the live ones (`live`, 1-based): a block whose median σ₁ at x_mid over the
/// pairs is at most 1e-6 × the largest is dead (`InverseDepthScaling`'s rule) and is left out of
/// every per-block row.
public enum PredictionTable {
  /// The tolerance of every row: a 10% agreement (see each note for what 10% means there).
  public static let tolerance = 0.1

  /// The rows for the measured pairs (those with a boundary point), blocks `live` (1-based).
  public static func rows(pairs: [PairMeasurement], live: [Int], skips: Bool) -> [Prediction] {
    let measured = pairs.filter { $0.boundary != nil }
    let boundaries = measured.map { $0.boundary! }
    let endpoints = measured.flatMap(\.endpoints)
    let blocks = live.map { $0 - 1 }
    func perBlock(_ value: (Int) -> [Double]) -> [BlockValue] {
      blocks.map { BlockValue(block: $0 + 1, measured: Measured(value($0))) }
    }
    var rows = [Prediction]()
    // Rows that compare blocks with each other need two of them.
    let fewBlocks = blocks.count < 2 ? "(fewer than 2 live blocks: not measured) " : ""
    func across(_ values: [Double]) -> [Double] { blocks.count < 2 ? [] : values }

    // Rank one: J_i = s·uuᵀ at the optimum (Theorem 3.3).
    let ratio = { (b: BoundaryJacobians, i: Int) -> Double in
      let s = b.decompositions[i].singularValues
      return s[0] > 0 ? s[1] / s[0] : .nan
    }
    rows.append(
      Prediction(
        name: "rank_one@boundary", theory: 0, location: "boundary",
        values: boundaries.map { b in median(blocks.map { ratio(b, $0) }) },
        tolerance: tolerance,
        note: "σ₂/σ₁ of J_i at x_mid, median over the live blocks per pair; Theorem 3.3: every "
          + "J_i is rank one. Tolerance 0.1: ‖J − σ₁u₁v₁ᵀ‖₂ = σ₂, so the best rank-one "
          + "approximation is then within 10% of J.",
        perBlock: perBlock { i in boundaries.map { ratio($0, i) } }))

    // Equal top singular values at the boundary (Theorem 3.3, not RA4's 1/i).
    let spreadOfSigma1 = { (b: BoundaryJacobians) -> Double in
      let s = blocks.map { b.sigma1[$0] }
      let mean = s.reduce(0, +) / Double(s.count)
      return mean > 0 ? ((s.max() ?? 0) - (s.min() ?? 0)) / mean : .nan
    }
    rows.append(
      Prediction(
        name: "equal_sigma1@boundary", theory: 0, location: "boundary",
        values: across(boundaries.map(spreadOfSigma1)), tolerance: tolerance,
        note: fewBlocks
          + "(max − min)/mean of σ₁(J_i) at x_mid over the live blocks; Theorem 3.3: all "
          + "equal to s* at the optimum, because the Jacobians are taken on the boundary. "
          + "Tolerance 0.1: equal to 10% of their mean (RA4's 1/i over 8 blocks gives 2.6).",
        perBlock: perBlock { i in boundaries.map { $0.sigma1[i] } }))

    // Cross-block alignment of the top right singular vectors.
    let crossBlock = { (b: BoundaryJacobians) -> Double in
      let v = b.topRightVectors
      var cosines = [Double]()
      for i in blocks {
        for j in blocks where j != i { cosines.append(absoluteCosine(v[i], v[j])) }
      }
      return median(cosines)
    }
    rows.append(
      Prediction(
        name: "cross_block_alignment@boundary", theory: 1, location: "boundary",
        values: across(boundaries.map(crossBlock)), tolerance: tolerance,
        note: fewBlocks
          + "|cos(v₁(J_i), v₁(J_j))| at x_mid, median over live i ≠ j; Theorem 3.3: all top "
          + "singular vectors equal u. Tolerance 0.1: within 26° (two random directions in "
          + "D dimensions have |cos| ≈ √(2/(πD)), 0.035 at D = 512)."))

    // Alignment of δ_i with v₁(J_i).
    func deltaCosine(_ pair: PairMeasurement, _ e: EndpointMeasurement, _ i: Int) -> Double {
      absoluteCosine(pair.boundary!.topRightVectors[i], e.deltas[i])
    }
    let pairEndpoints = measured.flatMap { p in p.endpoints.map { (p, $0) } }
    rows.append(
      Prediction(
        name: "delta_alignment@boundary", theory: 1, location: "boundary",
        values: pairEndpoints.map { p, e in median(blocks.map { deltaCosine(p, e, $0) }) },
        tolerance: tolerance,
        note: "|cos(v₁(J_i), δ_i)| with δ₁ = h₁(x) − h₁(x_mid) propagated linearly, median "
          + "over the live blocks per pair and endpoint; Theorem 3.3: u = Δx/‖Δx‖. Tolerance "
          + "0.1 as for cross_block_alignment.",
        perBlock: perBlock { i in pairEndpoints.map { deltaCosine($0.0, $0.1, i) } }))

    // Classifier alignment: w ∝ y·Δx propagated.
    rows.append(
      Prediction(
        name: "classifier_alignment@boundary", theory: 1, location: "boundary",
        values: pairEndpoints.map { p, e in
          absoluteCosine(p.boundary!.classifierJacobian, e.deltas[e.deltas.count - 1])
        },
        tolerance: tolerance,
        note: "|cos(w, δ_{L+1})| with w = ∂z/∂h_{L+1} at x_mid (through BN_f and the ReLU "
          + "mask); Theorem 3.3: w = y·t*·u. Tolerance 0.1 as for cross_block_alignment."))

    // Balance t*² = s*(1 + s*).
    let balance = { (b: BoundaryJacobians) -> Double in
      let s = median(blocks.map { b.sigma1[$0] })
      let w = b.classifierJacobian.euclideanNorm
      return w * w / (s * (1 + s))
    }
    rows.append(
      Prediction(
        name: "balance@boundary", theory: 1, location: "boundary",
        values: boundaries.map(balance), tolerance: tolerance,
        note: "‖w‖²/(σ̄₁(1 + σ̄₁)), σ̄₁ the median σ₁ over live blocks; the reduced problem's "
          + "stationarity gives t*² = s*(1 + s*) for every λ, so 1 with no fitted parameter. "
          + "Tolerance 0.1: 10% of the theory's value."))

    // Exponential growth: ‖δ_{i+1}‖/‖δ_i‖ = 1 + s in every block.
    func growth(_ e: EndpointMeasurement, _ i: Int) -> Double {
      let n = e.deltas[i].euclideanNorm
      return n > 0 ? e.deltas[i + 1].euclideanNorm / n : .nan
    }
    let cv = { (e: EndpointMeasurement) -> Double in
      let r = blocks.map { growth(e, $0) }
      let mean = r.reduce(0, +) / Double(r.count)
      let variance = r.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(r.count)
      return variance.squareRoot() / mean
    }
    rows.append(
      Prediction(
        name: "exponential_growth@boundary", theory: 0, location: "boundary",
        values: across(endpoints.map(cv)), tolerance: tolerance,
        note: fewBlocks + "coefficient of variation of ‖δ_{i+1}‖/‖δ_i‖ over the live blocks"
          + (skips ? "" : " (no skips: δ_{i+1} = J_i·δ_i)")
          + "; the UJM's ratio is 1 + s* in every block (footnote 3: exponential growth on the "
          + "boundary). Tolerance 0.1: the ratios agree to 10% of their mean.",
        perBlock: perBlock { i in endpoints.map { growth($0, i) } }))

    // Linearisation.
    rows.append(
      Prediction(
        name: "linearisation@endpoints", theory: 0, location: "endpoints",
        values: endpoints.map { abs($0.linearisedZ - $0.z) / abs($0.z) }, tolerance: tolerance,
        note: "|ẑ − z|/|z| with ẑ = z(x_mid) + wᵀδ_{L+1} at each training input; the UJM is a "
          + "first-order expansion and assumes ≈ 0. Tolerance 0.1: the expansion predicts the "
          + "margin to 10%."))

    // RA4 at the inputs.
    rows.append(
      Prediction(
        name: "inverse_depth_r2@endpoints", theory: 1, location: "endpoints",
        values: endpoints.map { $0.ra4(live: live)?.r2 ?? .nan }, tolerance: tolerance,
        note: fewBlocks
          + "R² of the line 1/σ₁(J_i) against i over the live blocks at each training input "
          + "(RA4; footnote 3: on training data σ₁ ∝ 1/depth). Slope median "
          + short(median(endpoints.map { $0.ra4(live: live)?.slope ?? .nan }))
          + ". Tolerance 0.1: R² ≥ 0.9, the onset criterion of ujm measure."))

    // RA1 at the inputs, with the RA2–4 scores that Theorem 3.1 needs.
    rows.append(
      Prediction(
        name: "ra1_pc1@endpoints", theory: 1, location: "endpoints",
        values: endpoints.map(\.ra1.pc1VarianceFraction), tolerance: tolerance,
        note: (blocks.isEmpty
          ? "(no live block: h₁…h_{L+1} differ only by dead branches, so the trajectory is a "
            + "point and its PC1 says nothing about RA) " : "")
          + "PC1 variance fraction of h₁…h_{L+1} at each training input; Theorem 3.1: 1 when "
          + "RA2–4 hold. At the inputs: RA2 diagonal fraction median "
          + short(median(endpoints.map(\.ra2DiagonalFraction))) + " (random baseline "
          + short(median(endpoints.map(\.ra2RandomBaseline))) + "), RA3 σ₂/σ₁ (live blocks) median "
          + short(median(endpoints.map { median($0.secondToFirst(blocks)) }))
          + ", RA4 R² median " + short(median(endpoints.map { $0.ra4(live: live)?.r2 ?? .nan }))
          + ". Tolerance 0.1: PC1 ≥ 0.9."))
    return rows
  }
}

extension EndpointMeasurement {
  /// σ₂/σ₁ at x for the given blocks (0-based), from the stored σ₁ only when σ₂ is known.
  func secondToFirst(_ blocks: [Int]) -> [Double] { blocks.map { sigma2[$0] / sigma1[$0] } }
}

/// A number with four significant digits, for notes.
func short(_ x: Double) -> String {
  x.isFinite ? String(format: "%.4g", x) : "n/a"
}
