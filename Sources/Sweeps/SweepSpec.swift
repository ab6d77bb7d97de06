// Goals, in order of priority: a spec that names every mistake with its key and line; a fixed
// order of settings (the file's), so that run indices never move; no dependency on how the
// runs are executed.

/// One option and its value, as written in the spec (`weight_decay: 5e-4`).
public struct Setting: Sendable, Equatable, Hashable {
  /// The option with underscores for dashes (`weight_decay` for `--weight-decay`).
  public var key: String
  /// The value as text (a YAML sequence of scalars is joined with commas: `[0, 1]` → `0,1`).
  public var value: String

  public init(_ key: String, _ value: String) {
    self.key = key
    self.value = value
  }

  /// The command-line option: `--weight-decay`.
  public var option: String { "--" + key.replacingOccurrences(of: "_", with: "-") }
}

/// One swept option and the values it takes.
public struct Axis: Sendable, Equatable {
  public var key: String
  public var values: [String]

  public init(_ key: String, _ values: [String]) {
    self.key = key
    self.values = values
  }
}

/// What one run may use: OpenBLAS threads (Slurm's `--cpus-per-task`), memory and wall time.
public struct Resources: Sendable, Equatable {
  /// Threads per run (nil: the cores divided by the parallel jobs; 1 under Slurm).
  public var threads: Int?
  /// Slurm's `--mem`, e.g. `4G`.
  public var memory: String?
  /// Slurm's `--time`, e.g. `02:00:00`.
  public var time: String?

  public init(threads: Int? = nil, memory: String? = nil, time: String? = nil) {
    self.threads = threads
    self.memory = memory
    self.time = time
  }
}

/// Overrides of a named variant (`small:`): each given key replaces the spec's.
public struct SpecOverrides: Sendable, Equatable {
  public var base: [Setting] = []
  public var axes: [Axis] = []
  public var measure: [Setting]? = nil
  public var snapshots: [Int]? = nil
  public var resources: Resources? = nil

  public init() {}
}

/// A sweep: a base `ujm train` configuration, the axes crossed over it, what to measure in each
/// run, and where to keep snapshots.
///
/// The runs are the Cartesian product of the axes in the file's order, the first axis varying
/// slowest (see `SweepPlan`).
public struct SweepSpec: Sendable, Equatable {
  /// The spec file's base name without extension (`fig5-stochastic-depth`).
  public var name: String
  /// `ujm train` options shared by every run, in the file's order.
  public var base: [Setting]
  /// The swept options, in the file's order.
  public var axes: [Axis]
  /// `ujm measure` options; nil: the runs are trained only.
  public var measure: [Setting]?
  /// Epochs at which checkpoints are kept and measured (Figure 7's curves over training).
  public var snapshots: [Int]
  public var resources: Resources
  /// Named variants (`small`), chosen with `--variant`.
  public var variants: [String: SpecOverrides]

  public init(
    name: String, base: [Setting], axes: [Axis], measure: [Setting]? = nil,
    snapshots: [Int] = [], resources: Resources = Resources(),
    variants: [String: SpecOverrides] = [:]
  ) {
    self.name = name
    self.base = base
    self.axes = axes
    self.measure = measure
    self.snapshots = snapshots
    self.resources = resources
    self.variants = variants
  }

  /// The number of runs, the product of the axes' lengths (nil when it overflows).
  public var runCount: Int? {
    var n = 1
    for axis in axes {
      let (product, overflow) = n.multipliedReportingOverflow(by: axis.values.count)
      if overflow { return nil }
      n = product
    }
    return n
  }

  /// Refuses a spec of more than `SweepPlan.maximumRuns` runs before any plan is built, naming
  /// the axes and their lengths.
  public func checkRunCount(line: Int? = nil) throws(SpecError) {
    if let n = runCount, n <= SweepPlan.maximumRuns { return }
    let product = axes.map { "\($0.key) (\($0.values.count))" }.joined(separator: " × ")
    throw SpecError(
      line: line, key: "axes",
      problem: "\(product) = " + (runCount.map(String.init) ?? "more than 2^63")
        + " runs, more than the \(SweepPlan.maximumRuns) a sweep may have")
  }

  /// The spec with the overrides of variant `name` applied (the variant itself dropped).
  public func variant(_ name: String) throws(SpecError) -> SweepSpec {
    guard let o = variants[name] else {
      let known = variants.keys.sorted()
      throw SpecError(
        line: nil, key: name,
        problem: "no such variant in the spec"
          + (known.isEmpty ? " (it has none)" : " (it has \(known.joined(separator: ", ")))"))
    }
    var out = self
    out.variants = [:]
    for s in o.base {
      if let i = out.base.firstIndex(where: { $0.key == s.key }) {
        out.base[i] = s
      } else {
        out.base.append(s)
      }
    }
    for a in o.axes {
      if let i = out.axes.firstIndex(where: { $0.key == a.key }) {
        out.axes[i] = a
      } else {
        out.axes.append(a)
      }
    }
    // A base option in the variant replaces an axis of the same name (and vice versa).
    out.axes.removeAll { a in o.base.contains { $0.key == a.key } }
    out.base.removeAll { s in o.axes.contains { $0.key == s.key } }
    if let m = o.measure { out.measure = m }
    if let s = o.snapshots { out.snapshots = s }
    if let r = o.resources {
      out.resources = Resources(
        threads: r.threads ?? resources.threads, memory: r.memory ?? resources.memory,
        time: r.time ?? resources.time)
    }
    try out.checkRunCount()
    return out
  }
}

/// A mistake in a sweep spec: the line (1-based) and the key it concerns.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The line in the spec file, when the mistake has one.
  public var line: Int?
  /// The key's path, dotted (`axes.drop_path`, `small.base.epochs`).
  public var key: String
  public var problem: String

  public init(line: Int?, key: String, problem: String) {
    self.line = line
    self.key = key
    self.problem = problem
  }

  /// One line of at most 300 characters: a line break or a control character in a key or a
  /// value is shown as a space, and a long value (a 500 KB line) is cut.
  public var description: String {
    let text = (line.map { "line \($0): " } ?? "") + (key.isEmpty ? "" : "\(key): ") + problem
    let flat = String(
      String.UnicodeScalarView(
        text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    return flat.count > 300 ? String(flat.prefix(300)) + "…" : flat
  }
}
