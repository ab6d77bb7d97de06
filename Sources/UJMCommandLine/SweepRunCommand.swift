import ArgumentParser
import Foundation
import Sweeps

/// `ujm sweep run`: executes one run of a sweep (what a Slurm array task does).
struct SweepRunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Execute one run of a sweep (skip if complete, else resume).",
    discussion: """
      Runs `ujm train … --output RUNDIR --json [--resume]`, then `ujm measure` on the snapshots \
      and the final checkpoint, each as a child process of this same ujm executable, and writes \
      RUNDIR/complete.json last. Exit status: 0 complete (or already complete), 1 a step failed \
      (RUNDIR/failed.json has its last log line), 75 another process holds the run's lock, \
      128 + N stopped by signal N (SIGINT, SIGTERM, SIGHUP: forwarded to the step, the run left \
      resumable).
      """)

  @OptionGroup var sweep: SweepSelection

  @Option(parsing: .unconditional, help: "The run's 0-based index in the plan.")
  var index: Int

  func validate() throws {
    guard index >= 0 else { throw ValidationError("--index must be 0 or more (got \(index))") }
  }

  func run() throws {
    // Ctrl-C, kill or a hang-up stop the step running now and leave the run resumable.
    ChildProcesses.shared.forwardTerminationSignals()
    var outcome: RunOutcome = .skipped
    try reportingUsageErrors(command: "sweep run") { outcome = try execute() }
    if case .failed = outcome { throw ExitCode(1) }
  }

  func execute() throws -> RunOutcome {
    let plan = try sweep.plan(validating: { $0 == index })
    guard let run = plan.run(at: index) else {
      throw UsageError(
        "--index \(index): the sweep has \(plan.runs.count) runs (0–\(plan.runs.count - 1))")
    }
    let executor = RunExecutor(ujm: ujmExecutable()) { printError("ujm sweep run: " + $0) }
    do {
      let outcome = try executor.execute(run, of: plan.spec)
      if outcome == .skipped { printError("ujm sweep run: run \(index) is complete; skipped") }
      return outcome
    } catch .lock(let error) {
      printError("ujm sweep run: error: \(error)")
      throw ExitCode(75)
    } catch .interrupted(let signal) {
      printError("ujm sweep run: run \(index) \(RunError.interrupted(signal: signal))")
      throw ExitCode(128 + signal)
    } catch {
      printError("ujm sweep run: error: \(error)")
      throw ExitCode(1)
    }
  }
}
