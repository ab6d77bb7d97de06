import ArgumentParser
import Foundation
import LinearAlgebra
import Sweeps

/// `ujm sweep report`: every run's metrics and measurements, aggregated over seeds, with figures.
struct SweepReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Tabulate a sweep's runs, aggregate over seeds, draw the counterfactual figures.")

  @OptionGroup var sweep: SweepSelection

  @Flag(help: "Print one JSON object.")
  var json = false

  @Option(help: "Also write one CSV row per run to this file.")
  var csv: String?

  @Option(help: "Write SVG figures to this directory.")
  var figures: String?

  @Option(help: "The swept axis on the figures' x axis (default: the first axis but seed).")
  var x: String?

  @Option(help: "Comma-separated metrics to draw (default: accuracy, RA2, RA3, RA4, NC1).")
  var metrics: String?

  func run() throws { try reportingUsageErrors(command: "sweep report") { print(try execute()) } }

  func execute() throws -> String {
    let plan = try sweep.plan(validating: { _ in false })
    let report = SweepReport(plan: plan)
    // --x and --metrics are checked whether or not --figures is given: a typo is never ignored.
    let axes = plan.spec.axes
    if let x {
      guard axes.contains(where: { $0.key == x }) else {
        throw UsageError(
          "--x \(x): not an axis of the sweep (\(axes.map(\.key).joined(separator: ", ")))")
      }
      if x == SweepReport.seedAxis {
        throw UsageError(
          "--x seed: the figures average over seeds, so seed cannot be their x axis; choose "
            + "another axis")
      }
    }
    let names =
      metrics.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
      ?? SweepFigures.defaultMetrics
    let known = RunResults.metricKeys + RunResults.measurementNames
    if let unknown = names.first(where: { !known.contains($0) }) {
      throw UsageError(
        "--metrics \(unknown.isEmpty ? "''" : unknown): not a metric of a run "
          + "(\(known.joined(separator: ", ")))")
    }
    if let csv {
      try writeAtomically(Data(report.csv.utf8), to: csv, option: "--csv") {
        OutputFile.hasHeader($0, prefix: "index,status,", suffix: ",run_dir")
      }
    }
    var written = [String]()
    if let figures {
      guard
        let chosen = x ?? axes.first(where: { $0.key != SweepReport.seedAxis })?.key
          ?? axes.first?.key,
        let axis = axes.first(where: { $0.key == chosen })
      else {
        throw UsageError("--figures \(figures): the sweep has no axis; nothing to draw")
      }
      if chosen == SweepReport.seedAxis {
        throw UsageError(
          "--figures \(figures): the sweep's only axis is seed, which the figures average over; "
            + "nothing to draw")
      }
      do {
        written = try SweepFigures.write(
          report: report, spec: plan.spec, x: axis, metrics: names, to: figures)
      } catch {
        throw UsageError("--figures \(figures): \(error)")
      }
      if written.isEmpty {
        throw UsageError(
          "--figures \(figures): no run has a value of \(names.joined(separator: ", ")) yet; "
            + "nothing to draw")
      }
    }
    if json { return try jsonLine(report) }
    return report.text + (written.isEmpty ? "" : "\nfigures: " + written.joined(separator: ", "))
  }
}
