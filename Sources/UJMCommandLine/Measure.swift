import ArgumentParser
import Empirical
import Foundation
import LinearAlgebra

/// `ujm measure`: Residual Alignment (RA1–RA4) and Neural Collapse of a trained checkpoint.
struct Measure: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure RA1–RA4 and Neural Collapse of a checkpoint (fully-connected or conv).",
    discussion: """
      Residual Jacobians J_i = ∂F_i/∂h at h_i (evaluation mode, Float64 from the Float32 \
      weights) of each input, their top singular triplets by randomized SVD (Algorithm 971, \
      T = 20 unless --iterations says otherwise), and the paper's section 2 metrics, each with its median, min and max over the \
      inputs (the bootstrap CI of RA4's slope needs at least 5 distinct inputs). Neural \
      Collapse is measured over the training examples (--nc-examples) at every layer, in two \
      passes (class means; Σ_W on their span and NC4) over one forward pass whose \
      representations are kept in memory when they fit in --nc-memory-budget (else a second \
      forward pass), in Float32 by default (--nc-precision; the statistics are Float64 either \
      way). Progress and the peak resident memory go to stderr.

      --indices are 0-based positions in the training file (all 60000 examples of \
      Fashion-MNIST), also for a checkpoint trained on a subset of the classes; each must hold \
      an example of one of the checkpoint's classes. The report lists the inputs by these file \
      positions, also when they are drawn with --inputs.
      """)

  @Option(
    help: "A checkpoint.safetensors written by ujm train or by PyTorch, or a run directory.")
  var checkpoint: String

  @Option(help: "Directory with the IDX files.")
  var data: String = defaultDataDirectory

  @Option(
    parsing: .unconditional, help: "Training inputs, balanced over classes, drawn with --seed.")
  var inputs: Int?

  @Option(
    parsing: .unconditional,
    help: "Comma-separated 0-based positions in the training file (instead of --inputs).")
  var indices: String?

  @Option(parsing: .unconditional, help: "k, the size of the top subspaces compared in RA2.")
  var rank: Int = 10

  @Option(
    parsing: .unconditional,
    help: """
      T, Algorithm 971's power iterations (the paper's 20; more when the report's triplet \
      residual says the triplets are not converged enough for your use).
      """)
  var iterations: Int = RandomizedSVD.defaultPowerIterations

  /// --seed: the inputs, the test matrices and the bootstrap.
  @OptionGroup var seedOption: SeedOption
  var seed: UInt64 { seedOption.seed }

  @Option(
    name: .customLong("nc-examples"), parsing: .unconditional,
    help: """
      Training examples for Neural Collapse (the first N of the checkpoint's classes; default \
      all; 0 skips it). They must hold every class.
      """)
  var ncExamples: Int?

  @Option(
    name: .customLong("nc-precision"),
    help: """
      Arithmetic of Neural Collapse's forward passes: single (Float32 on sgemm, the \
      checkpoint's own precision) or double (Float64). The statistics are Float64 either way.
      """)
  var ncPrecision: NeuralCollapseMeasurement.Precision = .single

  @Option(
    name: .customLong("nc-memory-budget"), parsing: .unconditional,
    help: """
      GiB of representations Neural Collapse may keep from its first pass to save the second \
      forward pass (all 60,000 Fashion-MNIST examples of a Type 1 network: 2.1 GiB in Float32); \
      past it, a second forward pass. 0: always two forward passes.
      """)
  var ncMemoryBudget: Double = 3

  @Option(help: "Write SVG figures (1, 2, 4, 7) to this directory.")
  var figures: String?

  @OptionGroup var jsonOption: JSONOption
  var json: Bool { jsonOption.json }

  init() {}

  func validate() throws {
    // Every range from the library's one table (sweep specs are checked against the same).
    let rules = MeasurementOptions.schema
    do {
      if let inputs { try rules["inputs"].check(inputs) }
      try rules["rank"].check(rank)
      try rules["iterations"].check(iterations)
      if let ncExamples { try rules["nc-examples"].check(ncExamples) }
      try rules["nc-memory-budget"].check(ncMemoryBudget)
    } catch { throw ValidationError(error.description) }
    if inputs != nil && indices != nil {
      throw ValidationError("--inputs and --indices cannot be used together")
    }
    if let indices {
      do { _ = try MeasurementOptions.indices(parsing: indices) } catch {
        throw ValidationError(error.description)
      }
    }
  }

  func run() throws {
    try reportingUsageErrors(command: "measure") {
      print(try execute(progress: MeasureProgress(terminal: standardErrorIsTerminal)))
    }
  }

  /// The command's work: the library's `MeasurementRun` with these options, its stages reported
  /// to `progress` (stderr); returns what it prints. Bad input throws `UsageError` (exit 64).
  func execute(progress: MeasureProgress = MeasureProgress(sink: { _ in })) throws -> String {
    let report: MeasureReport
    do {
      let request = MeasurementRequest(
        checkpoint: checkpoint, data: data, inputs: inputs,
        indices: try indices.map(MeasurementOptions.indices(parsing:)), rank: rank,
        iterations: iterations, seed: seed, neuralCollapseExamples: ncExamples,
        neuralCollapsePrecision: ncPrecision, neuralCollapseMemoryBudget: ncMemoryBudget,
        figures: figures)
      report = try MeasurementRun(request).run { event in
        switch event {
        case .stage(let text): progress.stage(text)
        case .advance(let done, let total): progress.advance(done, of: total)
        case .note(let text): progress.note(text)
        case .stageDone(let seconds): progress.done(seconds: seconds)
        }
      }
    } catch {
      throw error.commandLineError
    }
    return json ? try report.json : report.text(blas: BLASEnvironment.current, figures: figures)
  }

  /// `d` in seconds (`ujm compare` times its stages with it).
  static func seconds(_ d: Duration) -> Double {
    d.secondsValue
  }
}
extension NeuralCollapseMeasurement.Precision: ExpressibleByArgument {}
