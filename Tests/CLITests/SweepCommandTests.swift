import ArgumentParser
import Foundation
import Sweeps
import TestSupport
import Testing

@testable import UJMCommandLine

/// Parses and runs `arguments` in-process; returns the exit code.
private func exitCode(_ arguments: [String]) -> Int32 {
  do {
    var command = try UJMCommand.parseAsRoot(arguments)
    try command.run()
    return 0
  } catch {
    return UJMCommand.exitCode(for: error).rawValue
  }
}

/// The `UsageError` line that `execute()` of the parsed command throws (nil: none).
private func usageError(_ arguments: [String]) -> String? {
  do {
    let command = try UJMCommand.parseAsRoot(arguments)
    switch command {
    case let c as SweepPlanCommand: _ = try c.execute()
    case let c as SweepRunCommand: _ = try c.execute()
    case let c as SweepSlurmCommand: _ = try c.execute()
    case let c as SweepReportCommand: _ = try c.execute()
    case let c as SweepStatusCommand: _ = try c.execute()
    case let c as SweepLocalCommand: _ = try c.execute()
    default: return nil
    }
    return nil
  } catch let error as UsageError {
    return error.message
  } catch {
    return "\(error)"
  }
}

/// A spec file with `text` in a fresh directory.
private func specFile(_ text: String, name: String = "spec") -> String {
  let path = (temporaryDirectory("sweep-cli") as NSString).appendingPathComponent("\(name).yaml")
  try! text.write(toFile: path, atomically: true, encoding: .utf8)
  return path
}

private let good = """
  base: {type: 4a, blocks: 3, width: 16, epochs: 1}
  axes:
    seed: [0, 1, 2]
  resources: {threads: 2, memory: 2G, time: "00:30:00"}
  small:
    axes: {seed: [0]}
  """

@Suite("ujm sweep: bad input exits 64 naming the option, file, key or line")
struct SweepCommandTests {
  @Test func badSpecIsNamedWithItsLineAndKey() throws {
    let path = specFile("base: {epochs: 1}\naxes:\n  seed: [0]\n  drop_pth: [0]\n")
    let message = try #require(usageError(["sweep", "plan", path]))
    print("sweep plan: \(message)")
    #expect(
      message.hasPrefix(path) && message.contains("line 4") && message.contains("axes.drop_pth"))
    #expect(exitCode(["sweep", "plan", path]) == 64)
  }

  @Test func missingSpecFileIsNamed() throws {
    let message = try #require(usageError(["sweep", "status", "/nonexistent-ujm.yaml"]))
    #expect(message.contains("/nonexistent-ujm.yaml"))
    #expect(exitCode(["sweep", "status", "/nonexistent-ujm.yaml"]) == 64)
  }

  @Test func unknownVariantAndIndexPastTheEndNameTheirOptions() throws {
    let path = specFile(good)
    let variant = try #require(usageError(["sweep", "plan", path, "--variant", "large"]))
    #expect(variant.hasPrefix("--variant large"))
    let index = try #require(usageError(["sweep", "run", path, "--index", "3"]))
    print("sweep run: \(index)")
    #expect(index.hasPrefix("--index 3") && index.contains("3 runs"))
    #expect(exitCode(["sweep", "run", path, "--index", "-1"]) == 64)
    #expect(exitCode(["sweep", "local", path, "--jobs", "0"]) == 64)
    #expect(exitCode(["sweep", "slurm", path, "--max-parallel", "0"]) == 64)
    #expect(exitCode(["sweep", "slurm", path, "--partition", "two words"]) == 64)
    let x = try #require(usageError(["sweep", "report", path, "--figures", "/tmp/x", "--x", "lr"]))
    #expect(x.hasPrefix("--x lr"))
  }

  @Test func planIsStableAndNamesRunDirectoriesUnderDir() throws {
    let path = specFile(good, name: "stable")
    let command = try #require(
      try UJMCommand.parseAsRoot(["sweep", "plan", path, "--dir", "d"]) as? SweepPlanCommand)
    let first = try command.execute()
    #expect(try command.execute() == first)
    let lines = first.split(separator: "\n")
    #expect(lines.count == 4)
    #expect(lines[0] == "sweep stable: 3 runs in d")
    #expect(lines[1].hasPrefix("0  seed=0  d/runs/0-"))
    let small = try #require(
      try UJMCommand.parseAsRoot(["sweep", "plan", path, "--variant", "small"]) as? SweepPlanCommand
    )
    #expect(try small.execute().hasPrefix("sweep stable: 1 run in sweeps/stable"))
  }

  @Test func slurmDryRunWritesTheScriptWithAbsolutePathsAndSubmitsNothing() throws {
    let path = specFile(good, name: "dry")
    let dir = (temporaryDirectory("sweep-dry") as NSString).appendingPathComponent("sw")
    let command = try #require(
      try UJMCommand.parseAsRoot(
        [
          "sweep", "slurm", path, "--dir", dir, "--dry-run", "--max-parallel", "2", "--variant",
          "small",
        ]) as? SweepSlurmCommand)
    let out = try command.execute()
    print(out)
    let script = try String(contentsOfFile: dir + "/sweep.sbatch", encoding: .utf8)
    #expect(out.hasPrefix(script))
    #expect(script.contains("#SBATCH --array=0-0%1"))  // 1 run in the small variant, K ≤ N
    #expect(script.contains("#SBATCH --cpus-per-task=2\n#SBATCH --mem=2G\n#SBATCH --time=00:30:00"))
    #expect(script.contains("#SBATCH --output=\(dir)/logs/%A_%a.out"))
    #expect(
      script.contains(
        " sweep run \(path) --dir \(dir) --variant small --index \"$SLURM_ARRAY_TASK_ID\""))
    #expect(FileManager.default.fileExists(atPath: dir + "/logs"))
  }

  @Test func slurmRefusesANewlineInTheSpecNameOrDirWithoutWritingAScript() throws {
    let dir = (temporaryDirectory("sweep-newline") as NSString).appendingPathComponent("sw")
    let path = specFile(good, name: "dry")
    let hostileDir = dir + "\ntouch /tmp/ujm-pwned"
    let message = try #require(
      usageError(["sweep", "slurm", path, "--dir", hostileDir, "--dry-run"]))
    print("sweep slurm: \(message)")
    #expect(message.hasPrefix("--dir ") && message.contains("control character"))
    #expect(!message.contains("\n"))
    #expect(exitCode(["sweep", "slurm", path, "--dir", hostileDir, "--dry-run"]) == 64)
    #expect(!FileManager.default.fileExists(atPath: hostileDir + "/sweep.sbatch"))

    let named = specFile(good, name: "x\necho pwned")
    let byName = try #require(usageError(["sweep", "slurm", named, "--dir", dir, "--dry-run"]))
    print("sweep slurm: \(byName)")
    #expect(byName.contains("the spec's name") && byName.contains("control character"))
    #expect(!FileManager.default.fileExists(atPath: dir + "/sweep.sbatch"))
  }

  @Test func defaultDirectoryOfASpecNamedDotDotIsRefusedNotTheWorkingDirectory() throws {
    let path = specFile(good, name: "..")  // "...yaml": its name is ".."
    let message = try #require(usageError(["sweep", "plan", path]))
    print("sweep plan: \(message)")
    #expect(message.contains("cannot name a directory under sweeps/") && message.contains("--dir"))
    #expect(exitCode(["sweep", "plan", path]) == 64)
  }

  @Test func sweepErrorsOnAnUnwritableDirAreOneSentenceWithoutNSErrorText() throws {
    let path = specFile(good, name: "unwritable")
    let file = (temporaryDirectory("sweep-file") as NSString).appendingPathComponent("plain")
    try "not a directory".write(toFile: file, atomically: true, encoding: .utf8)
    let under = file + "/sweep"
    let messages = [
      try #require(usageError(["sweep", "slurm", path, "--dir", under, "--dry-run"])),
      try #require(usageError(["sweep", "local", path, "--dir", under])),
      try #require(
        usageError([
          "sweep", "report",
          specFile("base: {epochs: 1}\naxes: {lr: [0.1, 0.2]}\n", name: "lr"), "--dir", under,
          "--figures", under,
        ])),
    ]
    for message in messages {
      print("sweep: \(message)")
      #expect(!message.contains("\n"))
      for dump in ["Error Domain", "NSCocoaErrorDomain", "UserInfo", "NSFilePath", "NSUnderlying"] {
        #expect(!message.contains(dump), "NSError text in: \(message)")
      }
      #expect(message.contains(under) || message.contains(file))
    }
  }

  @Test func reportFiguresRefuseAnUnknownMetricSeedAsXAndNothingToDraw() throws {
    let path = specFile(
      "base: {type: 4a, blocks: 3, width: 16, epochs: 1}\naxes:\n  lr: [0.1, 0.2]\n  seed: [0, 1]\n",
      name: "figures")
    let dir = (temporaryDirectory("sweep-figures") as NSString).appendingPathComponent("sw")
    let figures = (temporaryDirectory("sweep-figures-out") as NSString).appendingPathComponent("f")
    let metric = try #require(
      usageError(["sweep", "report", path, "--dir", dir, "--figures", figures, "--metrics", "acc"]))
    #expect(metric.hasPrefix("--metrics acc") && metric.contains("test_accuracy"))
    let seed = try #require(
      usageError(["sweep", "report", path, "--dir", dir, "--figures", figures, "--x", "seed"]))
    #expect(seed.hasPrefix("--x seed"))
    let nothing = try #require(
      usageError(["sweep", "report", path, "--dir", dir, "--figures", figures]))
    print("sweep report: \(nothing)")
    #expect(nothing.contains("nothing to draw"))
    #expect(exitCode(["sweep", "report", path, "--dir", dir, "--figures", figures]) == 64)
    let onlySeeds = try #require(
      usageError(["sweep", "report", specFile(good, name: "seeds"), "--figures", figures]))
    #expect(onlySeeds.contains("only axis is seed"))
  }

  @Test func slurmDoesNotReplaceASweepSbatchItDidNotWrite() throws {
    let path = specFile(good, name: "foreign")
    let dir = (temporaryDirectory("sweep-foreign") as NSString).appendingPathComponent("sw")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let mine = (dir as NSString).appendingPathComponent("sweep.sbatch")
    try "#!/bin/sh\necho my own job\n".write(toFile: mine, atomically: true, encoding: .utf8)
    let message = try #require(usageError(["sweep", "slurm", path, "--dir", dir, "--dry-run"]))
    #expect(message.contains("not written by ujm"))
    #expect(try String(contentsOfFile: mine, encoding: .utf8) == "#!/bin/sh\necho my own job\n")
    // ujm's own script is rewritten.
    try FileManager.default.removeItem(atPath: mine)
    #expect(usageError(["sweep", "slurm", path, "--dir", dir, "--dry-run"]) == nil)
    #expect(usageError(["sweep", "slurm", path, "--dir", dir, "--dry-run"]) == nil)
  }

  @Test func statusAndReportOfADirThatIsARegularFileExit64NamingIt() throws {
    let path = specFile(good, name: "file-dir")
    let file = (temporaryDirectory("sweep-file-dir") as NSString).appendingPathComponent("plain")
    try "not a directory".write(toFile: file, atomically: true, encoding: .utf8)
    for command in ["status", "report", "plan"] {
      let message = try #require(usageError(["sweep", command, path, "--dir", file]))
      print("sweep \(command): \(message)")
      #expect(message == "--dir \(file): is a regular file, not a directory")
      #expect(exitCode(["sweep", command, path, "--dir", file]) == 64)
    }
  }

  @Test func aSpecThatIsADirectoryIsNamedAsOneNotAsMissing() throws {
    let directory = temporaryDirectory("sweep-spec-dir")
    let message = try #require(usageError(["sweep", "plan", directory]))
    print("sweep plan: \(message)")
    #expect(message == "\(directory): is a directory, not a sweep spec (a YAML file)")
  }

  @Test func reportChecksXAndMetricsWithoutFigures() throws {
    let path = specFile(
      "base: {type: 4a, blocks: 3, width: 16, epochs: 1}\naxes:\n  lr: [0.1, 0.2]\n  seed: [0, 1]\n",
      name: "no-figures")
    let dir = (temporaryDirectory("sweep-no-figures") as NSString).appendingPathComponent("sw")
    let metric = try #require(
      usageError(["sweep", "report", path, "--dir", dir, "--metrics", "acc"]))
    #expect(metric.hasPrefix("--metrics acc: not a metric"))
    let empty = try #require(
      usageError(["sweep", "report", path, "--dir", dir, "--metrics", "nc1,"]))
    #expect(empty.hasPrefix("--metrics '': not a metric"))
    let axis = try #require(usageError(["sweep", "report", path, "--dir", dir, "--x", "width"]))
    #expect(axis.hasPrefix("--x width: not an axis of the sweep (lr, seed)"))
    let seed = try #require(usageError(["sweep", "report", path, "--dir", dir, "--x", "seed"]))
    #expect(seed.hasPrefix("--x seed"))
    #expect(
      usageError(["sweep", "report", path, "--dir", dir, "--x", "lr", "--metrics", "nc1"]) == nil)
  }

  @Test func everyErrorOfASweepSubcommandStartsWithUjmSweepAndItsName() throws {
    let path = specFile(good, name: "prefix")
    for (arguments, prefix) in [
      (["sweep", "status", path, "--bogus"], "ujm sweep status: error: "),
      (["sweep", "run", path, "--index", "x"], "ujm sweep run: error: "),
      (["sweep", "local", path, "--jobs", "0"], "ujm sweep local: error: "),
      (["sweep", "bogus"], "ujm sweep: error: "),
      (["train", "--epochs", "x"], "ujm train: error: "),
    ] {
      do {
        _ = try UJMCommand.parseAsRoot(arguments)
        Issue.record("\(arguments) parsed")
      } catch {
        let line = UJMCommand.errorLine(for: error, arguments: arguments)
        print(line)
        #expect(line.hasPrefix(prefix))
      }
    }
  }

  @Test func statusNamesAGarbageCompletionMarkerAndDoesNotCountTheRunComplete() throws {
    let path = specFile(good, name: "garbage")
    let dir = (temporaryDirectory("sweep-garbage") as NSString).appendingPathComponent("sw")
    let command = try #require(
      try UJMCommand.parseAsRoot(["sweep", "status", path, "--dir", dir]) as? SweepStatusCommand)
    let plan = try command.sweep.plan(validating: { _ in false })
    let run = SweepRunDirectory(path: plan.runs[0].directory)
    try FileManager.default.createDirectory(atPath: run.path, withIntermediateDirectories: true)
    try "garbage".write(toFile: run.completion, atomically: true, encoding: .utf8)
    let text = try command.execute()
    print(text)
    #expect(text.hasPrefix("3 runs: 2 pending, 0 running, 0 complete, 1 failed"))
    #expect(text.contains(run.completion + ": unreadable (is not a completion marker)"))
    let json = try #require(
      try UJMCommand.parseAsRoot(["sweep", "status", path, "--dir", dir, "--json"])
        as? SweepStatusCommand
    ).execute()
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    let runs = try #require(object?["runs"] as? [[String: Any]])
    #expect(runs[0]["status"] as? String == "failed")
    #expect((runs[0]["problem"] as? String)?.contains(run.completion) == true)
    #expect(runs[1]["problem"] is NSNull)
  }
}
