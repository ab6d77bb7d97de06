import Empirical
import Foundation
import LinearAlgebra

/// The counterfactual figures of a sweep: a metric against a swept variable, one line per
/// setting of the other axes, points at the mean over seeds with error bars of ± one standard
/// deviation; and, with snapshots, a metric against the epoch (Figure 7's curves).
public enum SweepFigures {
  /// Where a value of the swept axis goes on the x axis: numbers as they are, `classes` as the
  /// number of classes C, anything else (`4a`, `4b`) at its position 0, 1, … in the spec.
  public static func position(of value: String, axis: String, values: [String]) -> Double {
    if axis == "classes" { return Double(value.split(separator: ",").count) }
    if let x = Double(value) { return x }
    return Double(values.firstIndex(of: value) ?? 0)
  }

  static func isCategorical(_ axis: Axis) -> Bool {
    axis.key != "classes" && axis.values.contains { Double($0) == nil }
  }

  static func xLabel(_ axis: Axis) -> String {
    axis.key == "classes" ? "C (number of classes)" : axis.key
  }

  static func value(_ a: Aggregate, _ metric: String) -> SeedSpread? {
    a.metrics[metric] ?? a.measurements[metric]
  }

  /// `metric` against axis `x`: one panel, an SVG document.
  public static func against(
    _ x: Axis, metric: String, report: SweepReport, spec: SweepSpec
  ) -> String? {
    let others = spec.axes.filter { $0.key != x.key && $0.key != SweepReport.seedAxis }
    var lines = [String: [(Double, SeedSpread)]]()
    var order = [String]()
    for a in report.aggregates {
      guard let s = value(a, metric), let v = a.settings[x.key] else { continue }
      let label = others.map { "\($0.key)=\(a.settings[$0.key] ?? "")" }.joined(separator: " ")
      if lines[label] == nil { order.append(label) }
      lines[label, default: []].append((position(of: v, axis: x.key, values: x.values), s))
    }
    guard !order.isEmpty else { return nil }
    var series = [SVGPlot.Series]()
    for (k, label) in order.enumerated() {
      let color = SVGPlot.palette[k % SVGPlot.palette.count]
      let points = lines[label]!.sorted { $0.0 < $1.0 }
      series.append(
        SVGPlot.Series(
          points: points.map { (x: $0.0, y: $0.1.mean) }, color: color,
          lines: points.count > 1 && !isCategorical(x),
          markers: true, label: label.isEmpty ? "mean over seeds" : label))
      for (px, s) in points where s.n > 1 {
        series.append(
          SVGPlot.Series(
            points: [(x: px, y: s.mean - s.std), (x: px, y: s.mean + s.std)], color: color))
      }
    }
    var notes = ["points: mean over seeds; bars: ± one standard deviation (n ≥ 2)"]
    if isCategorical(x) {
      notes.append(
        "x: "
          + x.values.enumerated().map { "\($0.offset) = \(x.key) \($0.element)" }
          .joined(separator: ", "))
    }
    let xs = series.flatMap { $0.points.map(\.x) }
    let lo = xs.min() ?? 0
    let hi = xs.max() ?? 1
    let pad = hi > lo ? 0.08 * (hi - lo) : 0.5
    let plot = SVGPlot(
      title: "\(spec.name): \(metric) against \(x.key)", xLabel: xLabel(x), yLabel: metric,
      series: series, legend: .below, notes: notes, xDomain: (lo - pad)...(hi + pad))
    return SVGPlot.document([plot], columns: 1, panelWidth: 520, panelHeight: 400)
  }

  /// `metric` against the epoch over the snapshots (and the final checkpoint), one line per
  /// setting of the axes other than `seed`, mean over seeds.
  public static func overTraining(metric: String, report: SweepReport, spec: SweepSpec)
    -> String?
  {
    guard !spec.snapshots.isEmpty else { return nil }
    let keys = spec.axes.map(\.key).filter { $0 != SweepReport.seedAxis }
    var series = [SVGPlot.Series]()
    for (k, a) in report.aggregates.enumerated() {
      let rows = report.runs.filter { a.runs.contains($0.index) }
      var points = [(x: Double, y: Double)]()
      for epoch in spec.snapshots {
        let values = rows.compactMap { r in r.snapshots[String(epoch)]?[metric] }
        if let s = SeedSpread(values) { points.append((Double(epoch), s.mean)) }
      }
      if let final = rows.first?.metrics["epochs"], !spec.snapshots.contains(Int(final)),
        let s = SeedSpread(rows.compactMap { r in r.measurements[metric] })
      {
        points.append((final, s.mean))
      }
      guard !points.isEmpty else { continue }
      let label = keys.map { "\($0)=\(a.settings[$0] ?? "")" }.joined(separator: " ")
      series.append(
        SVGPlot.Series(
          points: points.sorted { $0.x < $1.x }, color: SVGPlot.palette[k % 10], markers: true,
          label: label.isEmpty ? "mean over seeds" : label))
    }
    guard !series.isEmpty else { return nil }
    let plot = SVGPlot(
      title: "\(spec.name): \(metric) over training", xLabel: "epoch", yLabel: metric,
      series: series, legend: .below, notes: ["mean over seeds at each kept epoch"])
    return SVGPlot.document([plot], columns: 1, panelWidth: 520, panelHeight: 400)
  }

  /// The default metrics drawn: accuracy, RA2's alignment and its baseline, RA3's gap and rank,
  /// RA4's R², NC1.
  public static let defaultMetrics = [
    "test_accuracy", "ra2_diag_fraction", "ra3_gap", "ra3_numerical_rank", "ra4_r2", "nc1",
  ]

  /// Writes the figures into `directory`: `<metric>-vs-<axis>.svg` and, with snapshots,
  /// `<metric>-vs-epoch.svg`; returns the paths written.
  public static func write(
    report: SweepReport, spec: SweepSpec, x: Axis, metrics: [String], to directory: String
  ) throws(RunError) -> [String] {
    do {
      try AtomicFile.createDirectory(directory)
    } catch {
      throw .cannotWrite(path: directory, reason: error.description)
    }
    var written = [String]()
    for metric in metrics {
      let figures = [
        ("\(metric)-vs-\(x.key).svg", against(x, metric: metric, report: report, spec: spec)),
        ("\(metric)-vs-epoch.svg", overTraining(metric: metric, report: report, spec: spec)),
      ]
      for case (let name, let svg?) in figures {
        let path = (directory as NSString).appendingPathComponent(name)
        do {
          try OutputFile.write(Array(svg.utf8), to: path, isOurs: OutputFile.isFigure)
        } catch {
          throw .cannotWrite(path: path, reason: reasonText(error))
        }
        written.append(path)
      }
    }
    return written
  }
}
