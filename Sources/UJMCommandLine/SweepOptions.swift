import ArgumentParser
import Foundation
import LinearAlgebra
import Sweeps

#if canImport(Glibc)
  import Glibc
#endif

/// The options every `ujm sweep` subcommand shares: the spec, its directory and its variant.
struct SweepSelection: ParsableArguments {
  @Argument(help: "The sweep spec (YAML).")
  var spec: String

  @Option(help: "The sweep's directory (default sweeps/<the spec's base name>).")
  var dir: String?

  @Option(help: "A variant of the spec (e.g. small: fewer epochs, seeds, examples).")
  var variant: String?

  /// An empty `--dir` would be the working directory: refused, naming it.
  func validate() throws {
    if dir?.isEmpty == true {
      throw ValidationError("--dir: the directory name is empty; give a directory")
    }
  }

  /// The spec read and checked (the variant applied); bad input throws `UsageError`.
  func load() throws -> SweepSpec {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory) else {
      throw UsageError("\(spec): no such file")
    }
    if isDirectory.boolValue {
      throw UsageError("\(spec): is a directory, not a sweep spec (a YAML file)")
    }
    let parsed: SweepSpec
    do {
      parsed = try SweepSpec(contentsOf: spec)
    } catch {
      throw UsageError("\(spec): \(error)")
    }
    guard let variant else { return parsed }
    do {
      return try parsed.variant(variant)
    } catch {
      throw UsageError(error.line == nil ? "--variant \(error)" : "\(spec): \(error)")
    }
  }

  /// The sweep directory: `--dir`, or `sweeps/<name>`.
  func directory(_ spec: SweepSpec) -> String { dir ?? "sweeps/\(spec.name)" }

  /// The plan of the spec in its directory. Every run's `train` and `measure` arguments are
  /// checked by those commands' own parsers and `validate()` before anything runs, so a
  /// combination that one key alone cannot reveal (`type: 4b` with `drop_path: 0.3`, `blocks` on
  /// a convolutional type) is refused here, naming the run, not in a child process hours later.
  /// `validating` picks the runs so checked: every run for the commands that start a sweep
  /// (plan, local, slurm), the one run of `sweep run --index` (each of the N tasks of a sweep
  /// re-reads the spec: checking all N runs in each would cost N² parses), none for the
  /// commands that only read results (status, report).
  func plan(validating: (Int) -> Bool = { _ in true }) throws -> SweepPlan {
    let s = try load()
    // The default directory sweeps/<name> must stay under sweeps/ (a spec named "...yaml" has
    // the name "..").
    if dir == nil, s.name.isEmpty || s.name == "." || s.name == ".." || s.name.contains("/") {
      throw UsageError(
        "\(spec): the name '\(s.name)' cannot name a directory under sweeps/; give --dir")
    }
    let directory = directory(s)
    var info = stat()
    if stat(directory, &info) == 0, info.st_mode & S_IFMT != S_IFDIR {
      throw UsageError(
        "\(dir == nil ? "the sweep directory" : "--dir") \(directory): is "
          + "\(AtomicFile.kindName(info.st_mode)), not a directory")
    }
    let plan = SweepPlan(spec: s, directory: directory)
    // Every run's arguments through two parsers takes about a millisecond a run: a large sweep
    // says how far it is on stderr after 3 s, then every 5 s.
    let clock = ContinuousClock()
    let started = clock.now
    var lastReport = started
    var measureChecked = false
    for run in plan.runs where validating(run.index) {
      if run.index % 100 == 0, clock.now - lastReport >= .seconds(lastReport == started ? 3 : 5) {
        lastReport = clock.now
        printError("ujm sweep: checked \(run.index) of \(plan.runs.count) runs' arguments…")
      }
      let which = run.settingsText.isEmpty ? "" : " (\(run.settingsText))"
      @discardableResult
      func check(_ name: String, _ command: ParsableCommand.Type, _ arguments: [String]) throws
        -> ParsableCommand
      {
        if let refusal = UJMCommand.emptyValueRefusal(arguments) {
          throw UsageError("\(spec): run \(run.index)\(which): \(name) \(refusal)")
        }
        do {
          return try command.parse(Array(arguments.dropFirst()))
        } catch {
          throw UsageError(
            "\(spec): run \(run.index)\(which): \(name) \(command.message(for: error))")
        }
      }
      let train = try check(
        "train", Train.self, RunExecutor.trainArguments(run, snapshots: s.snapshots, resume: false))
      if let reason = run.snapshotRefusal(s.snapshots) {
        throw UsageError("\(spec): run \(run.index)\(which): \(reason)")
      }
      if s.measure != nil, let t = train as? Train,
        let blocks = try? t.type.architecture(blocks: t.blocks, width: t.width).blocks, blocks < 3
      {
        throw UsageError(
          "\(spec): run \(run.index)\(which): measure needs at least 3 blocks (RA4 fits 1/σ₁ "
            + "over depth); the run trains \(blocks)")
      }
      // The measuring arguments are the same for every run (the spec's `measure:`): parsed once.
      if let options = s.measure, !measureChecked {
        try check(
          "measure", Measure.self,
          RunExecutor.measureArguments(checkpoint: "checkpoint", options: options))
        measureChecked = true
      }
    }
    return plan
  }

  /// `path` made absolute against the working directory.
  static func absolute(_ path: String) -> String {
    let p =
      path.hasPrefix("/")
      ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    return (p as NSString).standardizingPath
  }
}

/// The `ujm` executable that runs the sweep's steps: `UJM_EXECUTABLE` when set, else this very
/// program (`/proc/self/exe`).
func ujmExecutable() -> String {
  if let path = ProcessInfo.processInfo.environment["UJM_EXECUTABLE"], !path.isEmpty {
    return SweepSelection.absolute(path)
  }
  if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
    return path
  }
  return SweepSelection.absolute(CommandLine.arguments[0])
}

/// The number of cores OpenBLAS may use here.
var availableCores: Int { ProcessInfo.processInfo.activeProcessorCount }
