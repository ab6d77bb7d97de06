import Empirical
import Foundation
import LinearAlgebra

/// The human-readable text of `ujm measure`'s report (its JSON is the library's `MeasureReport`).
extension MeasureReport {
  static func s(_ x: Double) -> String {
    if x.isNaN { return "n/a" }
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
