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

  @Option(
    help: """
      The architecture preset: fully-connected 1 (16 blocks), 4a (8 blocks), 4b (8 blocks, no \
      skips); convolutional 2 (16 blocks, 64 channels), 3 (8 at 64 then 8 at 128 channels), 5a \
      (8 blocks, 64 channels), 5b (5a without skips).
      """)
  var type: ResNetType = .type1

  @Option(parsing: .unconditional, help: "Epochs; 0 writes the initial checkpoint.")
  var epochs: Int

  @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "λ.")
  var weightDecay: Double = 5e-4

  @Option(parsing: .unconditional, help: "Initial learning rate (cosine-annealed to 0).")
  var lr: Double = 0.1

  @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step.")
  var batchSize: Int = 128

  /// The seed of initialisation, shuffling and drop-path.
  @OptionGroup var seedOption: SeedOption
  var seed: UInt64 { seedOption.seed }

  @Option(
    parsing: .unconditional,
    help: "Comma-separated classes to keep, relabelled 0…C−1 (e.g. 0,3,7).")
  var classes: String?

  @Option(
    name: .customLong("weight-decay-scope"),
    help:
      "Parameters weight decay applies to: all (PyTorch's default), no-norm (all but BatchNorm's γ and β) or weights (linear and conv weight matrices only)."
  )
  var weightDecayScope: WeightDecayScope = .all

  @Option(
    help: ArgumentHelp(
      "CIFAR-100's labels: fine (100 classes) or coarse (the 20 superclasses); recorded in the "
        + "checkpoint, so that evaluate and measure use the same.",
      valueName: "fine|coarse"))
  var labels: CIFARFile.Labels = .fine

  @Option(
    name: .customLong("snapshot-every"), parsing: .unconditional,
    help: "Also keep DIR/checkpoint-epoch<N>.safetensors every N epochs.")
  var snapshotEvery: Int?

  @Option(
    name: .customLong("snapshot-epochs"), parsing: .unconditional,
    help: "Also keep DIR/checkpoint-epoch<E>.safetensors at these epochs (e.g. 1,5,10,30,100).")
  var snapshotEpochs: String?

  @Option(
    name: .customLong("allow-change"),
    help:
      "With --resume: hyper-parameters (comma-separated: lr, seed, weight-decay, …) whose change from the recorded run is intended."
  )
  var allowChange: String?

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

  @Flag(help: "Continue the run in DIR from its latest complete snapshot (bit for bit).")
  var resume = false

  @OptionGroup var jsonOption: JSONOption
  var json: Bool { jsonOption.json }

  init() {}

  func validate() throws {
    do {
      let a = try type.architecture(blocks: blocks, width: width)
      // Every range from the library's one table (sweep specs are checked against the same).
      let rules = TrainingOptions.schema
      try rules["epochs"].check(epochs)
      try rules["batch-size"].check(batchSize)
      try rules["lr"].check(lr)
      try rules["weight-decay"].check(weightDecay)
      try rules["drop-path"].check(dropPath)
      if let maxSteps { try rules["max-steps"].check(maxSteps) }
      if let blocks { try rules["blocks"].check(blocks) }
      if let width { try rules["width"].check(width) }
      if let snapshotEvery { try rules["snapshot-every"].check(snapshotEvery) }
      try TrainingRequest.checkBeforeReadingData(
        type: type, architecture: a, batchSize: batchSize, dropPath: dropPath)
      _ = try TrainingRequest.snapshotEpochs(parsing: snapshotEpochs, epochs: epochs)
      _ = try TrainingRequest.allowedChanges(parsing: allowChange, resume: resume)
    } catch { throw ValidationError("\(error)") }
    if let classes { _ = try parseClasses(classes) }
  }

  var outputDirectory: String { output ?? "runs/type\(type.rawValue)" }

  func run() throws { try reportingUsageErrors(command: "train", execute) }

  /// The library's request for these options (checked by `validate()`).
  func request() throws -> TrainingRequest {
    do {
      var configuration = TrainingConfiguration(
        typeName: type.rawValue, architecture: try type.architecture(blocks: blocks, width: width),
        epochs: epochs, learningRate: lr, batchSize: batchSize, weightDecay: weightDecay,
        seed: seed, dropPath: dropPath, maxSteps: maxSteps, weightDecayScope: weightDecayScope)
      configuration.convolutional = type.convolutional
      return TrainingRequest(
        configuration: configuration, classes: try classes.map(parseClasses), labels: labels,
        data: data, directory: outputDirectory, resume: resume,
        allowedChanges: try TrainingRequest.allowedChanges(parsing: allowChange, resume: resume),
        snapshotEvery: snapshotEvery,
        snapshotEpochs: try TrainingRequest.snapshotEpochs(parsing: snapshotEpochs, epochs: epochs))
    } catch let error as EmpiricalRunError { throw error.commandLineError }
  }

  /// The command's work: the library's `TrainingRun` with these options; bad input throws
  /// `UsageError` (exit 64), a failure while training a `RunFailure` (exit 1).
  func execute() throws {
    let request = try request()
    let clock = ContinuousClock()
    var lastDraw = clock.now
    let progressBar = standardErrorIsTerminal && !json
    let blas = BLASEnvironment.current
    let summary: TrainSummary
    do {
      summary = try TrainingRun(request).run(
        traceSnapshots: ProcessInfo.processInfo.environment["UJM_SNAPSHOT_TRACE"] != nil
      ) { event in
        switch event {
        case .note(let text):
          printError("ujm train: \(text)")
        case .started(let examples, let classCount, let resumedAfter, let changed):
          guard !json else { return }
          printError(
            "training type \(type.rawValue) (\(request.shapeDescription)) on \(examples) examples, "
              + "\(classCount) classes; seed \(seed); weight decay \(weightDecay) "
              + "(\(weightDecayScope.rawValue)); BLAS \(blas.core) × \(blas.threads) threads"
              + (resumedAfter.map { "; resuming after step \($0)" } ?? "")
              + (changed.isEmpty ? "" : "; changed on purpose: " + changed.joined(separator: ", ")))
        case .step(let p):
          if progressBar {
            guard clock.now - lastDraw > .milliseconds(200) || p.stepInEpoch == p.stepsPerEpoch
            else { return }
            lastDraw = clock.now
            drawProgress(p)
          } else if !json, clock.now - lastDraw > .seconds(10) {
            lastDraw = clock.now
            printError(progressLine(p))
          }
        case .epoch(let metrics):
          lastDraw = clock.now
          if progressBar { printError("") }
          guard !json else { return }
          printError(
            "epoch \(metrics.epoch)/\(epochs): train loss \(fixed(metrics.trainLoss, 4)) acc "
              + "\(percent(metrics.trainAccuracy)); test loss \(fixed(metrics.testLoss, 4)) acc "
              + "\(percent(metrics.testAccuracy)); lr \(fixed(metrics.lr, 5)); "
              + "\(fixed(metrics.seconds, 1)) s, \(Int(metrics.samplesPerSecond.rounded())) samples/s"
          )
        case .snapshotPhase(let step, let phase):
          printError("snapshot step \(step): \(phase)")
        }
      }
    } catch {
      if progressBar { printError("") }
      throw error.commandLineError
    }
    if json {
      print(try jsonLine(summary))
    } else {
      print(
        "type \(summary.type): \(summary.epochs) epochs, \(summary.steps) steps, "
          + "\(fixed(summary.seconds, 1)) s (\(Int(summary.samplesPerSecond.rounded())) samples/s "
          + "in training steps; BLAS \(blas.core) × \(blas.threads) threads); test accuracy "
          + "\(percent(summary.testAccuracy)), loss \(fixed(summary.testLoss, 4)); seed \(seed)\n"
          + "checkpoint: \(summary.checkpoint)")
    }
  }

  private func progressLine(_ p: StepProgress) -> String {
    "epoch \(p.epoch)/\(p.epochs): step \(p.stepInEpoch)/\(p.stepsPerEpoch), loss "
      + "\(String(format: "%.4f", p.loss)), acc \(percent(p.accuracy)), "
      + "\(Int(p.samplesPerSecond.rounded())) samples/s"
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

extension ResNetType: ExpressibleByArgument {}
