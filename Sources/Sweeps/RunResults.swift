import Empirical
import Foundation

/// The numbers of one run read back from its directory: the final epoch's metrics and the
/// measurements' headline values.
public struct RunResults: Sendable, Equatable {
  /// `test_accuracy`, `test_loss`, `train_accuracy`, `train_loss`, `epochs`, `steps`.
  public var metrics: [String: Double] = [:]
  /// RA1–RA4 and NC headline values of `measure.json` (see `MeasurementHeadlines.table`).
  public var measurements: [String: Double] = [:]
  /// The same measurements per snapshot epoch.
  public var snapshots: [Int: [String: Double]] = [:]

  public init() {}

  /// The measurement names, in the order tables show them (`MeasurementHeadlines.table`).
  public static var measurementNames: [String] { MeasurementHeadlines.table.map(\.name) }

  /// The metric names, in the order tables show them.
  public static let metricKeys = [
    "test_accuracy", "test_loss", "train_accuracy", "train_loss", "epochs", "steps",
  ]

  /// Reads `dir`: the last line of `metrics.jsonl` (or `train.json` when no epoch ran), then
  /// `measure.json` and the snapshots' `measure-epoch<E>.json`.
  public init(directory dir: SweepRunDirectory, snapshots epochs: [Int]) {
    if let data = SweepRunDirectory.contents(of: dir.metrics),
      let line = SweepRunDirectory.lastLine(of: String(decoding: data, as: UTF8.self)),
      let m = try? JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8))
    {
      metrics = [
        "test_accuracy": m.testAccuracy, "test_loss": m.testLoss,
        "train_accuracy": m.trainAccuracy, "train_loss": m.trainLoss,
        "epochs": Double(m.epoch), "steps": Double(m.steps),
      ]
    } else if let data = SweepRunDirectory.contents(of: dir.trainSummary),
      let summary = try? JSONDecoder().decode(TrainSummary.self, from: data)
    {
      metrics = [
        "test_accuracy": summary.testAccuracy, "test_loss": summary.testLoss,
        "epochs": Double(summary.epochs), "steps": Double(summary.steps),
      ].filter { $0.value.isFinite }
    }
    if let m = Self.headlines(at: dir.measurement) { measurements = m.values }
    for epoch in epochs {
      if let m = Self.headlines(at: dir.measurement(epoch: epoch)) { snapshots[epoch] = m.values }
    }
  }

  /// A measure report's headlines, or nil when the file is missing or not such a report.
  static func headlines(at path: String) -> MeasurementHeadlines? {
    guard let data = SweepRunDirectory.contents(of: path) else { return nil }
    return try? JSONDecoder().decode(MeasurementHeadlines.self, from: data)
  }
}
