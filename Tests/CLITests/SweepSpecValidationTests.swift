import ArgumentParser
import Foundation
import TestSupport
import Testing

@testable import UJMCommandLine

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// `ujm sweep plan` of `spec` (a path) in-process: the plan's text, or the `UsageError` line.
private func plan(_ arguments: [String]) -> (text: String?, error: String?) {
  do {
    let command = try UJMCommand.parseAsRoot(["sweep", "plan"] + arguments)
    return (try (command as! SweepPlanCommand).execute(), nil)
  } catch let error as UsageError {
    return (nil, error.message)
  } catch {
    return (nil, "\(error)")
  }
}

private func specFile(_ text: String) -> String {
  let path = (temporaryDirectory("sweep-spec") as NSString).appendingPathComponent("spec.yaml")
  try! text.write(toFile: path, atomically: true, encoding: .utf8)
  return path
}

/// A sweep spec is checked by the same option rules as `ujm train` and `ujm measure`
/// (`TrainingOptions.schema`, `MeasurementOptions.schema`), and every planned run's arguments by
/// those commands' own parsers, so a spec accepts exactly what the commands accept.
@Suite("Sweep specs are validated by train's and measure's own option rules")
struct SweepSpecValidationTests {
  @Test func everyCommittedExperimentPlansInEveryVariant() throws {
    let directory = root.appendingPathComponent("experiments").path
    let files = try FileManager.default.contentsOfDirectory(atPath: directory)
      .filter { $0.hasSuffix(".yaml") }.sorted()
    #expect(files.count >= 7)
    for file in files {
      let path = (directory as NSString).appendingPathComponent(file)
      let text = try String(contentsOfFile: path, encoding: .utf8)
      let variants = text.contains("\nsmall:") ? [nil, "small"] : [nil]
      for variant in variants {
        let result = plan(
          [path, "--dir", temporaryDirectory("plan")] + (variant.map { ["--variant", $0] } ?? []))
        #expect(result.error == nil, "\(file) \(variant ?? "default"): \(result.error ?? "")")
        let firstLine = result.text?.split(separator: "\n").first ?? ""
        print("\(file) \(variant ?? "default"): \(firstLine)")
      }
    }
  }

  @Test func negativeWeightDecayIsRefusedNamingTheKeyAndLine() throws {
    let path = specFile("base:\n  type: 4a\n  epochs: 1\n  weight_decay: -1\naxes:\n  seed: [0]\n")
    let error = try #require(plan([path]).error)
    print("weight_decay: -1 → \(error)")
    #expect(
      error.contains("line 4") && error.contains("base.weight_decay") && error.contains("≥ 0"))
  }

  @Test func convolutionalTypeWithNoNormScopeLabelsAndMeasureIterationsPlans() throws {
    let path = specFile(
      """
      base: {type: 5a, epochs: 1, labels: coarse}
      axes:
        weight_decay_scope: [all, weights, no-norm]
      measure: {iterations: 80, nc_precision: double}
      """)
    let result = plan([path, "--dir", temporaryDirectory("plan")])
    #expect(result.error == nil, "\(result.error ?? "")")
    #expect(result.text?.contains("3 runs") == true)
  }

  @Test func aCombinationTrainRefusesIsRefusedNamingTheRun() throws {
    let skipless = specFile("base: {type: 4b, epochs: 1}\naxes:\n  drop_path: [0, 0.3]\n")
    let error = try #require(plan([skipless]).error)
    print("4b with drop_path 0.3 → \(error)")
    #expect(error.contains("run 1 (drop_path=0.3)") && error.contains("--drop-path"))
    let convBlocks = specFile("base: {type: 5a, epochs: 1, blocks: 3}\naxes:\n  seed: [0]\n")
    #expect(plan([convBlocks]).error?.contains("--blocks") == true)
    let badMeasure = specFile(
      "base: {type: 4a, epochs: 1}\naxes:\n  seed: [0]\nmeasure: {inputs: 3, indices: \"1,2\"}\n")
    #expect(plan([badMeasure]).error?.contains("measure") == true)
  }

  @Test func outOfRangeIntegersAreRefusedBeforeAnyArithmetic() throws {
    let path = specFile(
      "base: {type: 4a, epochs: 1}\naxes:\n  seed: [0]\nmeasure: {inputs: 9223372036854775807}\n")
    let error = try #require(plan([path]).error)
    #expect(error.contains("measure.inputs"))
  }

  @Test func hostilePassCasesThreadsSeedAndTooFewBlocksForMeasure() throws {
    let threads = specFile(
      "base: {type: 4a, epochs: 1}\naxes:\n  seed: [0]\nresources: {threads: 9223372036854775807}\n"
    )
    #expect(plan([threads]).error?.contains("resources.threads") == true)
    let seed = specFile("base: {type: 4a, epochs: 1}\naxes:\n  seed: [18446744073709551615]\n")
    let seeded = plan([seed, "--dir", temporaryDirectory("plan")])
    #expect(seeded.error == nil, "\(seeded.error ?? "")")
    let shallow = specFile(
      "base: {type: 4a, epochs: 1, blocks: 1}\naxes:\n  seed: [0]\nmeasure: {inputs: 4}\n")
    let error = try #require(plan([shallow]).error)
    print("blocks 1 with measure → \(error)")
    #expect(error.contains("run 0") && error.contains("at least 3 blocks"))
  }

  /// Issue 19 defect 3: a snapshot past the last epoch is refused at plan time with train's own
  /// message (`train --snapshot-epochs 3 --epochs 2` exits 64 the same way), and snapshots
  /// with `max_steps` (which may stop before a snapshot epoch ends) are refused; snapshots
  /// within the epochs plan.
  @Test func snapshotsThatNoRunCanWriteAreRefusedAtPlanTime() throws {
    let measure = "measure: {inputs: 4, rank: 2}\n"
    let late = specFile(
      "base: {epochs: 2, blocks: 3}\naxes: {seed: [0]}\n" + measure + "snapshots: [3]\n")
    let lateError = try #require(plan([late, "--dir", temporaryDirectory("plan")]).error)
    print("snapshots: [3], epochs: 2 → \(lateError)")
    #expect(lateError.contains("run 0") && lateError.contains("--snapshot-epochs"))
    let capped = specFile(
      "base: {epochs: 2, blocks: 3, max_steps: 30}\naxes: {seed: [0]}\n" + measure
        + "snapshots: [1, 2]\n")
    let cappedError = try #require(plan([capped, "--dir", temporaryDirectory("plan")]).error)
    print("snapshots: [1, 2], max_steps: 30 → \(cappedError)")
    #expect(cappedError.contains("run 0") && cappedError.contains("max_steps"))
    let fine = specFile(
      "base: {epochs: 2, blocks: 3}\naxes: {seed: [0]}\n" + measure + "snapshots: [1, 2]\n")
    #expect(plan([fine, "--dir", temporaryDirectory("plan")]).error == nil)
  }
}
