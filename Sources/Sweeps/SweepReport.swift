import Foundation

/// Mean and spread of one quantity over the runs of a group (the seeds).
///
/// mean = Σxᵢ/n; std = √(Σ(xᵢ − mean)²/(n − 1)) (0 for n = 1); min and max.
public struct SeedSpread: Sendable, Equatable, Encodable {
  public var n: Int
  public var mean: Double
  public var std: Double
  public var min: Double
  public var max: Double

  public init?(_ values: [Double]) {
    let xs = values.filter(\.isFinite)
    guard !xs.isEmpty else { return nil }
    n = xs.count
    mean = xs.reduce(0, +) / Double(n)
    let m = mean
    std = n > 1 ? (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n - 1)).squareRoot() : 0
    min = xs.min()!
    max = xs.max()!
  }
}

/// One row of `ujm sweep report`: a run's settings, status and numbers.
public struct RunRow: Sendable, Encodable {
  public var index: Int
  public var settings: [String: String]
  public var status: RunStatus
  public var runDir: String
  public var metrics: [String: Double]
  public var measurements: [String: Double]
  /// Measurements per snapshot epoch (`{"10": {...}}`); empty without snapshots.
  public var snapshots: [String: [String: Double]]
  /// A sentence naming a file of the run that does not read (`SweepRunDirectory.problem`); such
  /// a run is failed. Null otherwise.
  public var problem: String?

  enum CodingKeys: String, CodingKey {
    case index, settings, status, metrics, measurements, snapshots, problem
    case runDir = "run_dir"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(index, forKey: .index)
    try c.encode(settings, forKey: .settings)
    try c.encode(status, forKey: .status)
    try c.encode(runDir, forKey: .runDir)
    try c.encode(metrics, forKey: .metrics)
    try c.encode(measurements, forKey: .measurements)
    try c.encode(snapshots, forKey: .snapshots)
    try c.encode(problem, forKey: .problem)
  }
}

/// The runs of one setting of the axes other than `seed`: mean and spread over the seeds.
public struct Aggregate: Sendable, Encodable {
  /// The settings shared by the group (every axis but `seed`).
  public var settings: [String: String]
  /// The run indices in the group that are complete.
  public var runs: [Int]
  public var metrics: [String: SeedSpread]
  public var measurements: [String: SeedSpread]
}

/// `ujm sweep report`: every run's final metrics and measurements, and their aggregates over
/// seeds.
///
/// JSON: `{runs: [{index, settings, status, run_dir, metrics: {test_accuracy, …},
/// measurements: {ra2_diag_fraction, …}, snapshots}], aggregates: [{settings, runs, metrics:
/// {name: {n, mean, std, min, max}}, measurements}]}`.
public struct SweepReport: Sendable, Encodable {
  /// The axis whose values are the repetitions aggregated over.
  public static let seedAxis = "seed"

  public var sweep: String
  public var directory: String
  public var axes: [String]
  public var runs: [RunRow]
  public var aggregates: [Aggregate]
  /// Welch's t-test between every two arms that differ in one axis, on the headline quantities
  /// (the seeds as replicates); empty without a seed axis or with one seed per arm.
  public var comparisons: [ArmComparison]

  enum CodingKeys: String, CodingKey { case sweep, directory, axes, runs, aggregates, comparisons }

  /// Reads every run directory of `plan`; only complete runs carry numbers.
  public init(plan: SweepPlan) {
    sweep = plan.spec.name
    directory = plan.directory
    axes = plan.spec.axes.map(\.key)
    runs = plan.runs.map { run in
      let dir = SweepRunDirectory(path: run.directory)
      let status = dir.status
      let results =
        status == .complete
        ? RunResults(directory: dir, snapshots: plan.spec.snapshots) : RunResults()
      return RunRow(
        index: run.index,
        settings: Dictionary(uniqueKeysWithValues: run.settings.map { ($0.key, $0.value) }),
        status: status, runDir: run.directory, metrics: results.metrics,
        measurements: results.measurements,
        snapshots: Dictionary(
          uniqueKeysWithValues: results.snapshots.map { (String($0.key), $0.value) }),
        problem: dir.problem)
    }
    aggregates = Self.aggregate(runs, groupBy: axes.filter { $0 != Self.seedAxis })
    comparisons = ArmComparison.all(
      runs, axes: axes, quantities: Self.textColumns.map(\.key), seedAxis: Self.seedAxis)
  }

  /// Groups the complete rows by the values of `keys` (in the plan's order of first
  /// appearance) and takes the spread of every metric and measurement in each group.
  public static func aggregate(_ rows: [RunRow], groupBy keys: [String]) -> [Aggregate] {
    var order = [[String]]()
    var groups = [[String]: [RunRow]]()
    for row in rows {
      let key = keys.map { row.settings[$0] ?? "" }
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append(row)
    }
    return order.map { key in
      let complete = groups[key]!.filter { $0.status == .complete }
      func spreads(_ pick: (RunRow) -> [String: Double]) -> [String: SeedSpread] {
        let names = Set(complete.flatMap { pick($0).keys })
        var out = [String: SeedSpread]()
        for name in names {
          if let s = SeedSpread(complete.compactMap { pick($0)[name] }) { out[name] = s }
        }
        return out
      }
      return Aggregate(
        settings: Dictionary(uniqueKeysWithValues: zip(keys, key).map { ($0, $1) }),
        runs: complete.map(\.index), metrics: spreads(\.metrics),
        measurements: spreads(\.measurements))
    }
  }

  /// The columns of the CSV and text tables after the settings.
  var columns: [String] {
    let metrics = RunResults.metricKeys.filter { k in runs.contains { $0.metrics[k] != nil } }
    let measured = RunResults.measurementNames.filter { k in
      runs.contains { $0.measurements[k] != nil }
    }
    return metrics + measured
  }

  static func value(_ row: RunRow, _ column: String) -> Double? {
    row.metrics[column] ?? row.measurements[column]
  }

  /// One row per run: index, status, the axes, the metrics and measurements, run_dir.
  public var csv: String {
    let cols = columns
    var lines = [(["index", "status"] + axes + cols + ["run_dir"]).joined(separator: ",")]
    for row in runs {
      let cells =
        [String(row.index), row.status.rawValue] + axes.map { Self.csvCell(row.settings[$0] ?? "") }
        + cols.map { Self.value(row, $0).map { "\($0)" } ?? "" } + [Self.csvCell(row.runDir)]
      lines.append(cells.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func csvCell(_ s: String) -> String {
    s.contains(",") || s.contains("\"")
      ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }

  /// The headline columns of the text tables.
  static let textColumns: [(key: String, title: String)] = [
    ("test_accuracy", "test acc"), ("test_loss", "test loss"), ("ra2_diag_fraction", "RA2 diag"),
    ("ra2_transposed_diag_fraction", "RA2 diagᵀ"),
    ("ra2_random_baseline", "RA2 rand"), ("ra3_gap", "RA3 gap"), ("ra3_numerical_rank", "RA3 rank"),
    ("ra4_r2", "RA4 R²"), ("nc1", "NC1"),
  ]

  static func format(_ x: Double) -> String {
    abs(x) >= 1e4 || (abs(x) < 1e-3 && x != 0)
      ? String(format: "%.2e", x) : String(format: "%.4f", x)
  }

  static func table(_ header: [String], _ rows: [[String]]) -> [String] {
    let widths = header.indices.map { c in
      ([header[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0
    }
    func line(_ cells: [String]) -> String {
      zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }
        .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    return [line(header)] + rows.map(line)
  }

  /// The human-readable report: the runs, then the aggregates as mean ± std (n).
  public var text: String {
    let cols = Self.textColumns.filter { c in runs.contains { Self.value($0, c.key) != nil } }
    var lines = [
      "sweep \(sweep): \(runs.count) run\(runs.count == 1 ? "" : "s") in \(directory); "
        + RunStatus.allCases.map { s in "\(runs.filter { $0.status == s }.count) \(s.rawValue)" }
        .joined(separator: ", "),
      "",
    ]
    lines += Self.table(
      ["run"] + axes + ["status"] + cols.map(\.title),
      runs.map { row in
        [String(row.index)] + axes.map { row.settings[$0] ?? "" } + [row.status.rawValue]
          + cols.map { c in Self.value(row, c.key).map(Self.format) ?? "–" }
      })
    let problems = runs.compactMap { r in r.problem.map { "run \(r.index): \($0)" } }
    if !problems.isEmpty { lines += [""] + problems }
    let grouped = axes.filter { $0 != Self.seedAxis }
    if axes.contains(Self.seedAxis) && !aggregates.isEmpty {
      lines += ["", "mean ± std over seeds (n complete runs):"]
      lines += Self.table(
        grouped + ["n"] + cols.map(\.title),
        aggregates.map { a in
          grouped.map { a.settings[$0] ?? "" } + [String(a.runs.count)]
            + cols.map { c in
              (a.metrics[c.key] ?? a.measurements[c.key]).map {
                "\(Self.format($0.mean)) ± \(Self.format($0.std))"
              } ?? "–"
            }
        })
    }
    if !comparisons.isEmpty {
      lines += [
        "",
        "Welch's t-test between arms that differ in one axis (seeds as replicates; two-sided p):",
      ]
      lines += Self.table(
        ["axis", "a", "b", "other axes", "quantity", "mean a (n)", "mean b (n)", "t", "df", "p"],
        comparisons.map { c in
          [
            c.axis, c.a, c.b,
            c.settings.keys.sorted().map { "\($0)=\(c.settings[$0]!)" }.joined(separator: " "),
            c.quantity, "\(Self.format(c.test.meanA)) (\(c.test.nA))",
            "\(Self.format(c.test.meanB)) (\(c.test.nB))", String(format: "%.3f", c.test.t),
            String(format: "%.2f", c.test.degreesOfFreedom), String(format: "%.3g", c.test.p),
          ]
        })
    }
    return lines.joined(separator: "\n")
  }
}
