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
}
