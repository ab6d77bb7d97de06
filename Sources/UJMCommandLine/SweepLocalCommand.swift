import ArgumentParser
import Foundation
import Sweeps

/// `ujm sweep local`: the pending runs of a sweep on this machine, K at a time.
struct SweepLocalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "local", abstract: "Run a sweep's pending runs on this machine, K at a time.",
    discussion: """
      Each run is `ujm sweep run SPEC --dir DIR --index i` in its own process with \
      OPENBLAS_NUM_THREADS = the spec's resources.threads (default: cores / K), its output in \
      DIR/logs/local_<i>.out (appended to). Failed runs are left alone unless --retry-failed, \
      which runs only them; runs that another process holds are skipped and reported as held, \
      not failed. SIGINT, SIGTERM and SIGHUP are forwarded to the running runs, which stop and \
      stay resumable; the exit status is then 128 + the signal.
      """)

  @OptionGroup var sweep: SweepSelection

  @Option(parsing: .unconditional, help: "Runs at once.")
  var jobs: Int = 1

  @Flag(name: .customLong("retry-failed"), help: "Re-run only the failed runs.")
  var retryFailed = false

  @Flag(help: "Print the final status as JSON (as sweep status --json).")
  var json = false

  func validate() throws {
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
  }

  func run() throws {
    // Ctrl-C, kill or a hang-up reach every running run, which stops its step and stays
    // resumable; nothing more starts.
    ChildProcesses.shared.forwardTerminationSignals()
    var failed = 0
    try reportingUsageErrors(command: "sweep local") { failed = try execute() }
    if let signal = ChildProcesses.shared.interruption { throw ExitCode(128 + signal) }
    if failed > 0 { throw ExitCode(1) }
  }

  /// Runs the sweep; returns the number of runs that failed.
  func execute() throws -> Int {
    let plan = try sweep.plan()
    let wanted: RunStatus = retryFailed ? .failed : .pending
    let indices = plan.runs.filter { SweepRunDirectory(path: $0.directory).status == wanted }
      .map(\.index)
    let threads = plan.spec.resources.threads ?? max(1, availableCores / jobs)
    var args = ["sweep", "run", SweepSelection.absolute(sweep.spec)]
    args += ["--dir", SweepSelection.absolute(plan.directory)]
    if let v = sweep.variant { args += ["--variant", v] }
    let executor = LocalExecutor(
      ujm: ujmExecutable(), runArguments: args, jobs: jobs, threads: threads,
      logDirectory: (SweepSelection.absolute(plan.directory) as NSString)
        .appendingPathComponent("logs"))
    printError(
      "ujm sweep local: \(indices.count) \(wanted.rawValue) of \(plan.runs.count) runs, "
        + "\(jobs) at a time, \(threads) OpenBLAS thread\(threads == 1 ? "" : "s") each")
    let result: (progress: LocalProgress, failed: [Int])
    do {
      result = try executor.run(indices) { printError($0.line(jobs: jobs)) }
    } catch {
      throw UsageError("--dir \(plan.directory): \(error)")
    }
    if let signal = ChildProcesses.shared.interruption {
      printError(
        "ujm sweep local: interrupted by signal \(signal): the runs that were running stopped "
          + "and resume where they stopped on the next sweep local")
    }
    if result.progress.held > 0 {
      printError(
        "ujm sweep local: \(result.progress.held) run(s) held by another process (another sweep "
          + "on this directory); not counted as failed")
    }
    for index in result.failed {
      let dir = SweepRunDirectory(path: plan.runs[index].directory)
      printError(
        "run \(index) failed: \(dir.failureRecord?.lastLogLine ?? dir.lastLogLine ?? "no log") "
          + "(log: \(plan.directory)/logs/local_\(index).out)")
    }
    let status = SweepStatusReport(plan)
    print(json ? try jsonLine(status) : status.text)
    return result.failed.count
  }
}
