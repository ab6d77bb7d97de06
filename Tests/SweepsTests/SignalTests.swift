import Foundation
import TestSupport
import Testing

@testable import Sweeps

#if canImport(Glibc)
  import Glibc
#endif

/// Every descendant of `pid` (children, grandchildren, …), from /proc.
private func descendants(of pid: Int32) -> [Int32] {
  let direct = children(of: pid)
  return direct + direct.flatMap { descendants(of: $0) }
}

/// Whether `pid` is a live process (not gone, not a zombie).
private func isAlive(_ pid: Int32) -> Bool {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = stat.lastIndex(of: ")")
  else { return false }
  return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
}

/// Waits up to `seconds` for `condition`; returns whether it held.
private func wait(upTo seconds: Double, for condition: () -> Bool) -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if condition() { return true }
    Thread.sleep(forTimeInterval: 0.05)
  }
  return condition()
}

/// Starts `ujm <arguments>` with one BLAS thread, its output discarded.
private func start(_ arguments: [String]) throws -> Process {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: builtUJM!)
  process.arguments = arguments
  process.environment = ["OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"]
  process.standardOutput = FileHandle.nullDevice
  process.standardError = FileHandle.nullDevice
  process.standardInput = FileHandle.nullDevice
  try process.run()
  return process
}

/// Kills whatever is left of `process` and its descendants (a failed test leaves nothing).
private func cleanUp(_ process: Process) {
  for pid in descendants(of: process.processIdentifier) { kill(pid, SIGKILL) }
  if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  process.waitUntilExit()
}

@Suite(
  "Signals: Ctrl-C, kill and kill -9 of a sweep stop its children and leave the runs resumable",
  .serialized,
  .enabled(if: builtUJM != nil, "needs .build/debug/ujm (run swift build --build-tests first)"))
struct SignalTests {
  let executor = RunExecutor(
    ujm: builtUJM ?? "/nonexistent", environment: ["OPENBLAS_NUM_THREADS": "1"])

  @Test(arguments: [SIGINT, SIGTERM])
  func signalToSweepRunStopsItsTrainingAndTheRunResumes(signal: Int32) throws {
    let (plan, dir, yamlPath) = tinySweep(
      "signal-run-\(signal)", axes: "seed: [0]", epochs: 12, train: 3000)
    let run = plan.runs[0]
    let runDir = SweepRunDirectory(path: run.directory)
    let process = try start(["sweep", "run", yamlPath, "--dir", dir, "--index", "0"])
    defer { cleanUp(process) }
    let trained = wait(upTo: 120) {
      !((try? String(contentsOfFile: runDir.metrics, encoding: .utf8)) ?? "").isEmpty
    }
    try #require(trained && process.isRunning, "the run ended before it could be signalled")
    let training = descendants(of: process.processIdentifier)
    try #require(!training.isEmpty, "no train child")

    kill(process.processIdentifier, signal)
    #expect(wait(upTo: 40) { !process.isRunning }, "sweep run did not stop")
    process.waitUntilExit()
    #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signal)
    #expect(wait(upTo: 10) { !training.contains(where: isAlive) }, "train left running")
    #expect(runDir.status == .pending, "left resumable, not failed")
    #expect(!FileManager.default.fileExists(atPath: runDir.failure))
    #expect(try executor.execute(run, of: plan.spec) == .completed)
  }

  @Test func sigtermToSweepLocalStopsEveryRunAndASecondLocalFinishesThem() throws {
    let (plan, dir, yamlPath) = tinySweep(
      "signal-local", axes: "seed: [0, 1]", epochs: 12, train: 3000)
    let dirs = plan.runs.map { SweepRunDirectory(path: $0.directory) }
    let process = try start(["sweep", "local", yamlPath, "--dir", dir, "--jobs", "2"])
    defer { cleanUp(process) }
    let started = wait(upTo: 120) {
      dirs.allSatisfy {
        !((try? String(contentsOfFile: $0.metrics, encoding: .utf8)) ?? "").isEmpty
      }
    }
    try #require(started && process.isRunning, "the runs ended before they could be signalled")
    let all = descendants(of: process.processIdentifier)
    print("sweep local \(process.processIdentifier): descendants \(all)")

    kill(process.processIdentifier, SIGTERM)
    #expect(wait(upTo: 40) { !process.isRunning }, "sweep local did not stop")
    process.waitUntilExit()
    #expect(process.terminationReason == .exit && process.terminationStatus == 128 + SIGTERM)
    #expect(wait(upTo: 10) { !all.contains(where: isAlive) }, "a child was left running")
    #expect(dirs.allSatisfy { $0.status == .pending })

    let again = try runUJM(["sweep", "local", yamlPath, "--dir", dir, "--jobs", "2"])
    print(again.stderr)
    #expect(again.status == 0)
    #expect(dirs.allSatisfy { $0.status == .complete })
  }

  @Test func killMinus9OfSweepRunTakesItsTrainingWithIt() throws {
    let (plan, dir, yamlPath) = tinySweep(
      "signal-orphan", axes: "seed: [0]", epochs: 12, train: 3000)
    let runDir = SweepRunDirectory(path: plan.runs[0].directory)
    let process = try start(["sweep", "run", yamlPath, "--dir", dir, "--index", "0"])
    defer { cleanUp(process) }
    let trained = wait(upTo: 120) {
      !((try? String(contentsOfFile: runDir.metrics, encoding: .utf8)) ?? "").isEmpty
    }
    try #require(trained && process.isRunning, "the run ended before it could be killed")
    let training = descendants(of: process.processIdentifier)
    try #require(!training.isEmpty, "no train child")
    defer { for pid in training { kill(pid, SIGKILL) } }

    kill(process.processIdentifier, SIGKILL)  // no handler sees this one
    process.waitUntilExit()
    #expect(wait(upTo: 10) { !training.contains(where: isAlive) }, "the orphaned train goes on")
    #expect(runDir.status == .pending)
  }

  @Test func twoSweepsOnOneDirectoryShareTheWorkAndBothExit0() throws {
    let (plan, dir, yamlPath) = tinySweep(
      "signal-concurrent", axes: "seed: [0, 1, 2]", epochs: 2, train: 300)
    let a = try start(["sweep", "local", yamlPath, "--dir", dir, "--jobs", "1"])
    defer { cleanUp(a) }
    let b = try runUJM(["sweep", "local", yamlPath, "--dir", dir, "--jobs", "1"])
    #expect(wait(upTo: 300) { !a.isRunning }, "the first sweep did not finish")
    a.waitUntilExit()
    print(b.stderr)
    #expect(b.status == 0, "the second sweep: \(b.stderr)")
    #expect(a.terminationStatus == 0, "the first sweep")
    #expect(!b.stderr.contains("failed:"), "a held run reported as failed")
    for (index, run) in plan.runs.enumerated() {
      let runDir = SweepRunDirectory(path: run.directory)
      // A run may be held by the other sweep when this one ends: complete, or still running.
      #expect(wait(upTo: 120) { runDir.status == .complete }, "run \(index)")
      let log = try String(
        contentsOfFile: (dir as NSString).appendingPathComponent("logs/local_\(index).out"),
        encoding: .utf8)
      #expect(log.contains("complete"), "run \(index)'s log kept its runner's lines: \(log)")
    }
  }
}
