import Empirical
import Foundation
import LinearAlgebra

/// The report of `ujm measure`: the JSON object of issue 6 and the human-readable text.
///
/// JSON: `{checkpoint, seed, inputs, seconds, stage_seconds: {load, residual_alignment,
/// neural_collapse, figures}, blocks: [{index, top_singular_values,
/// sigma1_per_input, dead}], ra1: {pc1_variance_fraction, step_cv, step_cos}, ra2:
/// {diag_fraction, random_baseline, …}, ra3: {gap, …}, ra4: {slope, intercept, r2, ci95, onset,
/// live_blocks, dead_blocks, dead_threshold, …}, nc: {…}, svd: {…}}` where every spread is
/// `{median, min, max}` over the inputs. Non-finite numbers are written as null; so is the RA4 fit
/// (slope, intercept, r2, first_block, last_block, ci95) when fewer than 2 blocks are live; ci95
/// is also null, with `ci95_note` "n/a: fewer than 5 inputs", when there are too few inputs for
/// a bootstrap. `nc` is null only when skipped (--nc-examples 0); its `precision` is that of the
/// forward passes ("single" or "double"), its `peak_resident_bytes` the peak resident memory
/// during the NC stage (Linux's VmHWM, reset as the stage begins; null elsewhere).
/// `peak_resident_bytes`: the process's peak resident memory (getrusage ru_maxrss), null where
/// the system does not say.
struct MeasureReport: Encodable {
  var checkpoint: String
  var seed: UInt64
  /// The inputs measured, as 0-based positions in the training file.
  var inputs: [Int]
  /// Wall-clock seconds from the start of the command to the report: everything the user waited
  /// for but the printing.
  var seconds: Double
  var stageSeconds: StageSeconds
  var measurement: ResidualAlignmentMeasurement
  var neuralCollapse: NeuralCollapseMeasurement?
  /// The arithmetic of Neural Collapse's forward passes.
  var neuralCollapsePrecision: NeuralCollapseMeasurement.Precision = .single
  /// The process's peak resident memory when the report was made.
  var peakResidentBytes: Int?
  /// The peak resident memory during the NC stage, where it can be measured.
  var neuralCollapsePeakResidentBytes: Int?
  /// The training's weight decay λ and its scope as the checkpoint records them (`wd`,
  /// `wd_scope`); null when it does not (a PyTorch export).
  var weightDecay: Double?
  var weightDecayScope: String?

  /// Seconds of each stage of `seconds`.
  struct StageSeconds: Equatable {
    var load = 0.0
    var residualAlignment = 0.0
    var neuralCollapse: Double?
    var figures: Double?
  }

  /// The fewest inputs for which the RA4 slope gets a bootstrap CI. With n inputs a bootstrap
  /// resample is a multiset of them, C(2n−1, n) possibilities: 10 at n = 3, 35 at n = 4, 126 at
  /// n = 5; below 5 the 2.5% and 97.5% percentiles of the resampled slopes are a handful of
  /// atoms (at n = 1, one: a zero-width "interval"), not an interval of the data.
  static let minimumInputsForCI = 5

  /// The CI when there are enough inputs for one.
  var ci95: [Double]? {
    inputs.count >= Self.minimumInputsForCI ? measurement.ra4.ci95 : nil
  }

  /// The text in place of the CI when there are too few inputs.
  var noCIReason: String { "n/a: fewer than \(Self.minimumInputsForCI) inputs" }

  /// The JSON object on one line (the one encoder: keys sorted, non-finite numbers as null).
  var json: String {
    get throws { try jsonLine(self) }
  }

  static func s(_ x: Double) -> String {
    if !x.isFinite { return "\(x)" }
    return abs(x) >= 1e4 || (abs(x) < 1e-3 && x != 0)
      ? String(format: "%.3e", x) : String(format: "%.4f", x)
  }

  static func s(_ spread: Spread) -> String {
    "\(s(spread.median)) [\(s(spread.min)), \(s(spread.max))]"
  }

  /// The human-readable report.
  func text(blas: BLASEnvironment, figures: String?) -> String {
    let m = measurement
    var lines = [
      "ujm measure: \(checkpoint), \(inputs.count) inputs (positions "
        + "\(inputs.prefix(10).map(String.init).joined(separator: ","))"
        + "\(inputs.count > 10 ? ",…" : "")), rank \(m.ra2.rank), seed \(seed)",
      "trained with "
        + (weightDecay.map { "weight decay \($0) (\(weightDecayScope ?? "scope not recorded"))" }
          ?? "a weight decay the checkpoint does not record"),
      "spreads are median [min, max] over the inputs",
      "",
      "RA1 (trajectories h₁…h_{L+1} on a line, equispaced):",
      "  PC1 variance fraction          \(Self.s(m.ra1.pc1VarianceFraction))",
      "  step-length CV                 \(Self.s(m.ra1.stepCV))",
      "  |cos| of consecutive steps     \(Self.s(m.ra1.stepCos))",
      "RA2 (top-\(m.ra2.rank) singular vectors align across blocks, pairs i ≠ j"
        + (m.ra4.excludedBlocks.isEmpty
          ? "):"
          : " of equal dimension; rectangular block(s) "
            + InverseDepthScaling.runs(of: m.ra4.excludedBlocks)
            + " reported above but left out of RA2 and RA4):"),
      "  diagonal fraction U_jᵀJ_iV_j   \(Self.s(m.ra2.diagFraction))",
      "  diagonal fraction V_jᵀJ_iU_j   \(Self.s(m.ra2.transposedDiagFraction))",
      "  Haar-random U, V baseline      \(Self.s(m.ra2.randomBaseline))",
      "  principal cosines U_i, U_j     \(Self.s(m.ra2.leftSubspaceCosine))",
      "  principal cosines V_i, V_j     \(Self.s(m.ra2.rightSubspaceCosine))",
      "RA3 (rank ≤ C = \(m.ra3.classes); median over blocks per input):",
      "  σ_C/σ_{C+1}                    \(Self.s(m.ra3.gap))",
      "  numerical rank (σ > \(m.ra3.threshold)·σ₁)  \(Self.s(m.ra3.numericalRank))",
      "RA4 (1/σ₁ linear in depth; fit of the mean over inputs, live blocks only):",
      "  dead blocks (median σ₁ ≤ max(\(InverseDepthScaling.deadRelativeThreshold) × the largest "
        + "block median σ₁, \(InverseDepthScaling.deadAbsoluteThreshold)) = "
        + "\(Self.s(m.ra4.deadThreshold))): "
        + (m.ra4.deadBlocks.isEmpty
          ? "none" : InverseDepthScaling.runs(of: m.ra4.deadBlocks) + " (left out of the fit)"),
      "  inputs at which a live block's σ₁ is at or below that threshold (left out of its mean): "
        + "\(m.ra4.deadJacobians)",
    ]
    let l = m.blocks.count
    if let all = m.ra4.all {
      let interval =
        ci95.map {
          "bootstrap 95% CI of the slope [\(Self.s($0[0])), \(Self.s($0[1]))] "
            + "(\(m.ra4.resamples) resamples)"
        } ?? "bootstrap 95% CI of the slope \(noCIReason)"
      lines.append(
        "  \(m.ra4.deadBlocks.isEmpty ? "all blocks" : "live blocks (\(m.ra4.liveBlocks.count) of \(l))"): "
          + "slope \(Self.s(all.slope)), intercept \(Self.s(all.intercept)), "
          + "R² \(Self.s(all.r2)), " + interval)
    } else {
      let live = m.ra4.liveBlocks
      lines.append(
        "  no fit: "
          + (live.isEmpty
            ? "none of the \(l) blocks is live"
            : "only block \(live[0]) of the \(l) is live")
          + "; a line needs at least 2 live blocks")
    }
    if m.ra4.all != nil {
      if let onset = m.ra4.onset, let f = m.ra4.fromOnset {
        lines.append(
          "  onset (first live block with R² ≥ 0.9 from there on): \(onset); from it: slope "
            + "\(Self.s(f.slope)), intercept \(Self.s(f.intercept)), R² \(Self.s(f.r2))")
      } else {
        lines.append("  onset: none (no fit over ≥ 4 final live blocks reaches R² ≥ 0.9)")
      }
    }
    lines.append("")
    lines.append(
      "block   σ₁ (median over inputs)   σ_C/σ_{C+1}   σ₂₀ (mean; σ_D if D < 20)   branch")
    for b in m.blocks {
      func pad(_ text: String, _ width: Int) -> String {
        text.padding(toLength: width, withPad: " ", startingAt: 0)
      }
      lines.append(
        "  \(pad(String(b.index), 5)) \(pad(Self.s(Spread(of: b.sigma1PerInput).median), 26))"
          + "\(pad(b.dead ? "—" : Self.s(b.gap.median), 14))"
          + "\(pad(Self.s(b.topSingularValues.last ?? .nan), 28))\(b.dead ? "dead" : "live")")
    }
    if let nc = neuralCollapse {
      let last = nc.last.metrics
      lines.append("")
      lines.append(
        "Neural Collapse over \(nc.samples) training examples (forward passes in "
          + (neuralCollapsePrecision == .single ? "Float32" : "Float64")
          + ", statistics in Float64"
          + (neuralCollapsePeakResidentBytes.map {
            "; peak resident memory \(PeakMemory.gibibytes($0))"
          } ?? "") + "; train accuracy \(Self.s(nc.accuracy))):")
      lines.append(
        "  classifier input: NC1 \(Self.s(last.nc1)), NC2 means \(Self.s(last.nc2Means)), "
          + "NC2 classifier \(Self.s(last.nc2Classifier ?? .nan)), "
          + "NC3 \(Self.s(last.nc3 ?? .nan)), NC4 \(Self.s(nc.last.nc4))")
      lines.append(
        "  layer-wise NC1: "
          + nc.layers.dropLast().map { Self.s($0.metrics.nc1) }.joined(separator: " "))
    }
    if neuralCollapse == nil {
      lines.append("")
      lines.append("Neural Collapse: skipped (--nc-examples 0)")
    }
    lines.append("")
    lines.append(
      "SVD: Algorithm 971, T = \(m.powerIterations), oversampling "
        + "\(RandomizedSVD.defaultOversampling); largest triplet residual "
        + "max‖Jv − σu‖/σ₁ = \(Self.s(m.largestTopKTripletResidual)) over the top \(m.ra2.rank), "
        + "\(Self.s(m.largestTripletResidual)) over all \(m.tripletsPerJacobian)")
    let st = stageSeconds
    lines.append(
      "seconds: \(Self.s(seconds)) in all (loading \(Self.s(st.load)), RA "
        + "\(Self.s(st.residualAlignment))"
        + (st.neuralCollapse.map { ", Neural Collapse \(Self.s($0))" } ?? "")
        + (st.figures.map { ", figures \(Self.s($0))" } ?? "")
        + "; BLAS core \(blas.core), \(blas.threads) threads)"
        + (peakResidentBytes.map { "; peak resident memory \(PeakMemory.gibibytes($0))" } ?? ""))
    if let figures { lines.append("figures written to \(figures)") }
    return lines.joined(separator: "\n")
  }
}

// MARK: - JSON

extension MeasureReport {
  enum CodingKeys: String, CodingKey {
    case checkpoint, seed, inputs, seconds, blocks, ra1, ra2, ra3, ra4, svd, nc
    case stageSeconds = "stage_seconds"
    case peakResidentBytes = "peak_resident_bytes"
    case weightDecay = "weight_decay"
    case weightDecayScope = "weight_decay_scope"
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    let m = measurement
    try c.encode(checkpoint, forKey: .checkpoint)
    try c.encode(seed, forKey: .seed)
    try c.encode(inputs, forKey: .inputs)
    try c.encode(seconds, forKey: .seconds)
    try c.encode(stageSeconds, forKey: .stageSeconds)
    try c.encode(peakResidentBytes, forKey: .peakResidentBytes)
    try c.encode(weightDecay, forKey: .weightDecay)
    try c.encode(weightDecayScope, forKey: .weightDecayScope)
    try c.encode(
      m.blocks.map {
        BlockJSON(
          index: $0.index, top_singular_values: $0.topSingularValues,
          sigma1_per_input: $0.sigma1PerInput, dead: $0.dead)
      }, forKey: .blocks)
    try c.encode(
      RA1JSON(
        pc1_variance_fraction: m.ra1.pc1VarianceFraction, step_cv: m.ra1.stepCV,
        step_cos: m.ra1.stepCos), forKey: .ra1)
    try c.encode(
      RA2JSON(
        rank: m.ra2.rank, diag_fraction: m.ra2.diagFraction,
        transposed_diag_fraction: m.ra2.transposedDiagFraction,
        random_baseline: m.ra2.randomBaseline, left_subspace_cosine: m.ra2.leftSubspaceCosine,
        right_subspace_cosine: m.ra2.rightSubspaceCosine), forKey: .ra2)
    try c.encode(
      RA3JSON(
        classes: m.ra3.classes, threshold: m.ra3.threshold, gap: m.ra3.gap,
        numerical_rank: m.ra3.numericalRank, gap_per_block: m.blocks.map(\.gap),
        numerical_rank_per_block: m.blocks.map(\.numericalRank)), forKey: .ra3)
    try c.encode(
      RA4JSON(
        fit: m.ra4.all.map(FitJSON.init), ci95: ci95,
        ci95_note: ci95 == nil && m.ra4.all != nil ? noCIReason : nil, onset: m.ra4.onset,
        bootstrap_resamples: m.ra4.resamples, live_blocks: m.ra4.liveBlocks,
        dead_blocks: m.ra4.deadBlocks, dead_threshold: m.ra4.deadThreshold,
        dead_relative_threshold: InverseDepthScaling.deadRelativeThreshold,
        dead_jacobians: m.ra4.deadJacobians, excluded_blocks: m.ra4.excludedBlocks,
        from_onset: m.ra4.fromOnset.map(FitJSON.init)),
      forKey: .ra4)
    try c.encode(
      SVDJSON(
        method: "Algorithm 971", power_iterations: m.powerIterations,
        oversampling: RandomizedSVD.defaultOversampling,
        triplets_per_jacobian: m.tripletsPerJacobian,
        largest_triplet_residual: m.largestTripletResidual,
        largest_top_k_triplet_residual: m.largestTopKTripletResidual), forKey: .svd)
    try c.encode(
      neuralCollapse.map { nc in
        NCJSON(
          samples: nc.samples, precision: neuralCollapsePrecision.rawValue,
          peak_resident_bytes: neuralCollapsePeakResidentBytes,
          train_accuracy: nc.accuracy,
          classifier: NCLayerJSON(nc.last),
          layers: nc.layers.map(NCLayerJSON.init))
      }, forKey: .nc)
  }
}

extension MeasureReport.StageSeconds: Encodable {
  enum CodingKeys: String, CodingKey {
    case load, figures
    case residualAlignment = "residual_alignment"
    case neuralCollapse = "neural_collapse"
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(load, forKey: .load)
    try c.encode(residualAlignment, forKey: .residualAlignment)
    try c.encode(neuralCollapse, forKey: .neuralCollapse)  // null when skipped
    try c.encode(figures, forKey: .figures)
  }
}

// The report's nested objects, with the JSON's own (snake_case) names.
private struct BlockJSON: Encodable {
  var index: Int
  var top_singular_values: [Double]
  var sigma1_per_input: [Double]
  var dead: Bool
}

private struct RA1JSON: Encodable {
  var pc1_variance_fraction, step_cv, step_cos: Spread
}

private struct RA2JSON: Encodable {
  var rank: Int
  var diag_fraction, transposed_diag_fraction, random_baseline: Spread
  var left_subspace_cosine, right_subspace_cosine: Spread
}

private struct RA3JSON: Encodable {
  var classes: Int
  var threshold: Double
  var gap, numerical_rank: Spread
  var gap_per_block, numerical_rank_per_block: [Spread]
}

private struct FitJSON: Encodable {
  var slope, intercept, r2: Double
  var first_block, last_block: Int

  init(_ f: InverseDepthScaling.Fit) {
    slope = f.slope
    intercept = f.intercept
    r2 = f.r2
    first_block = f.firstBlock
    last_block = f.lastBlock
  }
}

/// RA4: the fit's fields at the top level (null when fewer than 2 blocks are live), then the rest.
private struct RA4JSON: Encodable {
  var fit: FitJSON?
  var ci95: [Double]?
  var ci95_note: String?
  var onset: Int?
  var bootstrap_resamples: Int
  var live_blocks, dead_blocks: [Int]
  var dead_threshold, dead_relative_threshold: Double
  var dead_jacobians: Int
  /// Blocks with a rectangular Jacobian (Type 3's block 9), left out of RA2 and RA4.
  var excluded_blocks: [Int]
  var from_onset: FitJSON?

  enum CodingKeys: String, CodingKey {
    case slope, intercept, r2, first_block, last_block, ci95, ci95_note, onset
    case bootstrap_resamples, live_blocks, dead_blocks, dead_threshold, dead_relative_threshold
    case dead_jacobians, excluded_blocks, from_onset
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(fit?.slope, forKey: .slope)
    try c.encode(fit?.intercept, forKey: .intercept)
    try c.encode(fit?.r2, forKey: .r2)
    try c.encode(fit?.first_block, forKey: .first_block)
    try c.encode(fit?.last_block, forKey: .last_block)
    try c.encode(ci95, forKey: .ci95)
    try c.encode(ci95_note, forKey: .ci95_note)
    try c.encode(onset, forKey: .onset)
    try c.encode(bootstrap_resamples, forKey: .bootstrap_resamples)
    try c.encode(live_blocks, forKey: .live_blocks)
    try c.encode(dead_blocks, forKey: .dead_blocks)
    try c.encode(dead_threshold, forKey: .dead_threshold)
    try c.encode(dead_relative_threshold, forKey: .dead_relative_threshold)
    try c.encode(dead_jacobians, forKey: .dead_jacobians)
    try c.encode(excluded_blocks, forKey: .excluded_blocks)
    try c.encode(from_onset, forKey: .from_onset)
  }
}

private struct SVDJSON: Encodable {
  var method: String
  var power_iterations, oversampling, triplets_per_jacobian: Int
  var largest_triplet_residual, largest_top_k_triplet_residual: Double
}

private struct NCJSON: Encodable {
  var samples: Int
  var precision: String
  var peak_resident_bytes: Int?
  var train_accuracy: Double
  var classifier: NCLayerJSON
  var layers: [NCLayerJSON]
}

/// One layer's NC metrics; the classifier's own (NC2 of W, NC3) only where they exist.
private struct NCLayerJSON: Encodable {
  var layer: Int
  var nc1, nc2_means, means_norm_cv, nc4: Double
  var nc2_classifier, classifier_norm_cv, nc3: Double?

  init(_ l: NeuralCollapseMeasurement.Layer) {
    layer = l.layer
    nc1 = l.metrics.nc1
    nc2_means = l.metrics.nc2Means
    means_norm_cv = l.metrics.meansNormCV
    nc4 = l.nc4
    nc2_classifier = l.metrics.nc2Classifier
    classifier_norm_cv = l.metrics.classifierNormCV
    nc3 = l.metrics.nc3
  }
}
