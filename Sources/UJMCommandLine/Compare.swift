import ArgumentParser
import Comparison
import Empirical
import Foundation
import LinearAlgebra

/// `ujm compare`: the Unconstrained Jacobians Model held against a trained binary network.
struct Compare: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Hold the UJM (Theorem 3.3) against two classes of a trained checkpoint.",
    discussion: """
      For each pair of training inputs (a of the first class, b of the second), finds the point \
      x_mid on the segment x(t) = (1−t)·x_a + t·x_b where the margin z = logit[b] − logit[a] \
      (a, b the checkpoint's two classes, or --classes a,b) is 0, measures the residual \
      Jacobians and w = ∂z/∂h_{L+1} there, propagates δ₁ = h₁(x) − h₁(x_mid) linearly to each \
      input, and prints the theory's predictions against the measured values with their \
      tolerances, and the UJM fitted with one parameter (λ_eff). Every row carries a 95% \
      bootstrap interval of its median over pairs, and every relational row a null (pairs \
      mismatched cyclically); a row holds when its interval is within tolerance of the theory \
      and excludes the null's median. A checkpoint with more than two classes needs \
      --classes a,b. --pair-indices are 0-based positions in the training file, one of each \
      class. Fully-connected (Types 1, 4a, 4b) and convolutional (Types 2, 5a, 5b) checkpoints; \
      a convolutional network's Jacobians are matrix-free (Algorithm 971 with --iterations) and \
      its ‖J_i‖_F a seeded Hutch++ estimate whose error the stationarity row states.
      """)

  @Option(
    help: ArgumentHelp(
      "A checkpoint.safetensors (fully-connected or convolutional) written by ujm train or by "
        + "PyTorch, or a run directory."))
  var checkpoint: String

  @Option(
    parsing: .unconditional,
    help: "Pairs of correctly classified training inputs drawn with --seed (default 30).")
  var pairs: Int?

  @Option(
    name: .customLong("pair-indices"), parsing: .unconditional,
    help:
      "Comma-separated a:b pairs of 0-based positions in the training file (instead of --pairs).")
  var pairIndices: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Two of the checkpoint's classes a,b (original labels): z = logit[b] − logit[a], y = +1 "
        + "for b. Needed on a checkpoint with more than 2 classes."))
  var classes: String?

  @OptionGroup var seedOption: SeedOption

  @Option(parsing: .unconditional, help: "Singular triplets per Jacobian (at least 2).")
  var rank: Int = 10

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "T, Algorithm 971's power iterations for a convolutional network's triplets (the paper's "
        + "20)."))
  var iterations: Int = RandomizedSVD.defaultPowerIterations

  @Option(help: "Directory with the IDX files.")
  var data: String = defaultDataDirectory

  @Option(help: "Write each pair's Δx (.npy, for ujm solve --dx), w and spectra to this directory.")
  var export: String?

  @Option(help: "Write SVG figures to this directory.")
  var figures: String?

  @Flag(
    help: ArgumentHelp(
      "Also compare every kept snapshot (checkpoint-epoch<E>.safetensors) of the run directory "
        + "--checkpoint names, with the same pairs (a directory of snapshots alone: the latest "
        + "is the final checkpoint)."))
  var snapshots = false

  @OptionGroup var jsonOption: JSONOption

  init() {}

  func validate() throws {
    if let pairs, pairs < 1 {
      throw ValidationError("--pairs must be at least 1 (got \(pairs))")
    }
    if pairs != nil && pairIndices != nil {
      throw ValidationError("--pairs and --pair-indices cannot be used together")
    }
    guard rank >= 2 else {
      throw ValidationError("--rank must be at least 2 (got \(rank)): rank_one needs σ₂")
    }
    do { try MeasurementOptions.schema["iterations"].check(iterations) } catch {
      throw ValidationError(error.description)
    }
    if let pairIndices { _ = try Self.parsePairs(pairIndices) }
    if let classes { _ = try Self.parseClasses(classes) }
  }

  /// "3,5" → (3, 5): two different non-negative labels.
  static func parseClasses(_ text: String) throws -> (Int, Int) {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 0, b >= 0 else {
      throw ValidationError("--classes: '\(text)' is not a pair a,b of non-negative class labels")
    }
    guard a != b else {
      throw ValidationError("--classes: '\(text)' names class \(a) twice; give two classes")
    }
    return (a, b)
  }

  /// "3:17,5:9" → [(3, 17), (5, 9)].
  static func parsePairs(_ text: String) throws -> [(Int, Int)] {
    var out = [(Int, Int)]()
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let ends = part.split(separator: ":", omittingEmptySubsequences: false).map {
        Int($0.trimmingCharacters(in: .whitespaces))
      }
      guard ends.count == 2, let a = ends[0], let b = ends[1], a >= 0, b >= 0 else {
        throw ValidationError(
          "--pair-indices: '\(part)' is not a pair a:b of non-negative integers")
      }
      guard !out.contains(where: { Set([$0.0, $0.1]) == Set([a, b]) }) else {
        throw ValidationError(
          "--pair-indices: the pair \(a):\(b) is given twice; each pair must be distinct")
      }
      out.append((a, b))
    }
    return out
  }

  func run() throws {
    try reportingUsageErrors(command: "compare") { print(try execute()) }
  }

  /// The command's work; returns what it prints. Bad input throws `UsageError` (exit 64).
  func execute() throws -> String {
    let started = ContinuousClock.now
    // The output directories first: a bad one fails before any work.
    if let export { try Self.prepareDirectory(export, option: "--export") }
    if let figures { try Self.prepareDirectory(figures, option: "--figures") }
    let snapshotRun =
      snapshots ? try library { try ComparisonRun.snapshotRun(in: checkpoint) } : nil
    let loaded = try CheckpointWithData(
      checkpoint: snapshotRun?.checkpoint ?? checkpoint, data: data)
    let request = ComparisonRequest(
      checkpoint: checkpoint, pairs: pairs, pairIndices: try pairIndices.map(Self.parsePairs),
      classes: try classes.map(Self.parseClasses), rank: rank, powerIterations: iterations,
      seed: seedOption.seed, snapshotFiles: snapshotRun?.snapshots)
    let run = try library {
      try ComparisonRun.run(
        request, checkpoint: loaded.checkpoint, dataset: loaded.dataset, started: started
      ) { event in
        switch event {
        case .pair(let done, let total, let seconds):
          printError("ujm compare: pair \(done)/\(total), \(String(format: "%.1f", seconds)) s")
        case .snapshot(let done, let total, let epoch, let seconds):
          printError(
            "ujm compare: snapshot \(done)/\(total) (epoch \(epoch)), "
              + String(format: "%.1f", seconds) + " s")
        }
      }
    }
    var outputs = [(option: String, directory: String, files: [(String, Data)])]()
    if let export { outputs.append(("--export", export, try run.exportFiles())) }
    if let figures {
      let svgs: [(name: String, svg: String)]
      do { svgs = try run.figures() } catch { throw UsageError("--figures: \(error)") }
      outputs.append(("--figures", figures, svgs.map { ($0.name, Data($0.svg.utf8)) }))
    }
    try writeFiles(outputs)
    return jsonOption.json ? try jsonLine(run.report) : run.report.text
  }

  /// The library's refusals as the command's: bad input exits 64, no boundary exits 1.
  private func library<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as ComparisonRunError {
      switch error {
      case .usage(let message): throw UsageError(message)
      case .noBoundary(let message): throw RunFailure(message)
      }
    }
  }

  /// Creates `directory` if needed and checks that it is a writable directory.
  static func prepareDirectory(_ directory: String, option: String) throws {
    do {
      try AtomicFile.createDirectory(directory)
    } catch {
      throw UsageError("\(option) \(directory): cannot be created (\(error))")
    }
    guard FileManager.default.isWritableFile(atPath: directory) else {
      throw UsageError("\(option) \(directory): not writable")
    }
  }

  /// Writes every output file into its directory (created if missing), each atomically, none
  /// unless all may be written (`OutputFile.writeAll`: only onto a file ujm wrote or a new name).
  private func writeFiles(_ outputs: [(option: String, directory: String, files: [(String, Data)])])
    throws
  {
    var files = [(path: String, bytes: [UInt8], isOurs: (String) -> Bool)]()
    var options = [String: String]()
    for (option, directory, named) in outputs {
      try Self.prepareDirectory(directory, option: option)  // again: it may be gone since
      for (name, data) in named {
        let path = (directory as NSString).appendingPathComponent(name)
        options[path] = option
        files.append(
          (path, Array(data), name.hasSuffix(".svg") ? OutputFile.isFigure : { _ in false }))
      }
    }
    do { try OutputFile.writeAll(files) } catch {
      let option = options[error.path] ?? outputs.first?.option ?? "--export"
      if error.isStorageFailure { throw RunFailure("\(option) \(error)") }
      throw UsageError("\(option) \(error)")
    }
  }
}
