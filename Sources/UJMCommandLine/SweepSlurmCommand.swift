import ArgumentParser
import Foundation
import LinearAlgebra
import Sweeps

/// `ujm sweep slurm`: writes the sweep's Slurm job-array script and submits it.
struct SweepSlurmCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "slurm", abstract: "Write DIR/sweep.sbatch (a job array) and submit it.",
    discussion: """
      One array task per run (#SBATCH --array=0-(N−1)%K), --cpus-per-task, --mem and --time from \
      the spec's resources, output in DIR/logs/%A_%a.out, OPENBLAS_NUM_THREADS = \
      SLURM_CPUS_PER_TASK, and `ujm sweep run` with absolute paths. Submits with \
      `sbatch --parsable` and prints the job id as the last line of stdout.
      """)

  @OptionGroup var sweep: SweepSelection

  @Flag(name: .customLong("dry-run"), help: "Write the script and print it; do not submit.")
  var dryRun = false

  @Option(
    name: .customLong("max-parallel"), parsing: .unconditional,
    help: "Array tasks at once (default: all runs).")
  var maxParallel: Int?

  @Option(help: "Slurm partition.")
  var partition: String?

  @Option(help: "Slurm account.")
  var account: String?

  func validate() throws {
    if let maxParallel, maxParallel < 1 {
      throw ValidationError("--max-parallel must be at least 1 (got \(maxParallel))")
    }
    for (name, value) in [("--partition", partition), ("--account", account)] {
      if let value, value.isEmpty || value.contains(where: \.isWhitespace) {
        throw ValidationError("\(name) must be one word (got '\(value)')")
      }
    }
  }

  func run() throws { try reportingUsageErrors(command: "sweep slurm") { print(try execute()) } }

  func execute() throws -> String {
    let plan = try sweep.plan()
    let n = plan.runs.count
    let script = SlurmScript(
      name: plan.spec.name, runs: n, maxParallel: min(maxParallel ?? n, n),
      cpusPerTask: plan.spec.resources.threads ?? 1, memory: plan.spec.resources.memory,
      time: plan.spec.resources.time, directory: SweepSelection.absolute(plan.directory),
      partition: partition, account: account, ujm: ujmExecutable(),
      spec: SweepSelection.absolute(sweep.spec), variant: sweep.variant)
    do { try script.validate() } catch { throw UsageError("\(error)") }
    if !dryRun && SlurmSubmission.executable("sbatch") == nil {
      throw UsageError("\(SlurmError.noSbatch)")
    }
    // sweep.sbatch is replaced only when ujm wrote it.
    if let existing = try? RegularFile.text(script.path, maximumBytes: 1 << 16),
      !existing.hasPrefix("#!/bin/bash\n#SBATCH --job-name=")
    {
      throw UsageError(
        "--dir \(plan.directory): \(script.path) exists and was not written by ujm; move it "
          + "away or choose another --dir")
    }
    do {
      try AtomicFile.createDirectory(script.logDirectory)
      try writeAtomically(Data(script.text.utf8), to: script.path)
    } catch let error as UsageError {
      throw UsageError("--dir \(plan.directory): \(error.message)")
    } catch let error as RunFailure {
      throw error  // a full disk: exit 1
    } catch {
      throw UsageError("--dir \(plan.directory): cannot be written (\(reasonText(error)))")
    }
    if dryRun {
      return script.text + "# written to \(script.path) (not submitted: --dry-run)"
    }
    do {
      let id = try SlurmSubmission.submit(script.path)
      printError("ujm sweep slurm: submitted \(script.path): \(n) array tasks")
      return id
    } catch {
      printError("ujm sweep slurm: error: \(error)")
      throw ExitCode(1)
    }
  }
}
