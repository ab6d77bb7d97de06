import Foundation

/// One run of a sweep: its place in the plan, the axes' values it takes, and its directory.
public struct PlannedRun: Sendable, Equatable {
  /// 0-based position in the plan (Slurm's `SLURM_ARRAY_TASK_ID`).
  public var index: Int
  /// The value of each axis, in the spec's axis order.
  public var settings: [Setting]
  /// Every `ujm train` option of the run: the base, then the axes.
  public var train: [Setting]
  /// The first 8 hex digits of the settings' hash (`SweepPlan.hash`).
  public var hash: String
  /// `DIR/runs/<index>-<hash>`.
  public var directory: String

  /// The settings as `key=value`, space-separated.
  public var settingsText: String {
    settings.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
  }

  /// The value of `key` among the run's train options.
  public func value(of key: String) -> String? { train.first { $0.key == key }?.value }

  /// Why this run cannot keep the `snapshots` epochs, or nil: `max_steps` stops training at a
  /// step count, and whether a given epoch's end is reached before it depends on the data's
  /// size, so a snapshot may never be written and its measurement would always fail.
  public func snapshotRefusal(_ snapshots: [Int]) -> String? {
    guard !snapshots.isEmpty, let steps = value(of: "max_steps") else { return nil }
    return "snapshots need every epoch trained, but max_steps: \(steps) may stop training before "
      + "epoch \(snapshots.max()!) ends; drop max_steps or the snapshots"
  }
}

/// The runs of a spec in a fixed order: the Cartesian product of the axes, the first axis varying
/// slowest, the last fastest (as nested loops in the file's order).
public struct SweepPlan: Sendable {
  public var spec: SweepSpec
  /// The sweep's directory (`--dir`).
  public var directory: String
  public var runs: [PlannedRun]

  /// The most runs a sweep may have: 100,000 (the paper's largest sweep has a few hundred).
  /// `SweepSpec.checkRunCount()` refuses more before a plan is built.
  public static let maximumRuns = 100_000

  /// The plan of `spec`, which must have at most `maximumRuns` runs (a spec read from YAML
  /// always has; `checkRunCount()` checks one built in code).
  public init(spec: SweepSpec, directory: String) {
    precondition(
      (spec.runCount ?? .max) <= Self.maximumRuns, "SweepPlan: more than \(Self.maximumRuns) runs")
    self.spec = spec
    self.directory = directory
    var combinations: [[Setting]] = [[]]
    for axis in spec.axes {
      combinations = combinations.flatMap { prefix in
        axis.values.map { prefix + [Setting(axis.key, $0)] }
      }
    }
    runs = combinations.enumerated().map { index, settings in
      let train = spec.base + settings
      let hash = Self.hash(train: train, measure: spec.measure, snapshots: spec.snapshots)
      let dir = (directory as NSString).appendingPathComponent("runs/\(index)-\(hash)")
      return PlannedRun(
        index: index, settings: settings, train: train, hash: hash, directory: dir)
    }
  }

  /// The run at `index`, or nil past the end.
  public func run(at index: Int) -> PlannedRun? {
    runs.indices.contains(index) ? runs[index] : nil
  }

  /// A short, stable hash of everything that determines a run's results: 64-bit FNV-1a of the
  /// train options sorted by key, the measure options and the snapshot epochs, as 8 hex digits.
  ///
  /// Changing any of them gives the run a new directory, so a changed spec never mixes old and
  /// new results; reordering keys in the file does not.
  public static func hash(train: [Setting], measure: [Setting]?, snapshots: [Int]) -> String {
    var text = train.sorted { $0.key < $1.key }.map { "train.\($0.key)=\($0.value)\n" }.joined()
    if let measure {
      text += measure.sorted { $0.key < $1.key }.map { "measure.\($0.key)=\($0.value)\n" }
        .joined()
    }
    if !snapshots.isEmpty {
      text += "snapshots=\(snapshots.map(String.init).joined(separator: ","))"
    }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      h ^= UInt64(byte)
      h = h &* 0x0000_0100_0000_01b3
    }
    let hex = String(h, radix: 16)
    return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(8))
  }
}
