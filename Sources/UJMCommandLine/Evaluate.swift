import ArgumentParser
import Empirical
import Foundation

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
  func execute() throws {
    let loaded = try CheckpointWithData(checkpoint: checkpoint, data: data)
    let model = loaded.checkpoint.model
    let dataset = loaded.dataset
    let test = Empirical.evaluate(model, on: dataset.test)
    let train = Empirical.evaluate(model, on: dataset.train)
    let arch =
      loaded.checkpoint.metadata.arch
      ?? "\(model.depth) blocks, width \(model.width), \(model.skips ? "skips" : "no skips")"
    let report = EvaluationReport(
      testAccuracy: test.accuracy, testLoss: test.loss, trainAccuracy: train.accuracy,
      trainLoss: train.loss, arch: arch)
    if json {
      print(try jsonLine(report))
    } else {
      print(
        """
        \(checkpoint) (\(arch); \(model.depth) blocks, width \(model.width), \
        \(model.classCount) classes)
        test:  accuracy \(percent(test.accuracy)), loss \(String(format: "%.4f", test.loss)) \
        (\(test.count) examples)
        train: accuracy \(percent(train.accuracy)), loss \(String(format: "%.4f", train.loss)) \
        (\(train.count) examples)
        """)
    }
  }
}

/// `ujm evaluate --json`.
struct EvaluationReport: Codable {
  var testAccuracy: Double
  var testLoss: Double
  var trainAccuracy: Double
  var trainLoss: Double
  var arch: String

  enum CodingKeys: String, CodingKey {
    case arch
    case testAccuracy = "test_accuracy"
    case testLoss = "test_loss"
    case trainAccuracy = "train_accuracy"
    case trainLoss = "train_loss"
  }
}
