import Foundation
import Testing

@testable import Sweeps

@Suite("Sweep plans: a fixed order and stable run directories")
struct SweepPlanTests {
  func spec(_ text: String) throws -> SweepSpec { try SweepSpec(yaml: text, name: "t") }

  @Test func firstAxisVariesSlowestAndIndicesCountUp() throws {
    let s = try spec("base: {epochs: 2}\naxes:\n  type: [4a, 4b]\n  seed: [0, 1, 2]\n")
    let plan = SweepPlan(spec: s, directory: "sw")
    #expect(plan.runs.map(\.index) == Array(0..<6))
    #expect(
      plan.runs.map(\.settingsText) == [
        "type=4a seed=0", "type=4a seed=1", "type=4a seed=2",
        "type=4b seed=0", "type=4b seed=1", "type=4b seed=2",
      ])
    #expect(
      plan.runs[4].train == [Setting("epochs", "2"), Setting("type", "4b"), Setting("seed", "1")])
  }

  @Test func runDirectoriesAreStableAcrossInvocations() throws {
    let text = "base: {epochs: 2, weight_decay: 5e-4}\naxes:\n  seed: [0, 1]\n"
    let a = SweepPlan(spec: try spec(text), directory: "sw")
    let b = SweepPlan(spec: try spec(text), directory: "sw")
    #expect(a.runs == b.runs)
    // Pinned: a change here moves every existing sweep's runs to new directories.
    #expect(a.runs.map(\.directory) == ["sw/runs/0-287bb3da", "sw/runs/1-02407065"])
  }

  @Test func hashIgnoresKeyOrderButNotValues() throws {
    let a = SweepPlan(
      spec: try spec("base: {epochs: 2, lr: 0.1}\naxes: {seed: [0]}\n"), directory: "d")
    let b = SweepPlan(
      spec: try spec("base: {lr: 0.1, epochs: 2}\naxes: {seed: [0]}\n"), directory: "d")
    let c = SweepPlan(
      spec: try spec("base: {lr: 0.2, epochs: 2}\naxes: {seed: [0]}\n"), directory: "d")
    let d = SweepPlan(
      spec: try spec("base: {lr: 0.1, epochs: 2}\naxes: {seed: [0]}\nmeasure: {rank: 3}\n"),
      directory: "d")
    #expect(a.runs[0].hash == b.runs[0].hash)
    #expect(a.runs[0].hash != c.runs[0].hash)
    #expect(a.runs[0].hash != d.runs[0].hash)
  }

  @Test func trainArgumentsSpellOptionsWithDashesAndResumeWhenAsked() throws {
    let s = try spec("base: {weight_decay: 5e-4, drop_path: 0.3}\naxes: {seed: [7]}\n")
    let run = SweepPlan(spec: s, directory: "d").runs[0]
    #expect(
      RunExecutor.trainArguments(run, snapshots: [], resume: true) == [
        "train", "--weight-decay", "5e-4", "--drop-path", "0.3", "--seed", "7", "--output",
        run.directory, "--json", "--resume",
      ])
    #expect(
      RunExecutor.trainArguments(run, snapshots: [100, 50], resume: false) == [
        "train", "--weight-decay", "5e-4", "--drop-path", "0.3", "--seed", "7",
        "--snapshot-epochs", "50,100", "--output", run.directory, "--json",
      ])
  }
}
