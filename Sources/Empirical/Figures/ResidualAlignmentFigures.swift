// Goals, in order of priority: the paper's figures 1, 2, 4 and 7 redrawn from measured numbers,
// so that a reader sees what the report's numbers summarise; deterministic (seeded projections).

import Foundation
import LinearAlgebra

/// SVG figures of a `ResidualAlignmentMeasurement` and a `NeuralCollapseMeasurement`.
public enum ResidualAlignmentFigures {
  /// Figure 1: each input's trajectory h₁…h_{L+1} projected onto two random directions (left)
  /// and onto the top two principal components of all points (right), coloured by label, with a
  /// ring where each starts (h₁) and a legend naming every label's colour (`classNames[label]`
  /// when given, else "class label").
  public static func trajectories<G: RandomNumberGenerator>(
    _ trajectories: [[[Double]]], labels: [Int], classNames: [String]? = nil,
    using generator: inout G
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
    let colors = SVGPlot.colors(count: (labels.max() ?? 0) + 1)
    // The first input of each label carries the label's legend entry, in label order.
    let firstOfLabel = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: min)
    func name(_ label: Int) -> String {
      classNames.flatMap { label < $0.count ? $0[label] : nil } ?? "class \(label)"
    }
    func panel(_ basis: Matrix<Double>, _ title: String, _ axes: (String, String)) -> SVGPlot {
      let series = trajectories.indices.sorted { (labels[$0], $0) < (labels[$1], $1) }.map { n in
        SVGPlot.Series(
          points: trajectories[n].map { p in
            let c = basis.multiplied(by: p, transposed: true)
            return (c[0], c.count > 1 ? c[1] : 0)
          }, color: colors[labels[n]], markers: true,
          label: firstOfLabel[labels[n]] == n ? name(labels[n]) : nil, ringsStart: true)
      }
      return SVGPlot(
        title: title, xLabel: axes.0, yLabel: axes.1, series: series, legend: .below,
        notes: ["one line per input: h₁ (ringed), h₂, …, h_{L+1}"], ringLabel: "h₁")
    }
    return SVGPlot.document(
      [
        panel(directions, "Figure 1a: trajectories, random projection", ("r₁ᵀh", "r₂ᵀh")),
        panel(pcs, "Figure 1b: trajectories, top 2 principal components", ("PC1", "PC2")),
      ], columns: 2, panelWidth: 460, panelHeight: 460)
  }

  /// Figure 2: the grid of |U_jᵀ·J_i·V_j| (row i, column j) at one input (`input` says which),
  /// each panel scaled to its largest entry, with the grey scale and how to read it.
  public static func alignmentGrid(
    _ matrices: [[Matrix<Double>]], pairFractions: Matrix<Double>,
    input: String = "the first input measured"
  ) -> String {
    let l = matrices.count
    let k = matrices.first?.first?.rows ?? 0
    let cell = 56.0
    let margin = 40.0
    let title = "Figure 2: |U_jᵀ J_i V_j|, top \(k) singular vectors; \(input)"
    let notes = [
      "row i: Jacobian J_i of block i; column j: U_j, V_j, the singular vectors of J_j.",
      "Each panel is scaled to its largest |entry|; a dark diagonal off the main one = aligned.",
    ]
    // Wide enough for the grid, the title (font size 13) and the notes (11).
    let size = max(
      margin + Double(l) * cell + 10, Double(title.count) * 7.8 + 20,
      margin + Double(notes.map(\.count).max()!) * SVGPlot.characterWidth + 10
    ).rounded(.up)
    let scaleTop = 24 + margin + Double(l) * cell + 14
    var s = svgHeader(width: size, height: scaleTop + 78)
    s +=
      "<text x=\"\(num(size / 2))\" y=\"16\" text-anchor=\"middle\" "
      + "font-family=\"sans-serif\" font-size=\"13\">\(svgEscaped(title))</text>\n"
    s +=
      "<text x=\"\(num(margin - 6))\" y=\"\(num(24 + margin - 6))\" text-anchor=\"end\" "
      + "font-family=\"sans-serif\" font-size=\"10\" fill=\"#555\">i \\ j</text>\n"
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
    s += greyScale(x: margin, y: scaleTop, width: 240)
    for (r, note) in notes.enumerated() {
      s +=
        "<text x=\"\(num(margin))\" y=\"\(num(scaleTop + 46 + Double(r) * 14))\" "
        + "font-family=\"sans-serif\" font-size=\"11\" fill=\"#555\">\(svgEscaped(note))</text>\n"
    }
    return s + "</svg>\n"
  }

  /// The colour scale of Figure 2: its 16 grey levels from 0 (white) to 1 (black), labelled.
  static func greyScale(x: Double, y: Double, width: Double) -> String {
    let step = width / 16
    var s = "<g font-family=\"sans-serif\" font-size=\"10\">"
    for level in 0...15 {
      let grey = 255 - level * 17
      s +=
        "<rect x=\"\(num(x + Double(level) * step))\" y=\"\(num(y))\" width=\"\(num(step))\" "
        + "height=\"10\" fill=\"rgb(\(grey),\(grey),\(grey))\"/>"
    }
    s +=
      "<rect x=\"\(num(x))\" y=\"\(num(y))\" width=\"\(num(width))\" height=\"10\" "
      + "fill=\"none\" stroke=\"#999\"/>"
    for (value, text) in [(0.0, "0"), (0.5, "0.5"), (1.0, "1")] {
      s +=
        "<text x=\"\(num(x + value * width))\" y=\"\(num(y + 22))\" text-anchor=\"middle\">"
        + "\(text)</text>"
    }
    s +=
      "<text x=\"\(num(x + width + 10))\" y=\"\(num(y + 9))\">|entry| / largest |entry| "
      + "of its panel</text>"
    return s + "</g>\n"
  }

  /// Figure 4: (a) the top 20 singular values of every block (mean over inputs), (b) 1/σ₁
  /// against the block index with the least-squares line of RA4 (`InverseDepthScaling`).
  ///
  /// Paper: Figure 4. Panel (b) draws the live blocks only: a dead block (σ₁ ≈ 0, see
  /// `InverseDepthScaling.deadRelativeThreshold`) is a shaded column with a note, since its
  /// 1/σ₁ is astronomically large. Legends sit under the plot areas, clear of every point.
  public static func singularValues(_ m: ResidualAlignmentMeasurement) -> String {
    let l = m.blocks.count
    let colors = SVGPlot.colors(count: l)
    // As in RA4: values at or below the dead threshold (a fraction of the largest block median
    // σ₁) are rounding level; panel (a) leaves them out, with the dead blocks, and says so.
    let threshold = m.ra4.deadThreshold
    var dropped = 0
    let spectra = m.blocks.filter { !$0.dead }.map { block in
      let kept = block.topSingularValues.enumerated().filter { $0.element > threshold }
      dropped += block.topSingularValues.count - kept.count
      return SVGPlot.Series(
        points: kept.map { (Double($0.offset + 1), $0.element) },
        color: colors[block.index - 1], markers: kept.count < 2, label: "block \(block.index)")
    }
    var spectrumNotes = [String]()
    if !m.ra4.deadBlocks.isEmpty {
      spectrumNotes.append(
        "dead blocks \(InverseDepthScaling.runs(of: m.ra4.deadBlocks)) not drawn (σ₁ at "
          + "rounding level)")
    }
    if dropped > 0 {
      spectrumNotes.append(
        "\(dropped) values ≤ \(String(format: "%.2e", threshold)) (rounding level) not drawn")
    }
    let live = m.blocks.filter { !$0.dead }
    // As in RA4's fit: an input at which a live block's σ₁ is at or below the dead threshold
    // is left out of that block's points and mean.
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
          title: "Figure 4a: top 20 singular values per block", xLabel: "k",
          yLabel: "σ_k (mean over inputs)", logY: true, series: spectra, legend: .below,
          notes: spectrumNotes),
        SVGPlot(
          title: "Figure 4b: 1/σ₁ against depth", xLabel: "block i", yLabel: "1/σ₁(J_i)",
          series: inverse, legend: .below, notes: notes, shadedX: dead.map(Double.init),
          shadedLabel: "dead block (omitted)", xDomain: 1...Double(max(l, 2))),
      ], columns: 2, panelWidth: 460, panelHeight: 460)
  }

  /// Figure 7 (layer-wise): NC1, NC2 (class means), NC4 and the equinorm CV of the class means
  /// per layer; the classifier's NC2 and NC3 in a note.
  ///
  /// With C = 2 classes the two centred class means are always antipodal (n₁(μ₁ − μ_G) =
  /// −n₂(μ₂ − μ_G)), so their NC2 and equinorm CV depend on the class sizes only (0, up to
  /// rounding, for balanced classes): those panels say so instead of plotting rounding noise.
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
    let layerNote = "layers 1…L+1: h₁…h_{L+1}; layer L+2: the classifier's input"
    let classifierNote =
      "classifier (layer L+2): NC2(W) \(String(format: "%.3g", last.nc2Classifier ?? .nan)), "
      + "NC3 \(String(format: "%.3g", last.nc3 ?? .nan))"
    let twoClasses =
      "not plotted: with C = 2 the two centred class means are antipodal, so this depends on "
      + "the class sizes only (a simplex ETF for C = 2 is any antipodal pair)"
    let trivial = nc.classes == 2
    return SVGPlot.document(
      [
        SVGPlot(
          title: "Figure 7a: NC1 = tr(Σ_W Σ_B⁺)/C", xLabel: "layer", yLabel: "NC1", logY: true,
          series: series { $0.metrics.nc1 }, legend: .below, notes: [layerNote]),
        SVGPlot(
          title: "Figure 7b: NC2, class means vs simplex ETF", xLabel: "layer",
          yLabel: "distance", series: trivial ? [] : series { $0.metrics.nc2Means },
          legend: .below, notes: [classifierNote], xDomain: 1...Double(max(layers.count, 2)),
          message: trivial ? twoClasses : nil),
        SVGPlot(
          title: "Figure 7c: NC4, nearest class centre ≠ prediction", xLabel: "layer",
          yLabel: "fraction of samples", series: series { $0.nc4 }, legend: .below,
          notes: ["\(nc.samples) samples, \(nc.classes) classes"]),
        SVGPlot(
          title: "Figure 7d: equinorm, CV of class-mean norms", xLabel: "layer",
          yLabel: "std/mean of ‖μ_c − μ_G‖",
          series: trivial ? [] : series { $0.metrics.meansNormCV }, legend: .below,
          notes: ["0 when the centred class means have equal norms"],
          xDomain: 1...Double(max(layers.count, 2)), message: trivial ? twoClasses : nil),
      ], columns: 2, panelWidth: 440, panelHeight: 340)
  }
}

/// A coordinate with two decimals (short name for the long SVG strings of this file).
private func num(_ x: Double) -> String { svgNumber(x) }
