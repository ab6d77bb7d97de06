import ArgumentParser
import Empirical
import Foundation
import LinearAlgebra

/// `ujm evaluate`: test and train loss and accuracy of a checkpoint in evaluation mode.
struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Evaluate a checkpoint (PyTorch-layout safetensors) on its class subset.")

  @Option(
    help: "A checkpoint.safetensors written by ujm train or by PyTorch, or a run directory.")
  var checkpoint: String

  @Option(help: "Directory with the IDX files.")
  var data: String = defaultDataDirectory

  @OptionGroup var jsonOption: JSONOption
  var json: Bool { jsonOption.json }

  init() {}

  func run() throws { try reportingUsageErrors(command: "evaluate", execute) }

  /// The command's work; bad input throws `UsageError` (exit 64).
  func execute() throws { print(try output()) }

  /// What `execute` prints: the JSON line, or the text report.
  func output() throws -> String {
    let loaded = try CheckpointWithData(checkpoint: checkpoint, data: data)
    let model = loaded.checkpoint.network
    let dataset = loaded.dataset
    // Batches as large as fit in half the memory, at most 500 (a huge stem needs small ones).
    guard let batch = model.evaluationBatchSize() else {
      let bytes = model.evaluationBytesPerExample.map {
        String(format: "%.1f GiB", Double($0) / 1_073_741_824)
      }
      throw UsageError(
        "--checkpoint: \(checkpoint): one example's activations need "
          + "\(bytes ?? "more than 2^63 bytes"), more than half of this machine's memory")
    }
    let clock = ContinuousClock()
    let start = clock.now
    let test = Empirical.evaluate(model, on: dataset.test, batchSize: batch)
    let train = Empirical.evaluate(model, on: dataset.train, batchSize: batch)
    let seconds = (clock.now - start).secondsValue
    let shape = "\(model.shapeDescription), \(model.skips ? "skips" : "no skips")"
    let arch = loaded.checkpoint.metadata.arch ?? shape
    // The metadata is the checkpoint author's text: no escape sequence of it reaches the terminal.
    let shownArch = oneLine(arch)
    let blas = BLASEnvironment.current
    let report = EvaluationReport(
      testAccuracy: test.accuracy, testLoss: test.loss, trainAccuracy: train.accuracy,
      trainLoss: train.loss, arch: arch, seconds: seconds,
      weightDecay: loaded.checkpoint.metadata.weightDecay,
      weightDecayScope: loaded.checkpoint.metadata.weightDecayScope)
    let decay =
      report.weightDecay.map {
        "weight decay \($0) (\(report.weightDecayScope ?? "scope not recorded"))"
      }
      ?? "weight decay not recorded"
    if json { return try jsonLine(report) }
    return """
      \(oneLine(checkpoint)) (\(arch == shape ? "" : shownArch + "; ")\(shape), \(model.classCount) classes; \
      \(decay))
      test:  accuracy \(percent(test.accuracy)), loss \(String(format: "%.4f", test.loss)) \
      (\(test.count) examples)
      train: accuracy \(percent(train.accuracy)), loss \(String(format: "%.4f", train.loss)) \
      (\(train.count) examples)
      \(fixed(seconds, 1)) s for \(test.count + train.count) examples (batches of \(batch); BLAS \
      \(blas.core) × \(blas.threads) threads)
      """
  }
}

/// `ujm evaluate --json`.
struct EvaluationReport: Codable {
  var testAccuracy: Double
  var testLoss: Double
  var trainAccuracy: Double
  var trainLoss: Double
  var arch: String
  /// Wall-clock seconds of the two evaluation passes.
  var seconds: Double
  /// The training's weight decay λ and its scope (`all`, `weights`, `no-norm`) as the
  /// checkpoint's metadata records them (`wd`, `wd_scope`); null when it does not (PyTorch's).
  var weightDecay: Double?
  var weightDecayScope: String?

  enum CodingKeys: String, CodingKey {
    case arch, seconds
    case testAccuracy = "test_accuracy"
    case testLoss = "test_loss"
    case trainAccuracy = "train_accuracy"
    case trainLoss = "train_loss"
    case weightDecay = "weight_decay"
    case weightDecayScope = "weight_decay_scope"
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(arch, forKey: .arch)
    try c.encode(seconds, forKey: .seconds)
    try c.encode(testAccuracy, forKey: .testAccuracy)
    try c.encode(testLoss, forKey: .testLoss)
    try c.encode(trainAccuracy, forKey: .trainAccuracy)
    try c.encode(trainLoss, forKey: .trainLoss)
    try c.encode(weightDecay, forKey: .weightDecay)
    try c.encode(weightDecayScope, forKey: .weightDecayScope)
  }
}
