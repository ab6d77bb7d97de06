import ArgumentParser
import Empirical
import Foundation
import TestSupport
import Testing

@testable import UJMCommandLine

private func run(_ arguments: [String]) -> (code: Int32, message: String) {
  do {
    var command = try UJMCommand.parseAsRoot(arguments)
    if let train = command as? Train { try train.execute() } else { try command.run() }
    return (0, "")
  } catch let error as UsageError {
    return (64, error.message)
  } catch {
    return (UJMCommand.exitCode(for: error).rawValue, UJMCommand.message(for: error))
  }
}

private let tiny = ["--blocks", "1", "--width", "8", "--batch-size", "16", "--classes", "0,1,2"]

/// `ujm train --weight-decay-scope` end to end: recorded in the checkpoint, reported by evaluate,
/// refused on a resume that changes it; `--snapshot-epochs` keeps exactly the epochs named.
@Suite("ujm train --weight-decay-scope and --snapshot-epochs", .serialized)
struct WeightDecayScopeCommandTests {
  @Test func scopeIsRecordedReportedAndCannotChangeOnResume() throws {
    let data = temporaryDirectory("scope-data")
    writeSyntheticImageData(to: data, train: 64, test: 16, side: 4, classes: 3)
    let output = temporaryDirectory("scope-run")
    let common = tiny + ["--data", data, "--output", output, "--weight-decay", "0.01"]
    #expect(run(["train", "--epochs", "1", "--weight-decay-scope", "no-norm"] + common).code == 0)
    let checkpoint = (output as NSString).appendingPathComponent("checkpoint.safetensors")
    let metadata = try Checkpoint(contentsOf: checkpoint).metadata
    #expect(metadata.weightDecayScope == "no-norm" && metadata.weightDecay == 0.01)

    let changed = run(
      ["train", "--epochs", "1", "--resume", "--weight-decay-scope", "weights"] + common)
    print("resume with another scope: exit \(changed.code): \(changed.message)")
    #expect(changed.code == 64 && changed.message.contains("weight-decay-scope"))
    #expect(changed.message.contains("no-norm") && changed.message.contains("weights"))

    // The evaluate report carries what the checkpoint records (its schema: JSONSchemaTests).
    let report = EvaluationReport(
      testAccuracy: 0, testLoss: 0, trainAccuracy: 0, trainLoss: 0, arch: "x", seconds: 0,
      weightDecay: metadata.weightDecay, weightDecayScope: metadata.weightDecayScope)
    let json = try jsonLine(report)
    #expect(json.contains("\"weight_decay_scope\":\"no-norm\""))
    let unrecorded = try jsonLine(
      EvaluationReport(
        testAccuracy: 0, testLoss: 0, trainAccuracy: 0, trainLoss: 0, arch: "x", seconds: 0))
    #expect(unrecorded.contains("\"weight_decay_scope\":null"))
  }

  @Test func snapshotEpochsKeepExactlyTheEpochsNamed() throws {
    let data = temporaryDirectory("snap-data")
    writeSyntheticImageData(to: data, train: 32, test: 8, side: 4, classes: 3)
    let output = temporaryDirectory("snap-run")
    let common = tiny + ["--data", data, "--output", output]
    #expect(run(["train", "--epochs", "4", "--snapshot-epochs", "1,3"] + common).code == 0)
    let kept = try FileManager.default.contentsOfDirectory(atPath: output)
      .filter { $0.hasPrefix("checkpoint-epoch") }.sorted()
    print("--snapshot-epochs 1,3 of 4 kept \(kept)")
    #expect(kept == ["checkpoint-epoch1.safetensors", "checkpoint-epoch3.safetensors"])

    let bad = run(["train", "--epochs", "4", "--snapshot-epochs", "1,5"] + tiny)
    print("--snapshot-epochs 1,5 of 4: exit \(bad.code): \(bad.message)")
    #expect(
      bad.code == 64 && bad.message.contains("--snapshot-epochs") && bad.message.contains("5"))
  }
}
