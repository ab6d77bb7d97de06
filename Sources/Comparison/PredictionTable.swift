// Goals, in order of priority: the prediction rows, each computed from the pair
// measurements in one place with the paper's reason for its theory value and ours for its
// tolerance; only quantities that a function-preserving rescaling h → c·h leaves unchanged are
// verdicts; a 95% interval on every row and a pair-mismatch null on every relational row; dead
// blocks (numerically zero branches) left out as RA4 leaves them out.

import Empirical
import Foundation
import LinearAlgebra

/// The predictions of the Unconstrained Jacobians Model (Theorem 3.3, appendix B) and of
/// Residual Alignment (RA1, RA4; Theorem 3.1) as rows of measured-against-theory values.
///
/// Grouping: a per-block row at the boundary takes the median over live blocks per pair (per
/// pair and endpoint where it uses δ), then the median over pairs (pairs × endpoints); a row at
/// the endpoints takes one value per (pair, endpoint). Every row carries the 95% bootstrap
/// interval of that median over pairs (`Bootstrap`); every relational row carries a null — the
/// same quantity with pair p's Jacobians (or w) against pair p + 1's vectors, cyclically. A row
/// holds when its interval lies within `tolerance` of the theory and, for a relational row,
/// excludes the null's median (`Prediction`). The tolerances are ours (the paper states none);
/// each note says why.
///
/// Invariance: a BatchNorm network computes the same function after h → c·h (bn0's γ, β × c;
/// every bn1 and bnf running mean × c and running variance c²v + (c²−1)ε; every fc2 or conv2 × c). Every
/// J_i is unchanged, δ_i → c·δ_i and w → w/c; every verdict row is a ratio or cosine in which c
/// cancels. `balance@boundary` is not (‖w‖² → ‖w‖²/c²): it is reported, not judged.
///
/// The blocks are the live ones (`live`, 1-based): a block whose median σ₁ at x_mid over the
/// pairs is at most 1e-6 × the largest is dead (`InverseDepthScaling`'s rule) and is left out of
/// every per-block row. A block that changes the representation's size (Type 3's block 9, skip
/// S_i a projection) is never live: every row's theory assumes the block maps δ_i by I + J_i
/// (rank_one, equal_sigma1, cross_block_alignment, delta_alignment, stationarity, symmetry,
/// growth_rate, inverse_depth take their blocks from `live`); its S_i enters only through δ_i
/// and A_iᵀw of the other blocks (the linearisation's own chain rule, so `linearisation`,
/// `classifier_alignment` and the stationarity of the other blocks still apply).
public enum PredictionTable {
  /// The tolerance of every row: a 10% agreement (see each note for what 10% means there).
  public static let tolerance = 0.1
  /// `inverse_depth@endpoints` also needs the median R² of its lines to reach this.
  public static let inverseDepthR2 = 0.9

  /// The rows for the measured pairs (those with a boundary point), blocks `live` (1-based);
  /// `seed` seeds the bootstrap intervals.
  public static func rows(
    pairs: [PairMeasurement], live: [Int], skips: Bool, seed: UInt64
  ) -> [Prediction] {
    let measured = pairs.filter { $0.boundary != nil }
    let boundaries = measured.map { $0.boundary! }
    let count = measured.count
    let blocks = live.map { $0 - 1 }
    let width = boundaries.first?.classifierJacobian.count ?? 0
    let randomCosine = short((2 / (Double.pi * Double(max(1, width)))).squareRoot())
    let next = { (p: Int) in (p + 1) % count }

    /// One value per pair.
    func perPair(_ f: (Int) -> Double) -> [[Double]] { measured.indices.map { [f($0)] } }
    /// One value per (pair, endpoint).
    func perEndpoint(_ f: (Int, Int) -> Double) -> [[Double]] {
      measured.indices.map { p in measured[p].endpoints.indices.map { f(p, $0) } }
    }
    /// The null: pair p against pair p + 1 (none with fewer than 2 pairs).
    func nullPerPair(_ f: (Int, Int) -> Double) -> [[Double]] {
      count < 2 ? [] : measured.indices.map { [f($0, next($0))] }
    }
    func nullPerEndpoint(_ f: (Int, Int, Int) -> Double) -> [[Double]] {
      count < 2
        ? []
        : measured.indices.map { p in
          measured[p].endpoints.indices.map { f(p, next(p), $0) }
        }
    }
    func perBlock(_ value: (Int) -> [Double]) -> [BlockValue] {
      blocks.map { BlockValue(block: $0 + 1, measured: Measured(value($0))) }
    }
    func overBlocks(_ f: (Int) -> Double) -> Double { median(blocks.map(f)) }
    func delta(_ p: Int, _ e: Int, _ i: Int) -> [Double] { measured[p].endpoints[e].deltas[i] }

    let noBlock: RowStatus =
      blocks.isEmpty
      ? .notApplicable("no live block (every median σ₁ at x_mid ≤ 1e-6 × the largest or ≤ 1e-6)")
      : .verdict
    let fewBlocks: RowStatus =
      blocks.count < 2 ? .notApplicable("fewer than 2 live blocks") : .verdict
    var rows = [Prediction]()

    // Rank one: J_i = s·uuᵀ at the optimum (Theorem 3.3).
    let ratio = { (p: Int, i: Int) -> Double in
      let s = boundaries[p].decompositions[i].singularValues
      return s[0] > 0 ? s[1] / s[0] : .nan
    }
    rows.append(
      Prediction(
        name: "rank_one@boundary", theory: 0, location: "boundary",
        groups: perPair { p in overBlocks { ratio(p, $0) } }, tolerance: tolerance,
        note: "σ₂/σ₁ of J_i at x_mid, median over the live blocks per pair; Theorem 3.3: every "
          + "J_i is rank one. Tolerance 0.1: ‖J − σ₁u₁v₁ᵀ‖₂ = σ₂, so the best rank-one "
          + "approximation is then within 10% of J.",
        perBlock: perBlock { i in measured.indices.map { ratio($0, i) } }, seed: seed,
        status: noBlock))

    // Equal top singular values at the boundary (Theorem 3.3, not RA4's 1/i).
    let spreadOfSigma1 = { (b: BoundaryJacobians) -> Double in
      let s = blocks.map { b.sigma1[$0] }
      let mean = s.reduce(0, +) / Double(s.count)
      return mean > 0 ? ((s.max() ?? 0) - (s.min() ?? 0)) / mean : .nan
    }
    rows.append(
      Prediction(
        name: "equal_sigma1@boundary", theory: 0, location: "boundary",
        groups: perPair { spreadOfSigma1(boundaries[$0]) }, tolerance: tolerance,
        note: "(max − min)/mean of σ₁(J_i) at x_mid over the live blocks; Theorem 3.3: all "
          + "equal to s* at the optimum, because the Jacobians are taken on the boundary. "
          + "Tolerance 0.1: equal to 10% of their mean (RA4's 1/i over 8 blocks gives 2.6).",
        perBlock: perBlock { i in boundaries.map { $0.sigma1[i] } }, seed: seed,
        status: fewBlocks))

    // Cross-block alignment of the top right singular vectors.
    let crossBlock = { (p: Int, q: Int) -> Double in
      let (v, w) = (boundaries[p].topRightVectors, boundaries[q].topRightVectors)
      var cosines = [Double]()
      for i in blocks {
        // Only blocks of one size are compared (a block after Type 3's block 9 lives in D/2).
        for j in blocks where j != i && w[j].count == v[i].count {
          cosines.append(absoluteCosine(v[i], w[j]))
        }
      }
      return median(cosines)
    }
    rows.append(
      Prediction(
        name: "cross_block_alignment@boundary", theory: 1, location: "boundary",
        groups: perPair { crossBlock($0, $0) }, tolerance: tolerance,
        note: "|cos(v₁(J_i), v₁(J_j))| at x_mid, median over live i ≠ j of one representation "
          + "size per pair; Theorem 3.3: "
          + "all top singular vectors equal u. Null: v₁(J_i) of pair p against v₁(J_j) of pair "
          + "p + 1. Random directions in D = \(width) dimensions: |cos| ≈ √(2/(πD)) = "
          + "\(randomCosine). Tolerance 0.1: within 26°.",
        nullGroups: nullPerPair(crossBlock), seed: seed, status: fewBlocks))

    // Alignment of δ_i with v₁(J_i).
    let deltaCosine = { (p: Int, q: Int, e: Int, i: Int) -> Double in
      absoluteCosine(boundaries[p].topRightVectors[i], delta(q, e, i))
    }
    rows.append(
      Prediction(
        name: "delta_alignment@boundary", theory: 1, location: "boundary",
        groups: perEndpoint { p, e in overBlocks { deltaCosine(p, p, e, $0) } },
        tolerance: tolerance,
        note: "|cos(v₁(J_i), δ_i)| with δ₁ = h₁(x) − h₁(x_mid) propagated linearly, median "
          + "over the live blocks per pair and endpoint; Theorem 3.3: u = Δx/‖Δx‖. Null: "
          + "v₁(J_i) of pair p against δ_i of pair p + 1. Random directions: \(randomCosine). "
          + "Tolerance 0.1 as for cross_block_alignment.",
        perBlock: perBlock { i in
          measured.indices.flatMap { p in
            measured[p].endpoints.indices.map { deltaCosine(p, p, $0, i) }
          }
        },
        nullGroups: nullPerEndpoint { p, q, e in overBlocks { deltaCosine(p, q, e, $0) } },
        seed: seed, status: noBlock))

    // Classifier alignment: w ∝ y·δ_{L+1}.
    let classifierCosine = { (p: Int, q: Int, e: Int) -> Double in
      let d = measured[q].endpoints[e].deltas
      return absoluteCosine(boundaries[p].classifierJacobian, d[d.count - 1])
    }
    rows.append(
      Prediction(
        name: "classifier_alignment@boundary", theory: 1, location: "boundary",
        groups: perEndpoint { classifierCosine($0, $0, $1) }, tolerance: tolerance,
        note: "|cos(w, δ_{L+1})| with w = ∂z/∂h_{L+1} at x_mid (through BN_f and the ReLU "
          + "mask); Theorem 3.3: w = y·t*·u; stationarity in w: λw = y·σ(−yz)·δ_{L+1}. Null: w of "
          + "pair p against δ_{L+1} of pair p + 1. Random directions: \(randomCosine). "
          + "Tolerance 0.1 as for cross_block_alignment.",
        nullGroups: nullPerEndpoint(classifierCosine), seed: seed))

    // Stationarity in J_i: λJ_i = y·σ(−yz)·(A_iᵀw)δ_iᵀ at every stationary point (λ > 0).
    let stationarity = { (p: Int, q: Int, e: Int, i: Int) -> Double in
      let b = boundaries[p]
      let a = b.classifierGradients[i + 1]
      let d = delta(q, e, i)
      let y = measured[q].endpoints[e].label
      let denominator = b.frobeniusNorms[i] * a.euclideanNorm * d.euclideanNorm
      return denominator > 0 ? y * a.dot(b.jacobians[i].apply(d)) / denominator : .nan
    }
    let errors = boundaries.flatMap { b in blocks.map { b.frobeniusErrors[$0] } }
    let frobenius =
      boundaries.allSatisfy(\.frobeniusExact)
      ? "‖J_i‖_F exact"
      : "‖J_i‖_F estimated matrix-free by " + FrobeniusNorm.method + ": relative standard "
        + "error median \(short(median(errors))), largest \(short(errors.max() ?? .nan))"
    rows.append(
      Prediction(
        name: "stationarity@boundary", theory: 1, location: "boundary",
        groups: perEndpoint { p, e in overBlocks { stationarity(p, p, e, $0) } },
        tolerance: tolerance,
        note: "cos_F(J_i, y·(A_iᵀw)δ_iᵀ) = y·(A_iᵀw)ᵀJ_iδ_i/(‖J_i‖_F‖A_iᵀw‖‖δ_i‖) at x_mid, "
          + "A_i = (I + J_L)⋯(I + J_{i+1}), y = −1 at x_a and +1 at x_b, \(frobenius); median "
          + "over the live blocks per pair and endpoint. Definition 3.2's gradient in J_i "
          + "vanishes only where λJ_i = y·σ(−yz)·(A_iᵀw)δ_iᵀ, so the cosine is 1 at every "
          + "stationary point whatever λ (signed: −1 is anti-aligned). Null: J_i and w of pair p, "
          + "δ_i of pair p + 1. Random a, b: mean 0, standard deviation 1/D = "
          + "\(short(1 / Double(max(1, width)))). Tolerance 0.1: cos_F ≥ 0.9.",
        perBlock: perBlock { i in
          measured.indices.flatMap { p in
            measured[p].endpoints.indices.map { stationarity(p, p, $0, i) }
          }
        },
        nullGroups: nullPerEndpoint { p, q, e in overBlocks { stationarity(p, q, e, $0) } },
        seed: seed, status: noBlock))

    // Symmetry: u₁(J_i) = v₁(J_i).
    let symmetry = { (p: Int, i: Int) -> Double in
      boundaries[p].topLeftVectors[i].dot(boundaries[p].topRightVectors[i])
    }
    let symmetryNull = { (p: Int, q: Int, i: Int) -> Double in
      abs(boundaries[p].topLeftVectors[i].dot(boundaries[q].topRightVectors[i]))
    }
    rows.append(
      Prediction(
        name: "symmetry@boundary", theory: 1, location: "boundary",
        groups: perPair { p in overBlocks { symmetry(p, $0) } }, tolerance: tolerance,
        note: "u₁(J_i)·v₁(J_i) at x_mid (signed; a joint sign flip of u₁, v₁ leaves it "
          + "unchanged), median over the live blocks per pair; Theorem 3.3 (J_i = s·uuᵀ), RA2 and "
          + "Theorem 3.1 need u₁ = v₁. Null: |u₁(J_i) of pair p · v₁(J_i) of pair p + 1| (the "
          + "absolute value: the signs of different SVDs are unrelated). Random directions: "
          + "\(randomCosine). Tolerance 0.1.",
        perBlock: perBlock { i in measured.indices.map { symmetry($0, i) } },
        nullGroups: nullPerPair { p, q in overBlocks { symmetryNull(p, q, $0) } }, seed: seed,
        status: noBlock))

    // Growth rate: ‖δ_{i+1}‖/‖δ_i‖ = 1 + s in every block.
    let growthRatio = { (p: Int, e: Int, i: Int) -> Double in
      let n = delta(p, e, i).euclideanNorm
      return n > 0 ? delta(p, e, i + 1).euclideanNorm / n : .nan
    }
    let growth = { (p: Int, e: Int, i: Int) -> Double in
      (growthRatio(p, e, i) - 1) / boundaries[p].sigma1[i]
    }
    let variation = perEndpoint { p, e in
      let r = blocks.map { growthRatio(p, e, $0) }
      let mean = r.reduce(0, +) / Double(r.count)
      let variance = r.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(r.count)
      return variance.squareRoot() / mean
    }
    rows.append(
      Prediction(
        name: "growth_rate@boundary", theory: 1, location: "boundary",
        groups: perEndpoint { p, e in overBlocks { growth(p, e, $0) } }, tolerance: tolerance,
        note: "(‖δ_{i+1}‖/‖δ_i‖ − 1)/σ₁(J_i), median over the live blocks per pair and "
          + "endpoint; the UJM's ratio is exactly 1 + s in every block (footnote 3: exponential "
          + "growth on the boundary), so 1; a δ_i off v₁ grows by less. Second quantity: the "
          + "spread of the ratios (coefficient of variation over the live blocks), median "
          + short(median(variation.flatMap { $0 })) + " (it cannot exceed about σ₁, so it "
          + "tests constancy only). Tolerance 0.1: the growth is (1 + s) to 10% of s.",
        perBlock: perBlock { i in
          measured.indices.flatMap { p in measured[p].endpoints.indices.map { growth(p, $0, i) } }
        }, seed: seed,
        status: !skips
          ? .notApplicable("no skip connections: δ_{i+1} = J_iδ_i, not (I + J_i)δ_i") : noBlock))

    // Balance t*² = s*(1 + s*): not identifiable.
    let balance = { (b: BoundaryJacobians) -> Double in
      let s = median(blocks.map { b.sigma1[$0] })
      let w = b.classifierJacobian.euclideanNorm
      return w * w / (s * (1 + s))
    }
    rows.append(
      Prediction(
        name: "balance@boundary", theory: 1, location: "boundary",
        groups: perPair { balance(boundaries[$0]) }, tolerance: tolerance,
        note: "‖w‖²/(σ̄₁(1 + σ̄₁)), σ̄₁ the median σ₁ over live blocks; the reduced problem's "
          + "stationarity gives t*² = s*(1 + s*), but the network's ‖w‖ has no fixed scale.",
        seed: seed,
        status: .notIdentifiable(
          "after h → c·h (bn0's γ, β × c; every bn1 and bnf running mean × c, running variance "
            + "c²v + (c²−1)ε; every fc2 or conv2 × c) the network computes the same function with the "
            + "same J_i, but w becomes w/c, so this ratio is divided by c²")))

    // Linearisation.
    rows.append(
      Prediction(
        name: "linearisation@endpoints", theory: 0, location: "endpoints",
        groups: perEndpoint { p, e in
          let x = measured[p].endpoints[e]
          return abs(x.linearisedZ - x.z) / abs(x.z)
        }, tolerance: tolerance,
        note: "|ẑ − z|/|z| with ẑ = z(x_mid) + wᵀδ_{L+1} at each training input; the UJM is a "
          + "first-order expansion and assumes ≈ 0. Tolerance 0.1: the expansion predicts the "
          + "margin to 10%.", seed: seed))

    // RA4 at the inputs: 1/σ₁(J_i) = b·i + a with b = 1.
    let lines = perEndpoint { p, e in measured[p].endpoints[e].ra4(live: live)?.slope ?? .nan }
    let r2 = median(
      measured.flatMap { $0.endpoints.map { $0.ra4(live: live)?.r2 ?? .nan } }.filter(\.isFinite))
    rows.append(
      Prediction(
        name: "inverse_depth@endpoints", theory: 1, location: "endpoints", groups: lines,
        tolerance: tolerance,
        note: "slope b of the least-squares line 1/σ₁(J_i) = b·i + a over the live blocks at "
          + "each training input (RA4; footnote 3: on training data σ₁ ∝ 1/depth). Theorem 3.1 "
          + "needs σ₁ = 1/i, i.e. b = 1: with slope b, ∏(1 + σ_i) grows like k^{1/b}, not k. "
          + "Second requirement: median R² ≥ 0.9 (measured " + short(r2) + "). Tolerance 0.1 "
          + "on b.", seed: seed,
        status: blocks.count < 3 ? .notApplicable("fewer than 3 live blocks") : .verdict,
        condition: (
          r2 >= inverseDepthR2, "median R² \(short(r2)) of the lines is below \(inverseDepthR2)"
        )))

    // RA1 at the inputs, with the RA2–4 scores that Theorem 3.1 needs.
    let endpoints = measured.flatMap(\.endpoints)
    rows.append(
      Prediction(
        name: "ra1_pc1@endpoints", theory: 1, location: "endpoints",
        groups: perEndpoint { p, e in measured[p].endpoints[e].ra1.pc1VarianceFraction },
        tolerance: tolerance,
        note: (blocks.isEmpty
          ? "(no live block: h₁…h_{L+1} differ only by dead branches, so the trajectory is a "
            + "point and its PC1 says nothing about RA) " : "")
          + "PC1 variance fraction of h₁…h_{L+1} at each training input; Theorem 3.1: 1 when "
          + "RA2–4 hold. At the inputs: RA2 diagonal fraction median "
          + short(median(endpoints.map(\.ra2DiagonalFraction))) + " (random baseline "
          + short(median(endpoints.map(\.ra2RandomBaseline))) + "), RA3 σ₂/σ₁ (live blocks) median "
          + short(median(endpoints.map { median($0.secondToFirst(blocks)) }))
          + ". Tolerance 0.1: PC1 ≥ 0.9.", seed: seed))
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
