// Goals, in order of priority: keep going when a run fails; never more than K runs at once;
// progress a person can read (done, failed, running, elapsed, an estimate of the rest).

import Foundation

/// Counts and times of a local sweep, as shown in its progress line and returned at the end.
public struct LocalProgress: Sendable, Equatable {
  public var total: Int
  public var done: Int = 0
  public var failed: Int = 0
  public var running: Int = 0
  public var elapsed: Double = 0

  /// The remaining seconds, extrapolated from the mean time per finished run at this parallelism
  /// (nil before the first run finishes).
  public func remaining(jobs: Int) -> Double? {
    let finished = done + failed
    guard finished > 0 else { return nil }
    let left = total - finished
    return elapsed / Double(finished) * Double(left)
  }

  public func line(jobs: Int) -> String {
    let rest = remaining(jobs: jobs).map { "about \(Self.clock($0)) left" } ?? "estimating"
    return "sweep: \(done + failed)/\(total) finished (\(done) complete, \(failed) failed), "
      + "\(running) running; \(Self.clock(elapsed)) elapsed, \(rest)"
  }

  static func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600
      ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
      : String(format: "%d:%02d", s / 60, s % 60)
  }
}

/// Runs a sweep's runs on this machine, K at a time, each as `ujm sweep run … --index i` in its
/// own process with `OPENBLAS_NUM_THREADS` set to the threads per run.
///
/// A run's process writes its output to `DIR/logs/local_<index>.out` (the Slurm executor's
/// `DIR/logs/<job>_<index>.out`). A run that fails is counted and the others go on.
public struct LocalExecutor: Sendable {
  public var ujm: String
  /// The arguments of `ujm` that run one index (`sweep run SPEC --dir DIR [--variant V]`).
  public var runArguments: [String]
  public var jobs: Int
  public var threads: Int
  public var logDirectory: String

  public init(ujm: String, runArguments: [String], jobs: Int, threads: Int, logDirectory: String) {
    self.ujm = ujm
    self.runArguments = runArguments
    self.jobs = jobs
    self.threads = threads
    self.logDirectory = logDirectory
  }

  /// The children's environment: this process's with `OPENBLAS_NUM_THREADS` set.
  public var environment: [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["OPENBLAS_NUM_THREADS"] = String(threads)
    return env
  }

  /// Runs `indices`; calls `report` on every change and every `interval` seconds; returns the
  /// final counts and the indices that failed.
  public func run(
    _ indices: [Int], interval: Double = 10,
    report: (LocalProgress) -> Void
  ) throws(RunError) -> (progress: LocalProgress, failed: [Int]) {
    do {
      try FileManager.default.createDirectory(
        atPath: logDirectory, withIntermediateDirectories: true)
    } catch {
      throw .cannotWrite(path: logDirectory, reason: "\(error)")
    }
    let start = Date()
    var progress = LocalProgress(total: indices.count)
    var queue = indices[...]
    var active: [(index: Int, process: Process)] = []
    var failed = [Int]()
    var lastReport = Date.distantPast
    while !queue.isEmpty || !active.isEmpty {
      var changed = false
      while active.count < jobs, let index = queue.popFirst() {
        active.append((index, try launch(index)))
        changed = true
      }
      active.removeAll { entry in
        guard !entry.process.isRunning else { return false }
        if entry.process.terminationStatus == 0 && entry.process.terminationReason == .exit {
          progress.done += 1
        } else {
          progress.failed += 1
          failed.append(entry.index)
        }
        changed = true
        return true
      }
      progress.running = active.count
      progress.elapsed = Date().timeIntervalSince(start)
      if changed || Date().timeIntervalSince(lastReport) >= interval {
        report(progress)
        lastReport = Date()
      }
      if !active.isEmpty { Thread.sleep(forTimeInterval: 0.2) }
    }
    progress.elapsed = Date().timeIntervalSince(start)
    return (progress, failed.sorted())
  }

  private func launch(_ index: Int) throws(RunError) -> Process {
    let path = (logDirectory as NSString).appendingPathComponent("local_\(index).out")
    guard FileManager.default.createFile(atPath: path, contents: nil),
      let log = FileHandle(forWritingAtPath: path)
    else {
      throw .cannotWrite(path: path, reason: "cannot be created")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ujm)
    process.arguments = runArguments + ["--index", String(index)]
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = log
    process.standardError = log
    do {
      try process.run()
    } catch {
      throw .cannotStart(executable: ujm, reason: "\(error)")
    }
    try? log.close()
    return process
  }
}
