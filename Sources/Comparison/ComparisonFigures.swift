// Goals, in order of priority: the three pictures a reader needs to judge the comparison (σ₁ by
// depth on the boundary against at the inputs; the trajectory around x_mid; the prediction table
// against the theory), as plain SVG from `SVGPlot`.

import Empirical
import Foundation
import LinearAlgebra

/// The SVG figures of `ujm compare --figures DIR`, as (file name, SVG text).
public enum ComparisonFigures {
  public static func all(_ comparison: TheoryComparison) throws(LAPACKError)
    -> [(name: String, svg: String)]
  {
    [
      ("sigma1-by-depth.svg", sigma1ByDepth(comparison)),
      ("trajectory-around-boundary.svg", try trajectory(comparison)),
      ("predictions.svg", predictions(comparison)),
    ]
  }

  /// σ₁(J_i) against i at x_mid and at the inputs, on a log scale and as 1/σ₁ (RA4's scale),
  /// one line per pair (boundary) or per input; dead and size-changing blocks shaded.
  public static func sigma1ByDepth(_ c: TheoryComparison) -> String {
    let measured = c.pairs.filter { $0.boundary != nil }
    let depth = measured.first?.boundary?.sigma1.count ?? 0
    let dead = (1...max(1, depth)).filter { !c.liveBlocks.contains($0) }.map(Double.init)
    func series(_ curves: [[Double]], inverse: Bool) -> [SVGPlot.Series] {
      curves.enumerated().map { k, s in
        SVGPlot.Series(
          points: c.liveBlocks.compactMap { i in
            let v = inverse ? 1 / s[i - 1] : s[i - 1]
            return v.isFinite && v > 0 ? (Double(i), v) : nil
          },
          color: SVGPlot.palette[k % SVGPlot.palette.count], markers: true)
      }
    }
    let boundary = measured.map { $0.boundary!.sigma1 }
    let inputs = measured.flatMap { $0.endpoints.map(\.sigma1) }
    let domain = 0.5...(Double(max(1, depth)) + 0.5)
    func panel(_ title: String, _ curves: [[Double]], inverse: Bool) -> SVGPlot {
      SVGPlot(
        title: title, xLabel: "block i", yLabel: inverse ? "1/σ₁" : "σ₁", logY: !inverse,
        series: series(curves, inverse: inverse), legend: .below,
        notes: ["one line per " + (curves.count == boundary.count ? "pair" : "input")],
        shadedX: dead,
        shadedLabel: dead.isEmpty
          ? nil : c.shapeChangingBlocks.isEmpty ? "dead blocks" : "dead or size-changing blocks",
        xDomain: domain)
    }
    return SVGPlot.document(
      [
        panel("σ₁(J_i) at x_mid (boundary)", boundary, inverse: false),
        panel("σ₁(J_i) at the training inputs", inputs, inverse: false),
        panel("1/σ₁ at x_mid", boundary, inverse: true),
        panel("1/σ₁ at the training inputs (RA4)", inputs, inverse: true),
      ], columns: 2)
  }

  /// h_i(x) − h_i(x_mid), i = 1…L+1, for every input, projected on the top two principal
  /// components of all these differences (centred): a line through the origin per input when
  /// the expansion is one-dimensional (Theorem 3.3: every δ_i ∝ u).
  public static func trajectory(_ c: TheoryComparison) throws(LAPACKError) -> String {
    let endpoints = c.pairs.flatMap(\.endpoints)
    let points = endpoints.flatMap(\.trajectoryDifferences)
    guard let d = points.first?.count, points.count >= 2 else {
      return SVGPlot.document(
        [SVGPlot(title: "no boundary point", xLabel: "PC1", yLabel: "PC2", series: [])],
        columns: 1)
    }
    var mean = [Double](repeating: 0, count: d)
    for p in points { mean.add(p, scaledBy: 1 / Double(points.count)) }
    var m = Matrix<Double>(rows: d, columns: points.count)
    for (j, p) in points.enumerated() {
      var q = p
      q.add(mean, scaledBy: -1)
      m.setColumn(j, to: q)
    }
    let svd = try m.singularValueDecomposition()
    let pcs = (0..<min(2, svd.u.columns)).map { svd.u.column($0) }
    let total = svd.singularValues.reduce(0) { $0 + $1 * $1 }
    let share = pcs.indices.map { svd.singularValues[$0] * svd.singularValues[$0] / total }
    let series = endpoints.enumerated().map { k, e in
      SVGPlot.Series(
        points: e.trajectoryDifferences.map { p in
          (pcs[0].dot(p), pcs.count > 1 ? pcs[1].dot(p) : 0)
        },
        color: e.label > 0 ? "#d62728" : "#1f77b4", markers: true,
        label: k < 2 ? (e.label > 0 ? "x_b (y = +1)" : "x_a (y = −1)") : nil)
    }
    return SVGPlot.document(
      [
        SVGPlot(
          title: "h_i(x) − h_i(x_mid), i = 1…L+1, on the top two PCs",
          xLabel: "PC1 (\(String(format: "%.1f", 100 * share[0]))% of the variance)",
          yLabel: "PC2" + (share.count > 1 ? " (\(String(format: "%.1f", 100 * share[1]))%)" : ""),
          series: series, legend: .below,
          notes: ["one line per training input, from h₁ to h_{L+1}"])
      ], columns: 1, panelWidth: 520, panelHeight: 420)
  }

  /// The prediction table as a dot plot: per row, the theory's value, the measured median, its
  /// 95% interval and the null's median.
  public static func predictions(_ c: TheoryComparison) -> String {
    var series = [SVGPlot.Series]()
    let rows = c.predictions
    series.append(
      SVGPlot.Series(
        points: rows.indices.map { (Double($0 + 1), rows[$0].theory) }, color: "#2ca02c",
        lines: false, markers: true, label: "theory"))
    series.append(
      SVGPlot.Series(
        points: rows.indices.compactMap { k in
          rows[k].measured.median.isFinite ? (Double(k + 1), rows[k].measured.median) : nil
        }, color: "#d62728", lines: false, markers: true, label: "measured median"))
    series.append(
      SVGPlot.Series(
        points: rows.indices.compactMap { k in
          guard let m = rows[k].null?.median, m.isFinite else { return nil }
          return (Double(k + 1), m)
        }, color: "#7f7f7f", lines: false, markers: true, label: "null median"))
    for (k, row) in rows.enumerated() where row.ci[0].isFinite {
      series.append(
        SVGPlot.Series(
          points: [(Double(k + 1), row.ci[0]), (Double(k + 1), row.ci[1])], color: "#d62728"))
    }
    let notes = rows.enumerated().map { k, r in "\(k + 1) \(r.name): \(r.verdictWord)" }
    return SVGPlot.document(
      [
        SVGPlot(
          title: "Predictions: theory against measured (median, 95% interval) and null",
          xLabel: "row",
          yLabel: "value", series: series, legend: .below, notes: notes,
          xDomain: 0.5...(Double(rows.count) + 0.5))
      ], columns: 1, panelWidth: 620, panelHeight: 560)
  }

  /// Each row against the epoch (`ujm compare --snapshots`): its median over pairs with the 95%
  /// interval as a vertical bar, its null's median, and the theory's value, one panel per row.
  public static func overTraining(_ snapshots: [SnapshotRows]) -> String {
    let epochs = snapshots.compactMap(\.epoch)
    guard let names = snapshots.first?.predictions.map(\.name), !epochs.isEmpty else {
      return SVGPlot.document(
        [SVGPlot(title: "no snapshot with an epoch", xLabel: "epoch", yLabel: "", series: [])],
        columns: 1)
    }
    let domain = 0.0...(Double(epochs.max()!) * 1.05 + 1)
    let panels = names.enumerated().map { k, name -> SVGPlot in
      var series = [SVGPlot.Series]()
      let rows = snapshots.compactMap { s in s.epoch.map { (Double($0), s.predictions[k]) } }
      series.append(
        SVGPlot.Series(
          points: rows.compactMap { e, r in
            r.measured.median.isFinite ? (e, r.measured.median) : nil
          },
          color: "#d62728", markers: true, label: "median"))
      series.append(
        SVGPlot.Series(
          points: rows.compactMap { e, r in
            guard let m = r.null?.median, m.isFinite else { return nil }
            return (e, m)
          }, color: "#7f7f7f", markers: true, label: "null median"))
      for (e, r) in rows where r.ci[0].isFinite {
        series.append(SVGPlot.Series(points: [(e, r.ci[0]), (e, r.ci[1])], color: "#d62728"))
      }
      if let theory = rows.first?.1.theory {
        series.append(
          SVGPlot.Series(
            points: [(domain.lowerBound, theory), (domain.upperBound, theory)], color: "#2ca02c",
            label: "theory"))
      }
      return SVGPlot(
        title: name, xLabel: "epoch", yLabel: "value", series: series, legend: .below,
        notes: rows.map { e, r in "epoch \(Int(e)): \(r.verdictWord)" }, xDomain: domain)
    }
    return SVGPlot.document(panels, columns: 3)
  }
}
