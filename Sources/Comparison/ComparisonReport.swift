// Goals, in order of priority: the report of `ujm compare` in the issue's JSON shape (snake_case
// keys, null for non-finite numbers) and as text a reader can check row by row: every verdict
// next to its measured value and tolerance.

import Empirical
import Foundation
import LinearAlgebra

/// What `ujm compare` reports.
public struct ComparisonReport: Sendable, Encodable {
  public var checkpoint: String
  /// The original labels of the two classes (first: y = −1, second: y = +1).
  public var classes: [Int]
  public var blocks: Int
  public var width: Int
  public var seed: UInt64
  public var rank: Int
  public var seconds: Double
  public var blas: BLASEnvironment
  public var comparison: TheoryComparison
  /// The original labels of all the checkpoint's outputs (for a third class at x_mid).
  public var checkpointClasses: [Int]
  /// The rows of every kept checkpoint of the run on the same pairs (`--snapshots`), by epoch.
  public var snapshots: [SnapshotRows]?

  public init(
    checkpoint: String, classes: [Int], blocks: Int, width: Int, seed: UInt64, rank: Int,
    seconds: Double, blas: BLASEnvironment, comparison: TheoryComparison,
    checkpointClasses: [Int]? = nil, snapshots: [SnapshotRows]? = nil
  ) {
    self.snapshots = snapshots
    self.checkpoint = checkpoint
    self.classes = classes
    self.checkpointClasses = checkpointClasses ?? classes
    self.blocks = blocks
    self.width = width
    self.seed = seed
    self.rank = rank
    self.seconds = seconds
    self.blas = blas
    self.comparison = comparison
  }

  /// One pair in the JSON.
  struct PairEntry: Encodable {
    var pair: PairMeasurement
    var live: [Int]
    var labels: [Int]

    struct Boundary: Encodable {
      var singularValues: [[Double]]
      var classifierJacobianNorm: Double
      var sigma1Spread: Double
      var rankOne: Double

      enum CodingKeys: String, CodingKey {
        case singularValues = "singular_values"
        case classifierJacobianNorm = "classifier_jacobian_norm"
        case sigma1Spread = "sigma1_spread"
        case rankOne = "rank_one"
      }

      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeFinite(singularValues, forKey: .singularValues)
        try c.encodeFinite(classifierJacobianNorm, forKey: .classifierJacobianNorm)
        try c.encodeFinite(sigma1Spread, forKey: .sigma1Spread)
        try c.encodeFinite(rankOne, forKey: .rankOne)
      }
    }

    struct Endpoint: Encodable {
      var e: EndpointMeasurement
      var live: [Int]
      enum CodingKeys: String, CodingKey {
        case position, z, ra4
        case linearisedZ = "linearised_z"
        case dxNorm = "dx_norm"
        case ra1PC1 = "ra1_pc1"
        case ra2DiagonalFraction = "ra2_diag_fraction"
      }
      enum RA4Keys: String, CodingKey { case slope, r2 }

      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(e.position, forKey: .position)
        try c.encodeFinite(e.z, forKey: .z)
        try c.encodeFinite(e.linearisedZ, forKey: .linearisedZ)
        try c.encodeFinite(e.deltas[0].euclideanNorm, forKey: .dxNorm)
        var r = c.nestedContainer(keyedBy: RA4Keys.self, forKey: .ra4)
        let fit = e.ra4(live: live)
        try r.encodeFinite(fit?.slope, forKey: .slope)
        try r.encodeFinite(fit?.r2, forKey: .r2)
        try c.encodeFinite(e.ra1.pc1VarianceFraction, forKey: .ra1PC1)
        try c.encodeFinite(e.ra2DiagonalFraction, forKey: .ra2DiagonalFraction)
      }
    }

    enum CodingKeys: String, CodingKey {
      case a, b, t, boundary, endpoints
      case zAtT = "z_at_t"
      case za = "z_a"
      case zb = "z_b"
      case dominantClass = "dominant_class"
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(pair.a, forKey: .a)
      try c.encode(pair.b, forKey: .b)
      try c.encodeFinite(pair.boundaryPoint?.t, forKey: .t)
      try c.encodeFinite(pair.boundaryPoint?.z, forKey: .zAtT)
      try c.encodeFinite(pair.za, forKey: .za)
      try c.encodeFinite(pair.zb, forKey: .zb)
      try c.encode(pair.dominantClass.map { labels[$0] }, forKey: .dominantClass)
      if let b = pair.boundary {
        let s = live.map { b.sigma1[$0 - 1] }
        let mean = s.reduce(0, +) / Double(max(1, s.count))
        try c.encode(
          Boundary(
            singularValues: b.singularValues,
            classifierJacobianNorm: b.classifierJacobian.euclideanNorm,
            sigma1Spread: mean > 0 ? ((s.max() ?? 0) - (s.min() ?? 0)) / mean : .nan,
            rankOne: median(
              live.map { i in
                let v = b.decompositions[i - 1].singularValues
                return v[0] > 0 ? v[1] / v[0] : .nan
              })), forKey: .boundary)
      } else {
        try c.encodeNil(forKey: .boundary)
      }
      try c.encode(pair.endpoints.map { Endpoint(e: $0, live: live) }, forKey: .endpoints)
    }
  }

  enum CodingKeys: String, CodingKey {
    case checkpoint, classes, blocks, width, seed, rank, seconds, blas, pairs, predictions
    case snapshots
    case liveBlocks = "live_blocks"
    case shapeChangingBlocks = "shape_changing_blocks"
    case ujmFit = "ujm_fit"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(checkpoint, forKey: .checkpoint)
    try c.encode(classes, forKey: .classes)
    try c.encode(blocks, forKey: .blocks)
    try c.encode(width, forKey: .width)
    try c.encode(seed, forKey: .seed)
    try c.encode(rank, forKey: .rank)
    try c.encodeFinite(seconds, forKey: .seconds)
    try c.encode(blas, forKey: .blas)
    try c.encode(comparison.liveBlocks, forKey: .liveBlocks)
    try c.encode(comparison.shapeChangingBlocks, forKey: .shapeChangingBlocks)
    try c.encode(
      comparison.pairs.map {
        PairEntry(pair: $0, live: comparison.liveBlocks, labels: checkpointClasses)
      }, forKey: .pairs)
    try c.encode(comparison.predictions, forKey: .predictions)
    try c.encode(comparison.fit, forKey: .ujmFit)
    try c.encode(snapshots, forKey: .snapshots)
  }

  /// The report as text: the pairs, the prediction table (with per-block values), the UJM fit.
  public var text: String {
    var lines = [String]()
    let cmp = comparison
    lines.append(
      "ujm compare: \(checkpoint) (classes \(classes[0]) → y = −1, \(classes[1]) → y = +1), "
        + "L = \(blocks), D = \(width), rank \(rank), seed \(seed)")
    lines.append(
      "live blocks: \(cmp.liveBlocks.isEmpty ? "none" : InverseDepthScaling.runs(of: cmp.liveBlocks))"
        + (cmp.liveBlocks.count + cmp.shapeChangingBlocks.count < blocks
          ? " (\(blocks - cmp.liveBlocks.count - cmp.shapeChangingBlocks.count) dead: median σ₁ "
            + "at x_mid ≤ 1e-6 × the largest or ≤ 1e-6)" : "")
        + (cmp.shapeChangingBlocks.isEmpty
          ? ""
          : "; left out of every row: block"
            + (cmp.shapeChangingBlocks.count > 1 ? "s " : " ")
            + cmp.shapeChangingBlocks.map(String.init).joined(separator: ", ")
            + " (changes the representation's size; δ and A_iᵀw go through its projection skip "
            + "S_i + J_i, which the UJM's I + J_i does not describe)"))
    lines.append("pairs (a of class \(classes[0]), b of class \(classes[1]); t from a to b):")
    for p in cmp.pairs {
      var line = "  \(p.a):\(p.b)  z_a \(g(p.za))  z_b \(g(p.zb))"
      if let point = p.boundaryPoint, let b = p.boundary {
        line +=
          "  t \(fmt(point.t, 6))  z(t) \(g(point.z))  ‖w‖ "
          + g(b.classifierJacobian.euclideanNorm)
        line += "  σ₁ " + cmp.liveBlocks.map { g(b.sigma1[$0 - 1]) }.joined(separator: " ")
        for e in p.endpoints {
          line +=
            "\n      \(e.position): z \(g(e.z))  ẑ \(g(e.linearisedZ))  ‖δ₁‖ "
            + g(e.deltas[0].euclideanNorm)
            + "  RA4 slope \(g(e.ra4(live: cmp.liveBlocks)?.slope ?? .nan)) R² "
            + g(e.ra4(live: cmp.liveBlocks)?.r2 ?? .nan)
        }
        if let other = p.dominantClass {
          line += "\n      at x_mid class \(checkpointClasses[other])'s logit exceeds both"
        }
      } else {
        line += "  no sign change on the segment: skipped"
      }
      lines.append(line)
    }
    lines.append(
      "predictions (holds: the 95% interval of the median over pairs within tolerance of the "
        + "theory and, where there is a null, excluding the null's median):")
    for row in cmp.predictions {
      let m = row.measured
      var line =
        "  \(row.name): theory \(g(row.theory)), measured median \(g(m.median)) "
        + "[\(g(m.min)), \(g(m.max))] over \(m.count), 95% CI [\(g(row.ci[0])), \(g(row.ci[1]))]"
      if let null = row.null {
        line += ", null median \(g(null.median)) [\(g(null.ci[0])), \(g(null.ci[1]))]"
      }
      line += ", tolerance \(g(row.tolerance)) — \(row.verdict)"
      lines.append(line)
      if let perBlock = row.perBlock, !perBlock.isEmpty {
        lines.append(
          "      per block: "
            + perBlock.map { "\($0.block): \(g($0.measured.median))" }.joined(separator: ", "))
      }
      lines.append("      \(row.note)")
    }
    let f = cmp.fit
    lines.append(
      "UJM fit: L = \(f.blocks), ρ = median ‖w‖·‖δ₁‖ = \(g(f.classifierDeltaNorm)), "
        + "σ̄₁ = \(g(f.targetSigma1)), r = ρ/t* = \(g(f.dxNorm))")
    if let lambda = f.lambdaEffective {
      lines.append(
        "  λ_eff \(g(lambda)), s* \(g(f.sStar ?? .nan)), t* \(g(f.tStar ?? .nan))"
          + (f.lambdaRatio.map { ", λ_eff/weight decay \(g($0))" } ?? ""))
      lines.append(
        "  margin y·z: predicted \(g(f.predictedMargin ?? .nan)), measured "
          + g(f.measuredMargin))
      if let s = f.fullSolve {
        lines.append(
          "  full UJM (D = \(s.dimension)): \(s.stopReason) after \(s.iterations) iterations, "
            + "F \(g(s.objective)) vs f* \(g(s.reducedObjective)), checks \(s.checksPassed)/"
            + "\(s.checks) pass"
            + (s.failedChecks.isEmpty ? "" : " (failed: \(s.failedChecks.joined(separator: ", ")))")
        )
      }
    } else {
      lines.append("  λ_eff: none")
      lines.append("  margin y·z measured " + g(f.measuredMargin))
    }
    lines.append("  \(f.note)")
    if let snapshots, let first = snapshots.first {
      lines.append(
        "over training (the same pairs and seed; median, 95% CI, null median — verdict):")
      for (k, name) in first.predictions.map(\.name).enumerated() {
        let cells = snapshots.map { s -> String in
          let r = s.predictions[k]
          return "epoch \(s.epoch.map(String.init) ?? "?"): \(g(r.measured.median)) "
            + "[\(g(r.ci[0])), \(g(r.ci[1]))]" + (r.null.map { " null \(g($0.median))" } ?? "")
            + " \(r.verdictWord)"
        }
        lines.append("  \(name): " + cells.joined(separator: "; "))
      }
    }
    lines.append(
      "seconds: \(fmt(seconds, 2)) (BLAS core \(blas.core), \(blas.threads) threads)")
    return lines.joined(separator: "\n")
  }
}

/// A number with 4 significant digits.
private func g(_ x: Double) -> String { x.isFinite ? String(format: "%.4g", x) : "n/a" }
/// A number with `digits` decimals.
private func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
