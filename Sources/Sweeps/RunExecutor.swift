// Goals, in order of priority: a run never looks complete unless every step succeeded; an
// interrupted run resumes where it stopped; each step is a separate `ujm` process, so a crash or
// kill of one leaves the run directory readable and the next attempt can pick it up.

import Foundation
import LinearAlgebra

#if canImport(Glibc)
  import Glibc
#endif

/// Why `sweep run` could not run a run (as opposed to a step that failed).
public enum RunError: Error, Sendable, Equatable, CustomStringConvertible {
  case lock(RunLockError)
  case cannotWrite(path: String, reason: String)
  case cannotStart(executable: String, reason: String)
  /// A termination signal (SIGINT, SIGTERM, SIGHUP) stopped the run: it is left resumable.
  case interrupted(signal: Int32)

  public var description: String {
    switch self {
    case .interrupted(let signal):
      "interrupted by signal \(signal); the run resumes where it stopped when run again"
    case .lock(let e): "\(e)"
    case .cannotWrite(let path, let reason): "\(path): cannot be written (\(reason))"
    case .cannotStart(let executable, let reason): "\(executable): cannot be started (\(reason))"
    }
  }
}

/// What became of a run.
public enum RunOutcome: Sendable, Equatable {
  /// It was complete before: nothing was done.
  case skipped
  /// Every step succeeded and the completion marker is written.
  case completed
  /// A step failed; `failed.json` records it.
  case failed(StepFailure)
}

/// Executes one planned run by running `ujm train` and `ujm measure` as child processes.
///
/// Steps, each skipped when its result is already there:
/// 1. `ujm train <options> --output RUNDIR --json --resume` → `train.json`, its summary (the
///    last line of its stdout), written only after it exits 0. `train --resume` continues from
///    the directory's latest complete snapshot, starts afresh when there is none, and refuses
///    changed hyper-parameters, so it is right for a first attempt and for every retry;
/// 2. for each snapshot epoch E, `ujm measure --checkpoint RUNDIR/checkpoint-epochE.safetensors`
///    → `measure-epochE.json`;
/// 3. `ujm measure --checkpoint RUNDIR --json <measure options>` → `measure.json`;
/// 4. `complete.json`, atomically, last.
/// A step's standard error is appended to `log.txt`. Outputs are written with `AtomicFile`, so a
/// kill leaves either the whole file or none.
public struct RunExecutor: Sendable {
  /// The `ujm` executable the steps run.
  public var ujm: String
  /// The children's environment (e.g. `OPENBLAS_NUM_THREADS`); nil: this process's.
  public var environment: [String: String]?
  /// Called with a line of progress (to standard error).
  public var progress: @Sendable (String) -> Void

  public init(
    ujm: String, environment: [String: String]? = nil,
    progress: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.ujm = ujm
    self.environment = environment
    self.progress = progress
  }

  /// The arguments of the training step.
  public static func trainArguments(_ run: PlannedRun, snapshots: [Int], resume: Bool)
    -> [String]
  {
    var args = ["train"]
    for s in run.train { args += [s.option, s.value] }
    // `--snapshot-epochs`, so that `train` checks each epoch against `--epochs` (a spec's
    // snapshot past the last epoch is refused at plan time, as on the command line).
    if !snapshots.isEmpty {
      args += ["--snapshot-epochs", snapshots.sorted().map(String.init).joined(separator: ",")]
    }
    args += ["--output", run.directory, "--json"]
    if resume { args.append("--resume") }
    return args
  }

  /// The arguments of a measuring step.
  public static func measureArguments(checkpoint: String, options: [Setting]) -> [String] {
    var args = ["measure", "--checkpoint", checkpoint, "--json"]
    for s in options { args += [s.option, s.value] }
    return args
  }

  /// Runs `run` of `spec`: skips it when complete, resumes it when interrupted; throws when it
  /// cannot start (another process holds it); returns `.failed` when a step fails.
  public func execute(_ run: PlannedRun, of spec: SweepSpec) throws(RunError) -> RunOutcome {
    let dir = SweepRunDirectory(path: run.directory)
    if dir.status == .complete { return .skipped }
    do {
      try AtomicFile.createDirectory(run.directory)
    } catch {
      throw .cannotWrite(path: run.directory, reason: error.description)
    }
    let lock: RunLock
    do { lock = try RunLock.acquire(at: dir.lock) } catch { throw .lock(error) }
    defer { lock.release() }
    if dir.status == .complete { return .skipped }  // finished while we waited for the lock
    try? FileManager.default.removeItem(atPath: dir.failure)
    // An output that does not read is redone: remove it (regular files only; anything else
    // there makes the step's atomic write fail, naming it).
    for file in dir.unreadableFiles {
      var info = stat()
      if lstat(file.path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG {
        try? FileManager.default.removeItem(atPath: file.path)
      }
    }
    let label = "run \(run.index) (\(run.settingsText))"

    // Training is done when its summary and its checkpoint are both there: a train.json alone
    // (put there by hand, or left by another tool) does not skip training.
    if !(dir.exists(dir.trainSummary) && dir.exists(dir.checkpoint)) {
      progress("\(label): \(dir.exists(dir.checkpoint) ? "resuming training" : "training")")
      let args = Self.trainArguments(run, snapshots: spec.snapshots, resume: true)
      let result = try step("train", args, dir)
      guard result.status == 0 else { return try fail(dir, "train", result.status) }
      try writeOutput(Self.lastLine(result.stdout), to: dir.trainSummary)
    }
    if let options = spec.measure {
      for epoch in spec.snapshots where !dir.exists(dir.measurement(epoch: epoch)) {
        progress("\(label): measuring the snapshot of epoch \(epoch)")
        let args = Self.measureArguments(checkpoint: dir.snapshot(epoch: epoch), options: options)
        let result = try step("measure epoch \(epoch)", args, dir)
        guard result.status == 0 else {
          return try fail(dir, "measure epoch \(epoch)", result.status)
        }
        try writeOutput(Self.lastLine(result.stdout), to: dir.measurement(epoch: epoch))
      }
      if !dir.exists(dir.measurement) {
        progress("\(label): measuring")
        let args = Self.measureArguments(checkpoint: dir.checkpoint, options: options)
        let result = try step("measure", args, dir)
        guard result.status == 0 else { return try fail(dir, "measure", result.status) }
        try writeOutput(Self.lastLine(result.stdout), to: dir.measurement)
      }
    }
    let settings = Dictionary(uniqueKeysWithValues: run.settings.map { ($0.key, $0.value) })
    try dir.write(
      RunCompletion(
        index: run.index, settings: settings,
        finished: ISO8601DateFormatter().string(from: Date())),
      to: dir.completion)
    progress("\(label): complete")
    return .completed
  }

  private func fail(_ dir: SweepRunDirectory, _ step: String, _ status: Int32) throws(RunError)
    -> RunOutcome
  {
    let failure = StepFailure(step: step, exitStatus: status, lastLogLine: dir.lastLogLine)
    try dir.write(failure, to: dir.failure)
    progress(
      "run \(dir.path): \(step) failed (exit status \(status)): \(failure.lastLogLine ?? "")")
    return .failed(failure)
  }

  /// The last non-empty line of a step's stdout (its JSON report), with a newline.
  static func lastLine(_ data: Data) -> Data {
    let text = String(decoding: data, as: UTF8.self)
    return Data(((SweepRunDirectory.lastLine(of: text) ?? "") + "\n").utf8)
  }

  private func writeOutput(_ data: Data, to path: String) throws(RunError) {
    do {
      try AtomicFile.write(Array(data), to: path)
    } catch {
      throw .cannotWrite(path: path, reason: reasonText(error))
    }
  }

  /// Runs `ujm <args>` with standard error appended to `log.txt`; returns its status and stdout.
  private func step(_ name: String, _ args: [String], _ dir: SweepRunDirectory) throws(RunError)
    -> (status: Int32, stdout: Data)
  {
    dir.appendLog("$ ujm " + args.joined(separator: " "))
    if let signal = ChildProcesses.shared.interruption { throw .interrupted(signal: signal) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ujm)
    process.arguments = args
    process.environment = ChildProcesses.environment(environment)
    let output = Pipe()
    process.standardOutput = output
    process.standardInput = FileHandle.nullDevice
    let log = try dir.openLog()
    process.standardError = log
    do {
      try process.run()
    } catch {
      throw .cannotStart(executable: ujm, reason: reasonText(error))
    }
    ChildProcesses.shared.register(process.processIdentifier)
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    ChildProcesses.shared.unregister(process.processIdentifier)
    try? log.close()
    // A step stopped by a signal forwarded to it is no failure: the run is left to resume.
    if let signal = ChildProcesses.shared.interruption {
      dir.appendLog("[\(name) stopped by signal \(signal); resumable]")
      throw .interrupted(signal: signal)
    }
    let status =
      process.terminationReason == .uncaughtSignal
      ? 128 + process.terminationStatus : process.terminationStatus
    if status != 0 { dir.appendLog("[\(name) exited with status \(status)]") }
    return (status, stdout)
  }
}
