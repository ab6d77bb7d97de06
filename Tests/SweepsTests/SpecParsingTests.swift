import Foundation
import Testing

@testable import Sweeps

private let valid = """
  base:
    type: 4a
    weight_decay: 5e-4
    epochs: 3
  axes:
    classes: ["0,1", [0, 1, 2, 3]]
    drop_path: [0, 0.3]
    seed: [0, 1, 2]
  measure:
    inputs: 20
    rank: 10
  snapshots: [20, 10]
  resources:
    threads: 2
    memory: 4G
    time: "01:30:00"
  small:
    base:
      epochs: 1
    axes:
      seed: [0]
    resources:
      threads: 1
  """

/// Parses `yaml`; returns the error it throws (nil if it parses).
private func error(of yaml: String) -> SpecError? {
  do {
    _ = try SweepSpec(yaml: yaml, name: "t")
    return nil
  } catch {
    return error
  }
}

@Suite("Sweep specs: every key read, every mistake named with its key and line")
struct SpecParsingTests {
  @Test func validSpecKeepsTheFilesOrderAndValues() throws {
    let spec = try SweepSpec(yaml: valid, name: "t")
    #expect(
      spec.base == [Setting("type", "4a"), Setting("weight_decay", "5e-4"), Setting("epochs", "3")])
    #expect(spec.axes.map(\.key) == ["classes", "drop_path", "seed"])
    #expect(spec.axes[0].values == ["0,1", "0,1,2,3"])
    #expect(spec.axes[1].values == ["0", "0.3"])
    #expect(spec.measure == [Setting("inputs", "20"), Setting("rank", "10")])
    #expect(spec.snapshots == [10, 20])
    #expect(spec.resources == Resources(threads: 2, memory: "4G", time: "01:30:00"))
    let small = try spec.variant("small")
    #expect(small.base.first { $0.key == "epochs" }?.value == "1")
    #expect(small.axes.first { $0.key == "seed" }?.values == ["0"])
    #expect(small.resources == Resources(threads: 1, memory: "4G", time: "01:30:00"))
    #expect(small.variants.isEmpty)
  }

  /// (case, YAML, key named, line named).
  static let bad: [(String, String, String, Int?)] = [
    ("unknown top-level key", "base: {epochs: 1}\naxes: {seed: [0]}\nbogus: 1\n", "bogus", 3),
    ("unknown key in base", "base:\n  epochs: 1\n  epoch: 2\naxes: {seed: [0]}\n", "base.epoch", 3),
    (
      "unknown axis", "base: {epochs: 1}\naxes:\n  seed: [0]\n  drop_pth: [0]\n", "axes.drop_pth", 4
    ),
    (
      "unknown key in measure", "base: {epochs: 1}\naxes: {seed: [0]}\nmeasure:\n  rnk: 3\n",
      "measure.rnk", 4
    ),
    (
      "unknown key in resources", "base: {epochs: 1}\naxes: {seed: [0]}\nresources:\n  gpus: 1\n",
      "resources.gpus", 4
    ),
    (
      "unknown key in small",
      "base: {epochs: 1}\naxes: {seed: [0]}\nsmall:\n  base: {epochs: 1}\n  small: {}\n",
      "small.small", 5
    ),
    (
      "unknown key in small.base",
      "base: {epochs: 1}\naxes: {seed: [0]}\nsmall:\n  base:\n    epocs: 1\n",
      "small.base.epocs", 5
    ),
    ("integer expected", "base:\n  epochs: three\naxes: {seed: [0]}\n", "base.epochs", 2),
    ("number expected", "base:\n  weight_decay: lots\naxes: {seed: [0]}\n", "base.weight_decay", 2),
    ("choice expected", "base:\n  type: 5\naxes: {seed: [0]}\n", "base.type", 2),
    (
      "axis value of the wrong type", "base: {epochs: 1}\naxes:\n  seed:\n    - 0\n    - x\n",
      "axes.seed", 5
    ),
    ("empty axis", "base: {epochs: 1}\naxes:\n  seed: []\n", "axes.seed", 3),
    ("no axes", "base: {epochs: 1}\naxes: {}\n", "axes", 2),
    ("axis not a list", "base: {epochs: 1}\naxes:\n  seed: 3\n", "axes.seed", 3),
    ("missing base", "axes: {seed: [0]}\n", "base", 1),
    ("missing axes", "base: {epochs: 1}\n", "axes", 1),
    ("base not a mapping", "base: [1, 2]\naxes: {seed: [0]}\n", "base", 1),
    ("list for a single value", "base:\n  epochs: [1, 2]\naxes: {seed: [0]}\n", "base.epochs", 2),
    ("key in base and axes", "base:\n  seed: 1\naxes:\n  seed: [0]\n", "axes.seed", 1),
    ("value listed twice", "base: {epochs: 1}\naxes:\n  seed: [0, 0]\n", "axes.seed", 3),
    (
      "snapshot not an epoch", "base: {epochs: 1}\naxes: {seed: [0]}\nsnapshots: [0]\n",
      "snapshots", 3
    ),
    (
      "bad memory", "base: {epochs: 1}\naxes: {seed: [0]}\nresources:\n  memory: lots\n",
      "resources.memory", 4
    ),
    (
      "bad time", "base: {epochs: 1}\naxes: {seed: [0]}\nresources:\n  time: 1:2:3:4\n",
      "resources.time", 4
    ),
    (
      "threads below 1", "base: {epochs: 1}\naxes: {seed: [0]}\nresources:\n  threads: 0\n",
      "resources.threads", 4
    ),
    ("YAML syntax", "base: {epochs: 1\naxes: {seed: [0]}\n", "", 2),
    ("not a mapping", "- 1\n- 2\n", "", 1),
  ]

  @Test(arguments: bad)
  func badSpecNamesKeyAndLine(_ label: String, _ yaml: String, _ key: String, _ line: Int?) throws {
    let e = try #require(error(of: yaml), "\(label): parsed, should have been refused")
    print("\(label): \(e)")
    #expect(e.key == key, "\(label)")
    #expect(e.line == line, "\(label)")
  }

  @Test func keyGivenTwiceIsNamedWithALine() throws {
    let e = try #require(error(of: "base:\n  epochs: 1\n  epochs: 2\naxes: {seed: [0]}\n"))
    print("key given twice: \(e)")
    #expect(e.key == "epochs" && e.problem == "given twice")
    #expect(e.line == 2 || e.line == 3)
  }

  @Test func unknownVariantIsRefusedNamingTheVariants() throws {
    let spec = try SweepSpec(yaml: valid, name: "t")
    #expect(throws: SpecError.self) { try spec.variant("large") }
    do {
      _ = try spec.variant("large")
    } catch {
      #expect(error.description.contains("it has small"))
    }
  }

  @Test func slurmFormatsAcceptSlurmsSpellingsOnly() {
    for ok in ["4096", "4G", "512M", "1T", "16g"] { #expect(SlurmFormats.isMemory(ok), "\(ok)") }
    for bad in ["", "G", "4GB", "-1G", "4.5G"] { #expect(!SlurmFormats.isMemory(bad), "\(bad)") }
    for ok in ["30", "30:00", "01:30:00", "2-00", "2-12:00:00"] {
      #expect(SlurmFormats.isTime(ok), "\(ok)")
    }
    for bad in ["", "1:2:3:4", "a", "1-", "-1", "1-2-3"] {
      #expect(!SlurmFormats.isTime(bad), "\(bad)")
    }
  }

  /// Issue 19 defect 24: a time whose minutes or seconds are 60 or more, an hour of 24 after
  /// a day count, a zero time (no limit to Slurm), and a memory size that overflows (or is 0)
  /// are refused; the largest ordinary ones pass.
  @Test func slurmFormatsRefuseOutOfRangeFieldsAndOverflow() {
    for bad in ["99:99:99", "00:00:00", "0", "1:60", "1-24:00:00", "1-00:60", "0-00"] {
      #expect(!SlurmFormats.isTime(bad), "\(bad)")
    }
    for ok in ["48:00:00", "59:59", "1-23:59:59", "7-00", "1"] {
      #expect(SlurmFormats.isTime(ok), "\(ok)")
    }
    for bad in ["99999999999999999999G", "0G", "0", "2000T"] {
      #expect(!SlurmFormats.isMemory(bad), "\(bad)")
    }
    #expect(SlurmFormats.isMemory("1024T") && SlurmFormats.isMemory("999999M"))
  }
}

/// `line(i)` for i in 0..<count, joined: a spec built line by line.
private func lines(_ count: Int, _ line: (Int) -> String) -> String {
  (0..<count).map(line).joined(separator: "\n")
}

@Suite("Spec parser: no spec can hang it, exhaust memory or crash it; every error one line")
struct SpecBoundsTests {
  /// Parses `yaml` within `seconds`; returns the error it throws.
  private func refusal(_ yaml: String, seconds: Double = 10) -> SpecError? {
    let started = ContinuousClock.now
    let e = error(of: yaml)
    #expect(ContinuousClock.now - started < .seconds(seconds), "took too long")
    if let e { print("refused: \(e)") }
    return e
  }

  @Test func aliasBombIsRefusedAfterReadingItsFewLines() throws {
    // Nine levels of ten aliases each: 10^9 scalars once expanded, in 12 lines.
    let names = Array("abcdefghi")
    var yaml = "x: &a [" + Array(repeating: "\"lol\"", count: 10).joined(separator: ", ") + "]\n"
    for (i, n) in names.dropFirst().enumerated() {
      yaml +=
        "\(n)\(n): &\(n) ["
        + Array(repeating: "*\(names[i])", count: 10)
        .joined(separator: ", ") + "]\n"
    }
    yaml += "base: {epochs: 1}\naxes:\n  seed: *i\n"
    let e = try #require(refusal(yaml))
    #expect(e.problem.contains("expands to more than \(SpecBounds.maximumNodes) nodes"))
    #expect(e.line != nil)
  }

  @Test func aFewAliasesWithinTheBoundAreAccepted() throws {
    let yaml = "base: &b {epochs: 1}\naxes:\n  seed: &s [0, 1]\nsmall:\n  axes: {seed: *s}\n"
    #expect(refusal(yaml) == nil)
  }

  @Test func deepNestingIsRefusedInsteadOfOverflowingTheStack() throws {
    func nested(_ depth: Int) -> String {
      "base: {epochs: 1}\naxes:\n  seed: " + String(repeating: "[", count: depth)
        + String(repeating: "]", count: depth) + "\n"
    }
    // Past the spec's bound: refused by ujm's own check.
    let e = try #require(refusal(nested(200)))
    #expect(e.line == 3 && e.problem.contains("nested more than \(SpecBounds.maximumDepth) levels"))
    // Far past it: libyaml refuses first (its own nesting limit); either way one line, no crash.
    let deep = try #require(refusal(nested(200_000)))
    #expect(deep.line == 3 && !deep.description.contains("\n"))
  }

  @Test func complexAndAliasKeysAreRefusedWithTheirLine() throws {
    let sequenceKey = "base: {epochs: 1}\naxes: {seed: [0]}\n? [a, b]\n: 1\n"
    let e1 = try #require(refusal(sequenceKey))
    #expect(e1.line == 3 && e1.problem.contains("plain word"))
    let aliasKey = "base: &k {epochs: 1}\naxes: {seed: [0]}\nx: {*k : 1}\n"
    let e2 = try #require(refusal(aliasKey))
    #expect(e2.line == 3 && e2.problem.contains("alias as a mapping key"))
  }

  @Test func byteOrderMarkIsSkippedAsPyYAMLDoes() throws {
    let spec = try SweepSpec(yaml: "\u{FEFF}base: {epochs: 1}\naxes: {seed: [0, 1]}\n", name: "t")
    #expect(spec.axes == [Axis("seed", ["0", "1"])])
  }

  @Test func yamlSyntaxErrorIsOneShortLineWithItsLineNumber() throws {
    let long = String(repeating: "x", count: 500_000)
    let yaml = "base: {epochs: 1}\naxes: {seed: [0]}\nnote: \"\(long)\n  - : ]\n"
    let e = try #require(refusal(yaml))
    let text = e.description
    #expect(!text.contains("\n"))
    #expect(text.count <= 301)
    #expect(e.line != nil && text.hasPrefix("line "))
    let twice = try #require(
      refusal("base: {epochs: 1}\naxes: {seed: [0]}\n\(long): 1\n\(long): 2\n"))
    #expect(!twice.description.contains("\n") && twice.description.count <= 301)
  }

  @Test func planOfTooManyRunsIsRefusedBeforeItIsBuiltNamingTheAxes() throws {
    // 100 × 100 × 100 × 100 = 10^8 runs in about 1.3 KB.
    let values = "[" + (1...100).map(String.init).joined(separator: ", ") + "]"
    let yaml =
      "base: {epochs: 1}\naxes:\n  seed: \(values)\n  width: \(values)\n  blocks: \(values)\n"
      + "  batch_size: \(values)\n"
    let e = try #require(refusal(yaml, seconds: 5))
    #expect(e.key == "axes")
    #expect(
      e.problem.contains("seed (100) × width (100) × blocks (100) × batch_size (100)")
        && e.problem.contains("100000000 runs")
        && e.problem.contains("\(SweepPlan.maximumRuns)"))
  }
}
