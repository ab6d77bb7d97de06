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
/// a bootstrap. `nc` is null only when skipped (--nc-examples 0).
struct MeasureReport {
  var checkpoint: String
  var seed: Int
  /// The inputs measured, as 0-based positions in the training file.
  var inputs: [Int]
  /// Wall-clock seconds from the start of the command to the report: everything the user waited
  /// for but the printing.
  var seconds: Double
  var stageSeconds: StageSeconds
  var measurement: ResidualAlignmentMeasurement
  var neuralCollapse: NeuralCollapseMeasurement?

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

  /// A JSON number, or null when not finite.
  static func number(_ x: Double) -> Any { x.isFinite ? x : NSNull() }

  static func spread(_ s: Spread) -> [String: Any] {
    ["median": number(s.median), "min": number(s.min), "max": number(s.max)]
  }

  static func fit(_ f: InverseDepthScaling.Fit) -> [String: Any] {
    [
      "slope": number(f.slope), "intercept": number(f.intercept), "r2": number(f.r2),
      "first_block": f.firstBlock, "last_block": f.lastBlock,
    ]
  }

  static func metrics(_ m: NeuralCollapseMetrics, layer: Int, nc4: Double) -> [String: Any] {
    var out: [String: Any] = [
      "layer": layer, "nc1": number(m.nc1), "nc2_means": number(m.nc2Means),
      "means_norm_cv": number(m.meansNormCV), "nc4": number(nc4),
    ]
    if let w = m.nc2Classifier { out["nc2_classifier"] = number(w) }
    if let w = m.classifierNormCV { out["classifier_norm_cv"] = number(w) }
    if let n = m.nc3 { out["nc3"] = number(n) }
    return out
  }

  var object: [String: Any] {
    let m = measurement
    let noFit: [String: Any] = [
      "slope": NSNull(), "intercept": NSNull(), "r2": NSNull(), "first_block": NSNull(),
      "last_block": NSNull(),
    ]
    var ra4: [String: Any] = (m.ra4.all.map(Self.fit) ?? noFit).merging(
      [
        "ci95": ci95.map { $0.map(Self.number) as Any } ?? NSNull(),
        "ci95_note": ci95 == nil && m.ra4.all != nil ? noCIReason as Any : NSNull(),
        "onset": m.ra4.onset.map { $0 as Any } ?? NSNull(),
        "bootstrap_resamples": m.ra4.resamples,
        "live_blocks": m.ra4.liveBlocks, "dead_blocks": m.ra4.deadBlocks,
        "dead_threshold": Self.number(m.ra4.deadThreshold),
        "dead_relative_threshold": InverseDepthScaling.deadRelativeThreshold,
        "dead_jacobians": m.ra4.deadJacobians, "excluded_blocks": m.ra4.excludedBlocks,
      ]) { a, _ in a }
    ra4["from_onset"] = m.ra4.fromOnset.map { Self.fit($0) as Any } ?? NSNull()
    var out: [String: Any] = [
      "checkpoint": checkpoint, "seed": seed, "inputs": inputs, "seconds": seconds,
      "stage_seconds": [
        "load": stageSeconds.load, "residual_alignment": stageSeconds.residualAlignment,
        "neural_collapse": stageSeconds.neuralCollapse.map { $0 as Any } ?? NSNull(),
        "figures": stageSeconds.figures.map { $0 as Any } ?? NSNull(),
      ],
      "blocks": m.blocks.map { b in
        [
          "index": b.index, "top_singular_values": b.topSingularValues.map(Self.number),
          "sigma1_per_input": b.sigma1PerInput.map(Self.number), "dead": b.dead,
        ] as [String: Any]
      },
      "ra1": [
        "pc1_variance_fraction": Self.spread(m.ra1.pc1VarianceFraction),
        "step_cv": Self.spread(m.ra1.stepCV), "step_cos": Self.spread(m.ra1.stepCos),
      ],
      "ra2": [
        "rank": m.ra2.rank, "diag_fraction": Self.spread(m.ra2.diagFraction),
        "transposed_diag_fraction": Self.spread(m.ra2.transposedDiagFraction),
        "random_baseline": Self.spread(m.ra2.randomBaseline),
        "left_subspace_cosine": Self.spread(m.ra2.leftSubspaceCosine),
        "right_subspace_cosine": Self.spread(m.ra2.rightSubspaceCosine),
      ],
      "ra3": [
        "classes": m.ra3.classes, "threshold": m.ra3.threshold,
        "gap": Self.spread(m.ra3.gap), "numerical_rank": Self.spread(m.ra3.numericalRank),
        "gap_per_block": m.blocks.map { Self.spread($0.gap) },
        "numerical_rank_per_block": m.blocks.map { Self.spread($0.numericalRank) },
      ],
      "ra4": ra4,
      "svd": [
        "method": "Algorithm 971", "power_iterations": RandomizedSVD.defaultPowerIterations,
        "oversampling": RandomizedSVD.defaultOversampling,
        "triplets_per_jacobian": m.tripletsPerJacobian,
        "largest_triplet_residual": Self.number(m.largestTripletResidual),
        "largest_top_k_triplet_residual": Self.number(m.largestTopKTripletResidual),
      ],
    ]
    if let nc = neuralCollapse {
      out["nc"] =
        [
          "samples": nc.samples, "train_accuracy": Self.number(nc.accuracy),
          "classifier": Self.metrics(nc.last.metrics, layer: nc.last.layer, nc4: nc.last.nc4),
          "layers": nc.layers.map { Self.metrics($0.metrics, layer: $0.layer, nc4: $0.nc4) },
        ] as [String: Any]
    } else {
      out["nc"] = NSNull()
    }
    return out
  }

  /// The JSON object on one line, keys sorted.
  var json: String {
    let data =
      (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
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
      "  dead blocks (median σ₁ ≤ \(InverseDepthScaling.deadRelativeThreshold) × the largest "
        + "block median σ₁ = \(Self.s(m.ra4.deadThreshold))): "
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
        "Neural Collapse over \(nc.samples) training examples (train accuracy "
          + "\(Self.s(nc.accuracy))):")
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
      "SVD: Algorithm 971, T = \(RandomizedSVD.defaultPowerIterations), oversampling "
        + "\(RandomizedSVD.defaultOversampling); largest triplet residual "
        + "max‖Jv − σu‖/σ₁ = \(Self.s(m.largestTopKTripletResidual)) over the top \(m.ra2.rank), "
        + "\(Self.s(m.largestTripletResidual)) over all \(m.tripletsPerJacobian)")
    let st = stageSeconds
    lines.append(
      "seconds: \(Self.s(seconds)) in all (loading \(Self.s(st.load)), RA "
        + "\(Self.s(st.residualAlignment))"
        + (st.neuralCollapse.map { ", Neural Collapse \(Self.s($0))" } ?? "")
        + (st.figures.map { ", figures \(Self.s($0))" } ?? "")
        + "; BLAS core \(blas.core), \(blas.threads) threads)")
    if let figures { lines.append("figures written to \(figures)") }
    return lines.joined(separator: "\n")
  }
}
