import ArgumentParser
import Empirical
import Foundation
import TestSupport
import Testing

@testable import UJMCommandLine

/// Parses and runs `arguments` in-process; returns the exit code and the one-line message
/// (`train` runs its `execute()`, whose `UsageError` carries the line `run()` would print).
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

private let tiny = [
  "--blocks", "1", "--width", "8", "--batch-size", "16", "--epochs", "1", "--classes", "0,1",
]

@Suite("ujm train --labels: CIFAR-100's coarse labels, recorded and used again", .serialized)
struct CIFARLabelsCommandTests {
  /// Example n of the written files has fine label n % 100 and coarse label n % 20: of 60
  /// training examples, classes 0 and 1 hold 2 fine examples (n = 0, 1) and 6 coarse ones
  /// (n = 0, 1, 20, 21, 40, 41).
  @Test func coarseLabelsAreTrainedOnRecordedAndUsedByEvaluate() throws {
    let data = temporaryDirectory("cifar100-labels")
    writeSyntheticCIFAR(to: data, cifar100: true, train: 60, test: 40, classes: 100)
    let output = (temporaryDirectory("cifar100-run") as NSString).appendingPathComponent("coarse")
    let trained = run(["train", "--labels", "coarse", "--data", data, "--output", output] + tiny)
    #expect(trained.code == 0, "\(trained.message)")
    let checkpoint = (output as NSString).appendingPathComponent("checkpoint.safetensors")
    #expect(try Checkpoint(contentsOf: checkpoint).metadata.labels == .coarse)
    let loaded = try CheckpointWithData(checkpoint: output, data: data)
    print("coarse run: \(loaded.dataset.train.count) training examples of classes 0, 1 (6 coarse)")
    #expect(loaded.dataset.labels == .coarse && loaded.dataset.train.count == 6)
    #expect(run(["evaluate", "--checkpoint", output, "--data", data, "--json"]).code == 0)

    let fine = (temporaryDirectory("cifar100-run") as NSString).appendingPathComponent("fine")
    #expect(run(["train", "--data", data, "--output", fine] + tiny).code == 0)
    let fineData = try CheckpointWithData(checkpoint: fine, data: data)
    let fineMetadata = try Checkpoint(
      contentsOf: (fine as NSString).appendingPathComponent("checkpoint.safetensors")
    ).metadata
    print("fine run: \(fineData.dataset.train.count) training examples (2 fine)")
    #expect(fineMetadata.labels == nil && fineData.dataset.train.count == 2)

    let resumed = run(
      ["train", "--labels", "fine", "--data", data, "--output", output, "--resume"] + tiny)
    print("resume with other labels: exit \(resumed.code), \(resumed.message)")
    #expect(resumed.code == 64 && resumed.message.contains("--labels"))
  }

  @Test func coarseLabelsOfADataSetWithoutThemExit64() {
    let data = temporaryDirectory("idx-labels")
    writeSyntheticImageData(to: data, train: 48, test: 12, side: 4, classes: 3)
    let output = (temporaryDirectory("idx-labels-run") as NSString).appendingPathComponent("run")
    let (code, message) = run(
      ["train", "--labels", "coarse", "--data", data, "--output", output] + tiny)
    print("--labels coarse on IDX data: exit \(code), \(message)")
    #expect(code == 64 && message.contains("--labels coarse") && message.contains("CIFAR-100"))
    let bad = run(["train", "--labels", "medium", "--data", data, "--output", output] + tiny)
    #expect(bad.code == 64 && bad.message.contains("--labels"))
  }
}
