import Empirical
import Foundation

/// The numbers of one run read back from its directory: the final epoch's metrics and the
/// measurements' headline values.
public struct RunResults: Sendable, Equatable {
  /// `test_accuracy`, `test_loss`, `train_accuracy`, `train_loss`, `epochs`, `steps`.
  public var metrics: [String: Double] = [:]
  /// RA1–RA4 and NC headline values of `measure.json` (see `measurementKeys`).
  public var measurements: [String: Double] = [:]
  /// The same measurements per snapshot epoch.
  public var snapshots: [Int: [String: Double]] = [:]

  public init() {}

  /// The measurements taken from `ujm measure --json`, as (name, path in the JSON).
  public static let measurementKeys: [(name: String, path: [String])] = [
    ("ra1_pc1_variance_fraction", ["ra1", "pc1_variance_fraction", "median"]),
    ("ra1_step_cos", ["ra1", "step_cos", "median"]),
    ("ra2_diag_fraction", ["ra2", "diag_fraction", "median"]),
    ("ra2_transposed_diag_fraction", ["ra2", "transposed_diag_fraction", "median"]),
    ("ra2_random_baseline", ["ra2", "random_baseline", "median"]),
    ("ra3_gap", ["ra3", "gap", "median"]),
    ("ra3_numerical_rank", ["ra3", "numerical_rank", "median"]),
    ("ra4_slope", ["ra4", "slope"]),
    ("ra4_r2", ["ra4", "r2"]),
    ("ra4_dead_blocks", ["ra4", "dead_blocks"]),
    ("nc_train_accuracy", ["nc", "train_accuracy"]),
    ("nc1", ["nc", "classifier", "nc1"]),
    ("nc2_means", ["nc", "classifier", "nc2_means"]),
    ("nc2_classifier", ["nc", "classifier", "nc2_classifier"]),
    ("nc3", ["nc", "classifier", "nc3"]),
    ("nc4", ["nc", "classifier", "nc4"]),
  ]

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
    } else if let object = Self.object(at: dir.trainSummary) {
      for (name, key) in [
        ("test_accuracy", "test_accuracy"), ("test_loss", "test_loss"),
        ("epochs", "epochs"), ("steps", "steps"),
      ] {
        if let x = Self.number(object, [key]) { metrics[name] = x }
      }
    }
    if let object = Self.object(at: dir.measurement) {
      measurements = Self.measurements(object)
    }
    for epoch in epochs {
      if let object = Self.object(at: dir.measurement(epoch: epoch)) {
        snapshots[epoch] = Self.measurements(object)
      }
    }
  }

  static func measurements(_ object: [String: Any]) -> [String: Double] {
    var out = [String: Double]()
    for (name, path) in measurementKeys {
      if let x = number(object, path) { out[name] = x }
    }
    return out
  }

  static func object(at path: String) -> [String: Any]? {
    guard let data = SweepRunDirectory.contents(of: path) else { return nil }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
  }

  static func number(_ object: [String: Any], _ path: [String]) -> Double? {
    var node: Any = object
    for key in path {
      guard let next = (node as? [String: Any])?[key] else { return nil }
      node = next
    }
    if let list = node as? [Any] { return Double(list.count) }  // e.g. ra4.dead_blocks
    return (node as? NSNumber)?.doubleValue
  }
}
