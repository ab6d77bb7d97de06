// Goals, in order of priority: the paper's figures 1, 2, 4 and 7 redrawn from measured numbers,
// so that a reader sees what the report's numbers summarise; deterministic (seeded projections).

import Foundation
import LinearAlgebra

/// SVG figures of a `ResidualAlignmentMeasurement` and a `NeuralCollapseMeasurement`.
public enum ResidualAlignmentFigures {
  /// Figure 1: each input's trajectory h₁…h_{L+1} projected onto two random directions (left)
  /// and onto the top two principal components of all points (right), coloured by label.
  public static func trajectories<G: RandomNumberGenerator>(
    _ trajectories: [[[Double]]], labels: [Int], using generator: inout G
  ) throws(LAPACKError) -> String {
    let d = trajectories.first?.first?.count ?? 0
    let random: Matrix<Double> = Gaussian.matrix(rows: d, columns: 2, using: &generator)
    let directions = try random.orthonormalized()
    // Principal components of all points, centred.
    let all = trajectories.flatMap { $0 }
    var mean = [Double](repeating: 0, count: d)
    for p in all { mean.add(p, scaledBy: 1 / Double(all.count)) }
    var centred = Matrix<Double>(rows: d, columns: all.count)
    for (j, p) in all.enumerated() {
      var c = p
      c.add(mean, scaledBy: -1)
      centred.setColumn(j, to: c)
    }
    let pcs = try centred.singularValueDecomposition().u.leadingColumns(min(2, d))
    func panel(_ basis: Matrix<Double>, _ title: String, _ axes: (String, String)) -> SVGPlot {
      let series = trajectories.enumerated().map { n, t in
        SVGPlot.Series(
          points: t.map { p in
            let c = basis.multiplied(by: p, transposed: true)
            return (c[0], c.count > 1 ? c[1] : 0)
          }, color: SVGPlot.palette[labels[n] % SVGPlot.palette.count], markers: true)
      }
      return SVGPlot(title: title, xLabel: axes.0, yLabel: axes.1, series: series)
    }
    return SVGPlot.document(
      [
        panel(directions, "Figure 1: trajectories, random projection", ("r₁ᵀh", "r₂ᵀh")),
        panel(pcs, "trajectories on the top 2 principal components", ("PC1", "PC2")),
      ], columns: 2, panelWidth: 460, panelHeight: 420)
  }

  /// Figure 2: the grid of |U_jᵀ·J_i·V_j| (row i, column j), each scaled to its largest entry.
  public static func alignmentGrid(_ matrices: [[Matrix<Double>]], pairFractions: Matrix<Double>)
    -> String
  {
    let l = matrices.count
    let cell = 56.0
    let margin = 40.0
    let size = margin + Double(l) * cell + 10
    var s = svgHeader(width: size, height: size + 24)
    s +=
      "<text x=\"\(num(size / 2))\" y=\"16\" text-anchor=\"middle\" "
      + "font-family=\"sans-serif\" font-size=\"13\">Figure 2: |U_jᵀ J_i V_j| (row i, column j); "
      + "first input</text>\n"
    for i in 0..<l {
      s +=
        "<text x=\"\(num(margin - 6))\" y=\"\(num(24 + margin + (Double(i) + 0.5) * cell))\" "
        + "text-anchor=\"end\" font-family=\"sans-serif\" font-size=\"10\">\(i + 1)</text>\n"
      s +=
        "<text x=\"\(num(margin + (Double(i) + 0.5) * cell))\" y=\"\(num(24 + margin - 6))\" "
        + "text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"10\">\(i + 1)</text>\n"
      for j in 0..<l {
        let m = matrices[i][j]
        let k = m.rows
        let scale = m.storage.map(abs).max() ?? 0
        let px = cell * 0.9 / Double(max(k, 1))
        let x0 = margin + Double(j) * cell
        let y0 = 24 + margin + Double(i) * cell
        s +=
          "<g><title>i=\(i + 1) j=\(j + 1) diagonal fraction "
          + "\(String(format: "%.3f", pairFractions[i, j]))</title>"
        // One path per grey level (16 levels; white cells are not drawn) keeps the file small.
        var cells = [Int: String]()
        for a in 0..<k {
          for b in 0..<m.columns {
            let v = scale > 0 ? abs(m[a, b]) / scale : 0
            let level = Int((v * 15).rounded())
            if level == 0 { continue }
            cells[level, default: ""] +=
              "M\(num(x0 + Double(b) * px)) \(num(y0 + Double(a) * px))h\(num(px))v\(num(px))"
              + "h-\(num(px))z"
          }
        }
        s +=
          "<rect x=\"\(num(x0))\" y=\"\(num(y0))\" width=\"\(num(px * Double(m.columns)))\" "
          + "height=\"\(num(px * Double(k)))\" fill=\"none\" stroke=\"#ccc\"/>"
        for (level, path) in cells.sorted(by: { $0.key < $1.key }) {
          let grey = 255 - level * 17
          s += "<path d=\"\(path)\" fill=\"rgb(\(grey),\(grey),\(grey))\"/>"
        }
        s += "</g>\n"
      }
    }
    return s + "</svg>\n"
  }

  /// Figure 4: (a) the top 20 singular values of every block (mean over inputs), (b) 1/σ₁
  /// against the block index with the least-squares line of RA4 (`InverseDepthScaling`).
  ///
  /// Paper: Figure 4. Panel (b) draws the live blocks only: a dead block (σ₁ ≈ 0, see
  /// `InverseDepthScaling.deadRelativeThreshold`) is a shaded column with a note, since its
  /// 1/σ₁ is astronomically large. Legends sit under the plot areas, clear of every point.
  public static func singularValues(_ m: ResidualAlignmentMeasurement) -> String {
    let l = m.blocks.count
    let spectra = m.blocks.map { block in
      SVGPlot.Series(
        points: block.topSingularValues.enumerated().map { (Double($0 + 1), $1) },
        color: SVGPlot.palette[(block.index - 1) % SVGPlot.palette.count],
        label: block.index <= 3 || block.index == l ? "block \(block.index)" : nil)
    }
    let live = m.blocks.filter { !$0.dead }
    // As in RA4's fit: an input at which a live block's σ₁ is at or below the dead threshold
    // is left out of that block's points and mean.
    let threshold = m.ra4.deadThreshold
    var inverse = [SVGPlot.Series]()
    for n in 0..<(m.blocks.first?.sigma1PerInput.count ?? 0) {
      inverse.append(
        SVGPlot.Series(
          points: live.filter { $0.sigma1PerInput[n] > threshold }.map {
            (Double($0.index), 1 / $0.sigma1PerInput[n])
          },
          color: "#bbbbbb", lines: true, markers: live.count < 2,
          label: n == 0 ? "each input" : nil))
    }
    inverse.append(
      SVGPlot.Series(
        points: live.compactMap { b in
          let kept = b.sigma1PerInput.filter { $0 > threshold }
          return kept.isEmpty
            ? nil : (Double(b.index), kept.map { 1 / $0 }.reduce(0, +) / Double(kept.count))
        }, color: "#1f77b4", lines: false, markers: true, label: "mean over inputs"))
    var notes = [String]()
    if let fit = m.ra4.all {
      inverse.append(
        SVGPlot.Series(
          points: [Double(fit.firstBlock), Double(fit.lastBlock)].map {
            ($0, fit.slope * $0 + fit.intercept)
          }, color: "#d62728",
          label:
            "fit: slope \(String(format: "%.3g", fit.slope)), R² \(String(format: "%.3f", fit.r2))"
        ))
    } else {
      notes.append(
        "no fit: "
          + (m.ra4.liveBlocks.isEmpty
            ? "no block is live" : "only block \(m.ra4.liveBlocks[0]) is live")
          + "; a line needs 2 live blocks")
    }
    let dead = m.ra4.deadBlocks
    if m.ra4.deadJacobians > 0 {
      notes.append(
        "\(m.ra4.deadJacobians) Jacobians of live blocks with σ₁ at or below the dead "
          + "threshold omitted")
    }
    if !dead.isEmpty {
      notes.append(
        "dead blocks \(InverseDepthScaling.runs(of: dead)) omitted: median σ₁ ≤ "
          + "\(String(format: "%.0e", InverseDepthScaling.deadRelativeThreshold)) × the largest "
          + "block median σ₁ (\(String(format: "%.2e", m.ra4.deadThreshold)))")
    }
    return SVGPlot.document(
      [
        SVGPlot(
          title: "Figure 4a: top 20 singular values per block", xLabel: "k", yLabel: "σ_k",
          logY: true, series: spectra, legend: .below),
        SVGPlot(
          title: "Figure 4b: 1/σ₁ against depth", xLabel: "block i", yLabel: "1/σ₁(J_i)",
          series: inverse, legend: .below, notes: notes, shadedX: dead.map(Double.init),
          shadedLabel: "dead block (omitted)", xDomain: 1...Double(max(l, 2))),
      ], columns: 2, panelWidth: 460, panelHeight: 420)
  }

  /// Figure 7 (layer-wise): NC1, NC2 (class means), NC4 per layer, and the classifier's values.
  public static func neuralCollapse(_ nc: NeuralCollapseMeasurement) -> String {
    let layers = nc.layers
    func series(_ value: (NeuralCollapseMeasurement.Layer) -> Double) -> [SVGPlot.Series] {
      [
        SVGPlot.Series(
          points: layers.map { (Double($0.layer), value($0)) }, color: "#1f77b4",
          markers: true)
      ]
    }
    let last = nc.last.metrics
    let caption =
      "layer L+2 = classifier input; NC2(W) \(String(format: "%.3g", last.nc2Classifier ?? .nan)), "
      + "NC3 \(String(format: "%.3g", last.nc3 ?? .nan))"
    return SVGPlot.document(
      [
        SVGPlot(
          title: "NC1 = tr(Σ_W Σ_B⁺)/C", xLabel: "layer", yLabel: "NC1", logY: true,
          series: series { $0.metrics.nc1 }),
        SVGPlot(
          title: "NC2: class means vs simplex ETF", xLabel: "layer", yLabel: "distance",
          series: series { $0.metrics.nc2Means }),
        SVGPlot(
          title: "NC4: nearest class centre ≠ prediction", xLabel: "layer",
          yLabel: "fraction", series: series { $0.nc4 }),
        SVGPlot(
          title: caption, xLabel: "layer", yLabel: "equinorm CV of class means",
          series: series { $0.metrics.meansNormCV }),
      ], columns: 2, panelWidth: 440, panelHeight: 320)
  }
}

/// A coordinate with two decimals (short name for the long SVG strings of this file).
private func num(_ x: Double) -> String { svgNumber(x) }
