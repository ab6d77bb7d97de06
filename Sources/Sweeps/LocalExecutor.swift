// Goals, in order of priority: keep going when a run fails; never more than K runs at once;
// progress a person can read (done, failed, running, elapsed, an estimate of the rest).

import Foundation
import LinearAlgebra

#if canImport(Glibc)
  import Glibc
#endif

/// Counts and times of a local sweep, as shown in its progress line and returned at the end.
public struct LocalProgress: Sendable, Equatable {
  public var total: Int
  public var done: Int = 0
  public var failed: Int = 0
  /// Runs that another process held (another `sweep local` on the same directory): not failed.
  public var held: Int = 0
  public var running: Int = 0
  public var elapsed: Double = 0

  /// The remaining seconds, extrapolated from the mean time per finished run at this parallelism
  /// (nil before the first run finishes).
  public func remaining(jobs: Int) -> Double? {
    let finished = done + failed + held
    guard finished > 0 else { return nil }
    let left = total - finished
    return elapsed / Double(finished) * Double(left)
  }

  public func line(jobs: Int) -> String {
    let rest = remaining(jobs: jobs).map { "about \(Self.clock($0)) left" } ?? "estimating"
    return "sweep: \(done + failed + held)/\(total) finished (\(done) complete, \(failed) failed"
      + (held > 0 ? ", \(held) held by another process" : "") + "), "
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
    var linkInfo = stat()
    if lstat(logDirectory, &linkInfo) == 0 && linkInfo.st_mode & S_IFMT == S_IFLNK {
      throw .cannotWrite(
        path: logDirectory, reason: "is a symbolic link; ujm does not write through links")
    }
    do {
      try AtomicFile.createDirectory(logDirectory)
    } catch {
      throw .cannotWrite(path: logDirectory, reason: error.description)
    }
    let start = Date()
    var progress = LocalProgress(total: indices.count)
    var queue = indices[...]
    var active: [(index: Int, process: Process)] = []
    var failed = [Int]()
    var lastReport = Date.distantPast
    while !queue.isEmpty || !active.isEmpty {
      var changed = false
      // After SIGINT or SIGTERM (forwarded to the running runs), start nothing more.
      if ChildProcesses.shared.interruption != nil { queue.removeAll() }
      while active.count < jobs, let index = queue.popFirst() {
        active.append((index, try launch(index)))
        changed = true
      }
      active.removeAll { entry in
        guard !entry.process.isRunning else { return false }
        ChildProcesses.shared.unregister(entry.process.processIdentifier)
        let exited = entry.process.terminationReason == .exit
        if exited && entry.process.terminationStatus == 0 {
          progress.done += 1
        } else if exited && entry.process.terminationStatus == Self.heldStatus {
          progress.held += 1
        } else if ChildProcesses.shared.interruption != nil {
          // Stopped by the forwarded signal: resumable, not failed.
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

  /// The exit status of `sweep run` when another process holds the run (EX_TEMPFAIL).
  public static let heldStatus: Int32 = 75

  private func launch(_ index: Int) throws(RunError) -> Process {
    let path = (logDirectory as NSString).appendingPathComponent("local_\(index).out")
    // Appended to, never truncated: another sweep on the same directory may be writing it, and
    // an earlier attempt's output stays above this one's.
    // Only a log ujm created (listed in the directory's record) is appended to.
    let fd: Int32
    do {
      fd = try OutputFile.openForAppending(path)
    } catch {
      throw .cannotWrite(path: path, reason: error.reason)
    }
    var info = stat()
    guard fd >= 0, fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      let reason = fd >= 0 ? "is not a regular file" : String(cString: strerror(errno))
      if fd >= 0 { close(fd) }
      throw .cannotWrite(path: path, reason: reason)
    }
    let log = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ujm)
    process.arguments = runArguments + ["--index", String(index)]
    process.environment = ChildProcesses.environment(environment)
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = log
    process.standardError = log
    do {
      try process.run()
    } catch {
      throw .cannotStart(executable: ujm, reason: reasonText(error))
    }
    ChildProcesses.shared.register(process.processIdentifier)
    try? log.close()
    return process
  }
}
