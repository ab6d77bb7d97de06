import ArgumentParser
import Empirical
import Foundation
import TestSupport
import Testing

@testable import UJMCommandLine

/// Parses and runs `arguments` in-process; returns the exit code and the parser's message.
private func run(_ arguments: [String]) -> (code: Int32, message: String) {
  do {
    var command = try UJMCommand.parseAsRoot(arguments)
    try command.run()
    return (0, "")
  } catch {
    return (UJMCommand.exitCode(for: error).rawValue, UJMCommand.message(for: error))
  }
}

private func dataDirectory() -> String {
  let directory = temporaryDirectory("cli-data")
  writeSyntheticImageData(to: directory, train: 96, test: 30, side: 4, classes: 3)
  return directory
}

private let tiny = ["--blocks", "1", "--width", "8", "--batch-size", "16", "--classes", "0,1,2"]

@Suite("ujm train / ujm evaluate: options, exit codes, files written", .serialized)
struct TrainCommandTests {
  @Test(arguments: [
    (["--epochs", "-1"], "--epochs"), (["--epochs", "1", "--batch-size", "0"], "--batch-size"),
    (["--epochs", "1", "--lr", "-1"], "--lr"),
    (["--epochs", "1", "--classes", "3,3"], "--classes"),
    (["--epochs", "1", "--classes", "11"], "--classes"),
    (["--epochs", "1", "--drop-path", "1.5"], "--drop-path"),
    (["--epochs", "1", "--type", "7"], "--type"),
    (["--epochs", "1", "--weight-decay", "-0.1"], "--weight-decay"),
  ])
  func badArgumentsExit64NamingTheArgument(arguments: [String], option: String) {
    let (code, message) = run(["train"] + arguments)
    print("train \(arguments.joined(separator: " ")): exit \(code), \(message)")
    #expect(code == 64)
    #expect(message.contains(option))
  }

  @Test func missingOrCorruptDataDirectoryExits64NamingData() throws {
    var command = try #require(
      try UJMCommand.parseAsRoot(["train", "--epochs", "1", "--data", "/nonexistent-ujm-data"])
        as? Train)
    #expect {
      try command.execute()
    } throws: { error in
      (error as? UsageError)?.description.hasPrefix("--data: /nonexistent-ujm-data") == true
    }
    #expect(run(["train", "--epochs", "1", "--data", "/nonexistent-ujm-data"]).code == 64)

    let corrupt = dataDirectory()
    let labels = (corrupt as NSString).appendingPathComponent("t10k-labels-idx1-ubyte")
    FileManager.default.createFile(atPath: labels, contents: Data([1, 2, 3, 4, 5]))
    command = try #require(
      try UJMCommand.parseAsRoot(["train", "--epochs", "1", "--data", corrupt]) as? Train)
    #expect {
      try command.execute()
    } throws: { error in
      let text = (error as? UsageError)?.description ?? ""
      return text.hasPrefix("--data: ") && text.contains("t10k-labels-idx1-ubyte")
    }
  }

  @Test func trainWritesCheckpointsMetricsAndResumes() throws {
    let data = dataDirectory()
    let output = temporaryDirectory("cli-run")
    let common = tiny + ["--data", data, "--output", output, "--json"]
    #expect(run(["train", "--epochs", "2"] + common).code == 0)
    let metricsPath = (output as NSString).appendingPathComponent("metrics.jsonl")
    var lines = try String(contentsOfFile: metricsPath, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 2)
    let fields = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any]
    for key in [
      "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "seconds",
      "samples_per_second",
    ] {
      #expect(fields?[key] != nil, "metrics.jsonl lacks \(key)")
    }
    let checkpoint = try Checkpoint(
      contentsOf: (output as NSString).appendingPathComponent("checkpoint.safetensors"))
    #expect(checkpoint.metadata.epochs == 2 && checkpoint.metadata.classes == [0, 1, 2])
    #expect(checkpoint.metadata.skips == true && checkpoint.metadata.seed == 0)
    #expect(checkpoint.model.depth == 1 && checkpoint.model.width == 8)

    // A changed hyper-parameter is refused, naming it, unless the change is declared.
    let refused = run(["train", "--epochs", "3", "--resume"] + common)
    #expect(refused.code == 64)
    #expect(run(["train", "--epochs", "2", "--resume", "--no-such"] + common).code == 64)
    #expect(
      run(["train", "--epochs", "3", "--resume", "--allow-change", "epochs"] + common).code == 0)
    lines = try String(contentsOfFile: metricsPath, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 3)
    // Nothing left to do: says so and exits 0 without touching the run.
    let before = FileManager.default.contents(atPath: metricsPath)
    #expect(
      run(["train", "--epochs", "3", "--resume", "--allow-change", "epochs"] + common).code == 0)
    #expect(FileManager.default.contents(atPath: metricsPath) == before)
    // Without --resume an existing run is never overwritten.
    #expect(run(["train", "--epochs", "1"] + common).code == 64)

    let evaluation = run([
      "evaluate", "--checkpoint",
      (output as NSString).appendingPathComponent("checkpoint.safetensors"),
      "--data", data, "--json",
    ])
    #expect(evaluation.code == 0)
  }

  @Test func epochsZeroWritesTheInitialCheckpointAndMaxStepsStops() throws {
    let data = dataDirectory()
    let initial = temporaryDirectory("cli-init")
    #expect(run(["train", "--epochs", "0", "--data", data, "--output", initial] + tiny).code == 0)
    let c = try Checkpoint(
      contentsOf: (initial as NSString).appendingPathComponent("checkpoint.safetensors"))
    #expect(c.metadata.epochs == 0 && c.model.bn0.batchesTracked == 0)

    let stopped = temporaryDirectory("cli-steps")
    #expect(
      run(
        ["train", "--epochs", "5", "--max-steps", "3", "--data", data, "--output", stopped] + tiny
      )
      .code == 0)
    let s = try Checkpoint(
      contentsOf: (stopped as NSString).appendingPathComponent("checkpoint.safetensors"))
    #expect(s.metadata.steps == 3 && s.model.bn0.batchesTracked == 3)
  }

  @Test func resumeWithoutSnapshotStartsAfreshAndEvaluateOfACorruptCheckpointExits64() throws {
    let empty = temporaryDirectory("cli-empty")
    let data = dataDirectory()
    #expect(
      run(["train", "--epochs", "1", "--resume", "--output", empty, "--data", data] + tiny).code
        == 0)
    #expect(
      FileManager.default.fileExists(
        atPath: (empty as NSString).appendingPathComponent("checkpoint.safetensors")))
    let bad = (empty as NSString).appendingPathComponent("bad.safetensors")
    FileManager.default.createFile(atPath: bad, contents: Data([9, 0, 0, 0, 0, 0, 0, 0, 1]))
    var command = try #require(
      try UJMCommand.parseAsRoot(["evaluate", "--checkpoint", bad]) as? Evaluate)
    #expect {
      try command.execute()
    } throws: { error in
      (error as? UsageError)?.description.hasPrefix("--checkpoint: \(bad)") == true
    }
    _ = command
  }

  @Test func divergenceStopsWithExit1AndKeepsTheLastGoodCheckpoint() throws {
    let data = dataDirectory()
    let output = temporaryDirectory("cli-diverge")
    let common = tiny + ["--data", data, "--output", output]
    #expect(run(["train", "--epochs", "1"] + common).code == 0)
    let path = (output as NSString).appendingPathComponent("checkpoint.safetensors")
    let before = try #require(FileManager.default.contents(atPath: path))
    let (code, _) = run(
      ["train", "--epochs", "4", "--resume", "--lr", "1e30", "--allow-change", "lr,epochs"]
        + common)
    #expect(code == 1)
    #expect(FileManager.default.contents(atPath: path) == before)
    let checkpoint = try Checkpoint(contentsOf: path)
    #expect(checkpoint.metadata.epochs == 1)
  }
}
