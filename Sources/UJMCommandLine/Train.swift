import ArgumentParser
import Empirical
import Foundation
import LinearAlgebra

/// `ujm train`: trains one of the paper's fully-connected residual networks on Fashion-MNIST
/// (or any data set in the same IDX format) and writes PyTorch-layout safetensors checkpoints.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a fully-connected pre-activation ResNet (the paper's Type 1, 4a, 4b).",
    discussion: """
      Writes DIR/checkpoint.safetensors (a PyTorch state_dict) and DIR/optimizer.safetensors \
      after every epoch, and appends each epoch's metrics to DIR/metrics.jsonl.
      """)

  @Option(help: "The architecture preset: 1 (16 blocks), 4a (8 blocks), 4b (8 blocks, no skips).")
  var type: String = "1"

  @Option(parsing: .unconditional, help: "Epochs; 0 writes the initial checkpoint.")
  var epochs: Int

  @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "λ.")
  var weightDecay: Double = 5e-4

  @Option(parsing: .unconditional, help: "Initial learning rate (cosine-annealed to 0).")
  var lr: Double = 0.1

  @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step.")
  var batchSize: Int = 128

  @Option(parsing: .unconditional, help: "Seed of initialisation, shuffling and drop-path.")
  var seed: UInt64 = 0

  @Option(help: "Comma-separated classes to keep, relabelled 0…C−1 (e.g. 0,3,7).")
  var classes: String?

  @Option(
    name: .customLong("drop-path"), parsing: .unconditional,
    help: "Probability of dropping each residual branch in a training step.")
  var dropPath: Double = 0

  @Option(name: .customLong("max-steps"), parsing: .unconditional, help: "Stop after N steps.")
  var maxSteps: Int?

  @Option(parsing: .unconditional, help: "Override the preset's number of blocks.")
  var blocks: Int?

  @Option(parsing: .unconditional, help: "Override the preset's width.")
  var width: Int?

  @Option(help: "Output directory (default runs/type<TYPE>).")
  var output: String?

  @Option(help: "Directory with the IDX files (train-images-idx3-ubyte.gz, …).")
  var data: String = defaultDataDirectory

  @Flag(help: "Continue from DIR/checkpoint.safetensors and DIR/optimizer.safetensors.")
  var resume = false

  @Flag(help: "Print a JSON summary.")
  var json = false

  init() {}

  func validate() throws {
    guard let preset = Architecture.preset(type) else {
      throw ValidationError("--type must be 1, 4a or 4b (got '\(type)')")
    }
    guard epochs >= 0 else { throw ValidationError("--epochs must be at least 0 (got \(epochs))") }
    guard batchSize >= 1 else {
      throw ValidationError("--batch-size must be at least 1 (got \(batchSize))")
    }
    guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be positive (got \(lr))") }
    guard weightDecay.isFinite, weightDecay >= 0 else {
      throw ValidationError("--weight-decay must be at least 0 (got \(weightDecay))")
    }
    guard dropPath.isFinite, dropPath >= 0, dropPath < 1 else {
      throw ValidationError("--drop-path must be in [0, 1) (got \(dropPath))")
    }
    if let maxSteps, maxSteps < 1 {
      throw ValidationError("--max-steps must be at least 1 (got \(maxSteps))")
    }
    if let blocks, blocks < 1 {
      throw ValidationError("--blocks must be at least 1 (got \(blocks))")
    }
    if let width, width < 1 { throw ValidationError("--width must be at least 1 (got \(width))") }
    if dropPath > 0 && !preset.skips {
      throw ValidationError("--drop-path needs skip connections; --type \(type) has none")
    }
    if let classes { _ = try parseClasses(classes) }
  }

  var architecture: Architecture {
    var a = Architecture.preset(type)!
    if let blocks { a.blocks = blocks }
    if let width { a.width = width }
    return a
  }

  var outputDirectory: String { output ?? "runs/type\(type.lowercased())" }

  func run() throws { try reportingUsageErrors(command: "train", execute) }

  /// The command's work; bad input throws `UsageError` (exit 64).
  func execute() throws {
    let clock = ContinuousClock()
    let started = clock.now
    let kept = try classes.map(parseClasses)
    let directory = outputDirectory
    let checkpointPath = (directory as NSString).appendingPathComponent("checkpoint.safetensors")
    let optimizerPath = (directory as NSString).appendingPathComponent("optimizer.safetensors")
    let configuration = TrainingConfiguration(
      typeName: type.lowercased(), architecture: architecture, epochs: epochs, learningRate: lr,
      batchSize: batchSize, weightDecay: weightDecay, seed: seed, dropPath: dropPath,
      maxSteps: maxSteps)

    var resumed: (Checkpoint, TrainingState)?
    if resume {
      guard FileManager.default.fileExists(atPath: checkpointPath) else {
        throw UsageError("--resume: no checkpoint at \(checkpointPath)")
      }
      do {
        let checkpoint = try Checkpoint(contentsOf: checkpointPath)
        let state = try TrainingState(contentsOf: optimizerPath, model: checkpoint.model)
        try checkResumable(checkpoint, state, kept: kept)
        resumed = (checkpoint, state)
      } catch {
        throw UsageError("--resume: \(error)")
      }
    }

    let dataset: ImageClassificationData
    do {
      let standardisation = resumed.flatMap { c -> (mean: Float, std: Float)? in
        guard let m = c.0.metadata.inputMean, let s = c.0.metadata.inputStd else { return nil }
        return (m, s)
      }
      dataset = try ImageClassificationData(
        directory: data, classes: kept, standardisation: standardisation)
    } catch {
      throw UsageError("--data: \(error)")
    }

    let trainer =
      if let (checkpoint, state) = resumed {
        Trainer(
          configuration: configuration, data: dataset, model: checkpoint.model, state: state)
      } else {
        Trainer(configuration: configuration, data: dataset)
      }
    let blas = BLASEnvironment.current
    if !json {
      printError(
        "training type \(type) (\(architecture.blocks) blocks, width \(architecture.width), "
          + "\(architecture.skips ? "skips" : "no skips")) on \(dataset.train.count) examples, "
          + "\(dataset.classes.count) classes; seed \(seed); BLAS \(blas.core) × \(blas.threads) "
          + "threads" + (resumed != nil ? "; resuming after step \(trainer.state.step)" : ""))
    }

    var trainingSeconds = 0.0
    var trainedSamples = 0.0
    var last: EpochMetrics?
    let progressBar = standardErrorIsTerminal && !json
    while !trainer.isFinished {
      var lastDraw = clock.now
      let outcome = trainer.trainEpoch { p in
        guard progressBar,
          clock.now - lastDraw > .milliseconds(200) || p.stepInEpoch == p.stepsPerEpoch
        else { return }
        lastDraw = clock.now
        drawProgress(p)
      }
      switch outcome {
      case .diverged(let epoch, let step, let loss):
        if progressBar { printError("") }
        printError(
          "error: training diverged at epoch \(epoch), step \(step) (loss \(loss.isNaN ? "NaN" : "\(loss)")); "
            + (FileManager.default.fileExists(atPath: checkpointPath)
              ? "kept the last good checkpoint \(checkpointPath)" : "no checkpoint was written"))
        throw ExitCode(1)
      case .completed(let metrics):
        try save(trainer, to: directory)
        appendMetrics(metrics, directory: directory)
        trainingSeconds += metrics.seconds
        trainedSamples += metrics.samplesPerSecond * metrics.seconds
        last = metrics
        if progressBar { printError("") }
        if !json {
          printError(
            "epoch \(metrics.epoch)/\(epochs): train loss \(fixed(metrics.trainLoss, 4)) acc "
              + "\(percent(metrics.trainAccuracy)); test loss \(fixed(metrics.testLoss, 4)) acc "
              + "\(percent(metrics.testAccuracy)); lr \(fixed(metrics.lr, 5)); "
              + "\(fixed(metrics.seconds, 1)) s, \(Int(metrics.samplesPerSecond.rounded())) samples/s"
          )
        }
      }
    }
    let test: Evaluation
    if let last {
      test = Evaluation(loss: last.testLoss, accuracy: last.testAccuracy, count: dataset.test.count)
    } else {
      // Nothing to train (--epochs 0, or resuming a finished run): write and evaluate as is.
      try save(trainer, to: directory)
      test = trainer.evaluateTest()
    }
    let summary = TrainSummary(
      type: type.lowercased(), epochs: trainer.state.epoch, steps: trainer.state.step,
      seconds: (clock.now - started).secondsValue,
      samplesPerSecond: trainingSeconds > 0 ? trainedSamples / trainingSeconds : 0,
      testAccuracy: test.accuracy, testLoss: test.loss, checkpoint: checkpointPath)
    if json {
      print(jsonLine(summary))
    } else {
      print(
        "type \(summary.type): \(summary.epochs) epochs, \(summary.steps) steps, "
          + "\(fixed(summary.seconds, 1)) s (\(Int(summary.samplesPerSecond.rounded())) samples/s "
          + "in training steps; BLAS \(blas.core) × \(blas.threads) threads); test accuracy "
          + "\(percent(summary.testAccuracy)), loss \(fixed(summary.testLoss, 4)); seed \(seed)\n"
          + "checkpoint: \(checkpointPath)")
    }
  }

  /// The resumed run must be the same architecture and classes as the options ask for.
  private func checkResumable(_ checkpoint: Checkpoint, _ state: TrainingState, kept: [Int]?)
    throws(CheckpointError)
  {
    let a = architecture
    let m = checkpoint.model
    let path = outputDirectory
    if m.depth != a.blocks || m.width != a.width || m.skips != a.skips {
      throw .badMetadata(
        path: path, key: "arch",
        value: "checkpoint has \(m.depth) blocks of width \(m.width)"
          + " (skips \(m.skips)); the options ask for \(a.blocks) of width \(a.width)")
    }
    let classes = checkpoint.metadata.classes ?? Array(0..<ImageClassificationData.fullClassCount)
    if classes != (kept ?? Array(0..<ImageClassificationData.fullClassCount)) {
      throw .badMetadata(
        path: path, key: "classes",
        value: classes.map(String.init).joined(separator: ",") + " (differs from --classes)")
    }
    if let steps = checkpoint.metadata.steps, steps != state.step {
      throw .badMetadata(
        path: path, key: "steps",
        value: "checkpoint at step \(steps), optimizer state at step \(state.step)")
    }
  }

  private func save(_ trainer: Trainer, to directory: String) throws {
    do {
      try trainer.save(to: directory)
    } catch {
      printError("error: --output: \(error)")
      throw ExitCode(1)
    }
  }

  private func appendMetrics(_ metrics: EpochMetrics, directory: String) {
    let path = (directory as NSString).appendingPathComponent("metrics.jsonl")
    let line = Data((jsonLine(metrics) + "\n").utf8)
    if let handle = FileHandle(forWritingAtPath: path) {
      handle.seekToEndOfFile()
      handle.write(line)
      handle.closeFile()
    } else {
      _ = FileManager.default.createFile(atPath: path, contents: line)
    }
  }

  private func drawProgress(_ p: StepProgress) {
    let width = 30
    let filled = width * p.stepInEpoch / Swift.max(1, p.stepsPerEpoch)
    let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
    let line =
      "\repoch \(p.epoch)/\(p.epochs) [\(bar)] \(p.stepInEpoch)/\(p.stepsPerEpoch) loss "
      + "\(String(format: "%.4f", p.loss)) acc \(percent(p.accuracy)) "
      + "\(Int(p.samplesPerSecond.rounded())) samples/s"
    FileHandle.standardError.write(Data(line.utf8))
  }
}

/// `ujm train --json`.
struct TrainSummary: Codable {
  var type: String
  var epochs: Int
  var steps: Int
  var seconds: Double
  var samplesPerSecond: Double
  var testAccuracy: Double
  var testLoss: Double
  var checkpoint: String

  enum CodingKeys: String, CodingKey {
    case type, epochs, steps, seconds, checkpoint
    case samplesPerSecond = "samples_per_second"
    case testAccuracy = "test_accuracy"
    case testLoss = "test_loss"
  }
}

extension Duration {
  var secondsValue: Double {
    let c = components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
  }
}
