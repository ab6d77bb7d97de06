import Foundation
import LinearAlgebra
import Yams

extension SweepSpec {
  /// Reads a spec from YAML text. Every mistake — YAML syntax, an unknown key at any level, a
  /// value of the wrong type, an empty axis, a missing `base` or `axes` — throws a `SpecError`
  /// naming the key and its line.
  public init(yaml text: String, name: String) throws(SpecError) {
    // PyYAML, the reference reader, skips a byte-order mark; libyaml given UTF-8 does not.
    let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
    try SpecBounds.check(text)
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
      throw SpecError(
        line: context.mark.line, key: duplicates.sorted().joined(separator: ", "),
        problem: "given twice")
    } catch let error as YamlError {
      throw SpecError(
        line: Self.line(of: error), key: "", problem: "not valid YAML (\(Self.problem(of: error)))")
    } catch {
      throw SpecError(line: nil, key: "", problem: "not valid YAML")
    }
    guard let root, case .mapping(let top) = root else {
      throw SpecError(line: root?.mark?.line ?? 1, key: "", problem: "the spec must be a mapping")
    }
    let parsed = try Self.parseSection(top, path: "", allowed: SpecOptions.topLevel)
    guard let base = parsed.base else {
      throw SpecError(line: 1, key: "base", problem: "missing (the ujm train options)")
    }
    guard let axes = parsed.axes else {
      throw SpecError(line: 1, key: "axes", problem: "missing (the options to sweep)")
    }
    try Self.checkDisjoint(base: base, axes: axes, line: root.mark?.line)
    try SweepSpec(name: name, base: base, axes: axes).checkRunCount(
      line: top.first { $0.key.string == "axes" }?.key.mark?.line)
    self.init(
      name: name, base: base, axes: axes, measure: parsed.measure,
      snapshots: parsed.snapshots ?? [], resources: parsed.resources ?? Resources(),
      variants: parsed.small.map { ["small": $0] } ?? [:])
    if variants["small"] != nil {
      // The variant must give a spec that is itself valid.
      let v = try variant("small")
      try Self.checkDisjoint(base: v.base, axes: v.axes, line: nil)
    }
  }

  /// The most bytes a spec file may hold: 1 MiB (the paper's largest spec is under 2 KB).
  public static let maximumSpecBytes = 1 << 20

  /// Reads the spec file at `path` (a regular file of at most `maximumSpecBytes`); its name is
  /// the file's base name without extension.
  public init(contentsOf path: String) throws(SpecError) {
    let text: String
    do {
      text = try RegularFile.text(
        path, maximumBytes: Self.maximumSpecBytes, what: "a sweep spec")
    } catch {
      throw SpecError(line: nil, key: "", problem: error.reason)
    }
    let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    try self.init(yaml: text, name: name)
  }

  private struct Section {
    var base: [Setting]?
    var axes: [Axis]?
    var measure: [Setting]?
    var snapshots: [Int]?
    var resources: Resources?
    var small: SpecOverrides?
  }

  private static func parseSection(_ mapping: Node.Mapping, path: String, allowed: [String])
    throws(SpecError) -> Section
  {
    var out = Section()
    for (keyNode, value) in try pairs(mapping, path: path) {
      let key = keyNode.0
      let full = path.isEmpty ? key : path + "." + key
      let line = keyNode.1
      guard allowed.contains(key) else {
        throw SpecError(
          line: line, key: full,
          problem: "unknown key (expected one of \(allowed.joined(separator: ", ")))")
      }
      switch key {
      case "base":
        out.base = try settings(value, path: full, options: SpecOptions.train)
      case "axes":
        out.axes = try axes(value, path: full)
      case "measure":
        out.measure = try settings(value, path: full, options: SpecOptions.measure)
      case "snapshots":
        out.snapshots = try snapshots(value, path: full)
      case "resources":
        out.resources = try resources(value, path: full)
      default:  // "small"
        guard case .mapping(let m) = value else {
          throw SpecError(line: value.mark?.line, key: full, problem: "must be a mapping")
        }
        let s = try parseSection(
          m, path: full, allowed: SpecOptions.topLevel.filter { $0 != "small" })
        var o = SpecOverrides()
        o.base = s.base ?? []
        o.axes = s.axes ?? []
        o.measure = s.measure
        o.snapshots = s.snapshots
        o.resources = s.resources
        out.small = o
      }
    }
    return out
  }

  /// The mapping's entries as ((key, line), value), refusing non-scalar and repeated keys.
  private static func pairs(_ mapping: Node.Mapping, path: String) throws(SpecError)
    -> [((String, Int?), Node)]
  {
    var out = [((String, Int?), Node)]()
    for (k, v) in mapping {
      guard case .scalar(let s) = k else {
        throw SpecError(line: k.mark?.line, key: path, problem: "keys must be plain words")
      }
      let full = path.isEmpty ? s.string : path + "." + s.string
      if out.contains(where: { $0.0.0 == s.string }) {
        throw SpecError(line: k.mark?.line, key: full, problem: "given twice")
      }
      out.append(((s.string, k.mark?.line), v))
    }
    return out
  }

  /// A scalar, or a sequence of scalars joined with commas, as text.
  private static func text(_ node: Node, path: String) throws(SpecError) -> String {
    switch node {
    case .scalar(let s):
      return s.string
    case .sequence(let seq):
      var parts = [String]()
      for item in seq {
        guard case .scalar(let s) = item else {
          throw SpecError(line: item.mark?.line, key: path, problem: "must be a scalar")
        }
        parts.append(s.string)
      }
      return parts.joined(separator: ",")
    default:
      throw SpecError(line: node.mark?.line, key: path, problem: "must be a scalar, not a mapping")
    }
  }

  private static func kind(_ key: String, _ options: [String: OptionKind], path: String, line: Int?)
    throws(SpecError) -> OptionKind
  {
    guard let kind = options[key] else {
      throw SpecError(
        line: line, key: path,
        problem: "unknown key (expected one of \(options.keys.sorted().joined(separator: ", ")))")
    }
    return kind
  }

  private static func check(_ value: String, _ kind: OptionKind, path: String, line: Int?)
    throws(SpecError)
  {
    if let expected = kind.mismatch(value) {
      throw SpecError(line: line, key: path, problem: "'\(value)' is not \(expected)")
    }
  }

  private static func settings(_ node: Node, path: String, options: [String: OptionKind])
    throws(SpecError) -> [Setting]
  {
    if case .scalar(let s) = node, s.string.isEmpty || s.string == "null" || s.string == "~" {
      return []
    }
    guard case .mapping(let m) = node else {
      throw SpecError(line: node.mark?.line, key: path, problem: "must be a mapping")
    }
    var out = [Setting]()
    for ((key, line), value) in try pairs(m, path: path) {
      let full = path + "." + key
      let kind = try kind(key, options, path: full, line: line)
      if case .sequence = value, !kind.isList {
        throw SpecError(
          line: value.mark?.line, key: full, problem: "must be a single value, not a list")
      }
      let v = try text(value, path: full)
      try check(v, kind, path: full, line: value.mark?.line ?? line)
      out.append(Setting(key, v))
    }
    return out
  }

  private static func axes(_ node: Node, path: String) throws(SpecError) -> [Axis] {
    guard case .mapping(let m) = node else {
      throw SpecError(line: node.mark?.line, key: path, problem: "must be a mapping")
    }
    var out = [Axis]()
    for ((key, line), value) in try pairs(m, path: path) {
      let full = path + "." + key
      let kind = try kind(key, SpecOptions.train, path: full, line: line)
      guard case .sequence(let seq) = value else {
        throw SpecError(
          line: value.mark?.line ?? line, key: full, problem: "must be a list of values")
      }
      guard seq.count > 0 else {
        throw SpecError(line: value.mark?.line ?? line, key: full, problem: "empty axis")
      }
      var values = [String]()
      for item in seq {
        let v = try text(item, path: full)
        try check(v, kind, path: full, line: item.mark?.line)
        guard !values.contains(v) else {
          throw SpecError(line: item.mark?.line, key: full, problem: "'\(v)' is listed twice")
        }
        values.append(v)
      }
      out.append(Axis(key, values))
    }
    guard !out.isEmpty else {
      throw SpecError(
        line: node.mark?.line, key: path, problem: "no axes (a sweep needs at least one)")
    }
    return out
  }

  private static func snapshots(_ node: Node, path: String) throws(SpecError) -> [Int] {
    guard case .sequence(let seq) = node else {
      throw SpecError(line: node.mark?.line, key: path, problem: "must be a list of epochs")
    }
    var out = [Int]()
    for item in seq {
      let v = try text(item, path: path)
      guard let e = Int(v), e >= 1 else {
        throw SpecError(line: item.mark?.line, key: path, problem: "'\(v)' is not an epoch ≥ 1")
      }
      out.append(e)
    }
    return out.sorted()
  }

  private static func resources(_ node: Node, path: String) throws(SpecError) -> Resources {
    guard case .mapping(let m) = node else {
      throw SpecError(line: node.mark?.line, key: path, problem: "must be a mapping")
    }
    var out = Resources()
    for ((key, line), value) in try pairs(m, path: path) {
      let full = path + "." + key
      let v = try text(value, path: full)
      let l = value.mark?.line ?? line
      switch key {
      case "threads":
        // At most 4096: Slurm's --cpus-per-task and OPENBLAS_NUM_THREADS take it as is.
        guard let t = Int(v), (1...4096).contains(t) else {
          throw SpecError(line: l, key: full, problem: "'\(v)' is not an integer in 1…4096")
        }
        out.threads = t
      case "memory":
        guard SlurmFormats.isMemory(v) else {
          throw SpecError(
            line: l, key: full, problem: "'\(v)' is not a Slurm memory size (e.g. 4G, 512M)")
        }
        out.memory = v
      case "time":
        guard SlurmFormats.isTime(v) else {
          throw SpecError(
            line: l, key: full,
            problem: "'\(v)' is not a Slurm time (minutes, MM:SS, HH:MM:SS or D-HH:MM:SS)")
        }
        out.time = v
      default:
        throw SpecError(
          line: line, key: full,
          problem: "unknown key (expected one of \(SpecOptions.resources.joined(separator: ", ")))")
      }
    }
    return out
  }

  private static func checkDisjoint(base: [Setting], axes: [Axis], line: Int?) throws(SpecError) {
    for a in axes where base.contains(where: { $0.key == a.key }) {
      throw SpecError(line: line, key: "axes.\(a.key)", problem: "is also set in base")
    }
  }

  /// libyaml's problem as a short phrase on one line: "did not find expected key" (Yams's own
  /// description spans several lines and quotes the offending line, whatever its length).
  private static func problem(of error: YamlError) -> String {
    let text: String
    switch error {
    case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
      .composer(let context, let problem, _, _):
      text = (context.map { $0.text + " " } ?? "") + problem
    case .reader(let problem, let offset, _, _):
      text = problem + (offset.map { " at byte \($0)" } ?? "")
    default:
      text = "unreadable"
    }
    let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return line.count > 200 ? String(line.prefix(200)) + "…" : line
  }

  private static func line(of error: YamlError) -> Int? {
    switch error {
    case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
      return mark.line
    default:
      return nil
    }
  }
}

/// Slurm's formats for `--mem` and `--time`.
public enum SlurmFormats {
  /// `4096`, `4G`, `512M`, `1T` (Slurm's default unit is megabytes).
  public static func isMemory(_ s: String) -> Bool {
    guard let last = s.last else { return false }
    let digits = "KMGTkmgt".contains(last) ? s.dropLast() : Substring(s)
    guard !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }),
      let value = Int(digits), value > 0
    else { return false }
    // At most 1 PiB (Slurm's default unit is the megabyte): a size that fits in Slurm's field.
    let megabytes: Double =
      switch last.uppercased() {
      case "K": Double(value) / 1024
      case "G": Double(value) * 1024
      case "T": Double(value) * 1024 * 1024
      default: Double(value)
      }
    return megabytes <= Double(1 << 30)
  }

  /// `minutes`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`: minutes and seconds
  /// below 60, hours below 24 after a day count, and a time above zero (Slurm reads 0 as no
  /// limit at all).
  public static func isTime(_ s: String) -> Bool {
    let dayParts = s.split(separator: "-", omittingEmptySubsequences: false)
    guard dayParts.count <= 2 else { return false }
    func number(_ part: Substring) -> Int? {
      guard !part.isEmpty, part.count <= 9, part.allSatisfy({ ("0"..."9").contains($0) })
      else { return nil }
      return Int(part)
    }
    var days = 0
    if dayParts.count == 2 {
      guard let d = number(dayParts[0]) else { return false }
      days = d
    }
    let clock = dayParts.last!.split(separator: ":", omittingEmptySubsequences: false)
    guard (1...3).contains(clock.count) else { return false }
    let fields = clock.map(number)
    guard fields.allSatisfy({ $0 != nil }) else { return false }
    let f = fields.map { $0! }
    // The fields' meanings: with a day count, HH[:MM[:SS]]; without, MM, MM:SS or HH:MM:SS.
    let (hours, minutes, seconds): (Int, Int, Int) =
      switch (dayParts.count, f.count) {
      case (2, 1): (f[0], 0, 0)
      case (2, 2): (f[0], f[1], 0)
      case (_, 3): (f[0], f[1], f[2])
      case (_, 2): (0, f[0], f[1])
      default: (0, f[0], 0)
      }
    if f.count >= 2 && (seconds >= 60 || (f.count == 3 || dayParts.count == 2) && minutes >= 60) {
      return false
    }
    if dayParts.count == 2 && hours >= 24 { return false }
    return days + hours + minutes + seconds > 0
  }
}
