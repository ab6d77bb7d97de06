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
    let convolutional = ConvolutionalArchitecture.preset(type.rawValue)
    guard let skips = Architecture.preset(type.rawValue)?.skips ?? convolutional?.skips else {
      throw ValidationError("--type must be 1, 4a, 4b, 2, 3, 5a or 5b (got '\(type.rawValue)')")
    }
    if convolutional != nil, blocks != nil || width != nil {
      throw ValidationError(
        "--\(blocks != nil ? "blocks" : "width") applies to the fully-connected types only; "
          + "--type \(type.rawValue) is convolutional")
    }
    // Every range from the library's one table (sweep specs are checked against the same).
    let rules = TrainingOptions.schema
    do {
      try rules["epochs"].check(epochs)
      try rules["batch-size"].check(batchSize)
      try rules["lr"].check(lr)
      try rules["weight-decay"].check(weightDecay)
      try rules["drop-path"].check(dropPath)
      if let maxSteps { try rules["max-steps"].check(maxSteps) }
      if let blocks { try rules["blocks"].check(blocks) }
      if let width { try rules["width"].check(width) }
      if let snapshotEvery { try rules["snapshot-every"].check(snapshotEvery) }
    } catch { throw ValidationError(error.description) }
    if dropPath > 0 && !skips {
      throw ValidationError("--drop-path needs skip connections; --type \(type.rawValue) has none")
    }
    if let classes { _ = try parseClasses(classes) }
    // Sized for the default data (70,000 images of 28×28, 10 classes) before any is read.
    let a = architecture
    let resources = TrainingResources(
      architecture: a, inputSize: 784, classCount: 10, batchSize: batchSize, examples: 70_000)
    do { try resources.check(blocks: a.blocks) } catch {
      let options =
        if case .blocks = error { "--blocks \(a.blocks)" } else {
          "--width \(a.width), --blocks \(a.blocks), --batch-size \(batchSize)"
        }
      throw ValidationError("\(options): \(error)")
    }
    _ = try keptEpochs()
    if let allowChange {
      guard resume else { throw ValidationError("--allow-change needs --resume") }
      for name in allowedChanges(allowChange) where !TrainingHyperparameters.names.contains(name) {
        throw ValidationError(
          "--allow-change: '\(name)' is not a hyper-parameter (one of "
            + TrainingHyperparameters.names.joined(separator: ", ") + ")")
      }
    }
  }

  private func allowedChanges(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
  }

  /// The fully-connected architecture (for a convolutional type: its depth and skips, width 0).
  var architecture: Architecture {
    if let c = convolutionalArchitecture {
      return Architecture(blocks: c.blocks, width: 0, skips: c.skips)
    }
    var a = Architecture.preset(type.rawValue)!
    if let blocks { a.blocks = blocks }
    if let width { a.width = width }
    return a
  }

  /// The convolutional architecture of `--type 2|3|5a|5b`, nil for the fully-connected types.
  var convolutionalArchitecture: ConvolutionalArchitecture? {
    ConvolutionalArchitecture.preset(type.rawValue)
  }

  /// "16 blocks, width 512, skips" or "16 blocks of 64 channels, skips".
  var shapeDescription: String {
    let a = architecture
    let skips = a.skips ? "skips" : "no skips"
    guard let c = convolutionalArchitecture else {
      return "\(a.blocks) blocks, width \(a.width), \(skips)"
    }
    let stages = c.stages.map { "\($0.blocks) of \($0.channels) channels" }
    return "convolutional, blocks: " + stages.joined(separator: " then ") + ", \(skips)"
  }

  var outputDirectory: String { output ?? "runs/type\(type.rawValue)" }

  func run() throws { try reportingUsageErrors(command: "train", execute) }

  /// `--snapshot-epochs 1,5,10`: distinct epochs in 1…`--epochs`.
  func keptEpochs() throws -> Set<Int> {
    guard let snapshotEpochs else { return [] }
    var epochsKept = Set<Int>()
    for part in snapshotEpochs.split(separator: ",", omittingEmptySubsequences: false) {
      let text = part.trimmingCharacters(in: .whitespaces)
      guard let e = Int(text), (1...epochs).contains(e) else {
        throw ValidationError(
          "--snapshot-epochs: '\(text.prefix(40))' is not an epoch in 1…\(epochs)")
      }
      epochsKept.insert(e)
    }
    return epochsKept
  }

  /// The command's work; bad input throws `UsageError` (exit 64), a failure while training a
  /// `RunFailure` (exit 1). The run directory is checked, locked and cleaned before any training.
  func execute() throws {
    let clock = ContinuousClock()
    let started = clock.now
    let kept = try classes.map(parseClasses)
    let snapshotEpochList = try keptEpochs()
    let directory = outputDirectory
    let run = RunDirectory(path: directory)
    let checkpointPath = (directory as NSString).appendingPathComponent(RunDirectory.checkpointName)
    var configuration = TrainingConfiguration(
      typeName: type.rawValue, architecture: architecture, epochs: epochs, learningRate: lr,
      batchSize: batchSize, weightDecay: weightDecay, seed: seed, dropPath: dropPath,
      maxSteps: maxSteps, weightDecayScope: weightDecayScope)
    configuration.convolutional = convolutionalArchitecture
    let lock: FileLock
    do {
      try run.prepare()
      lock = try run.lock()
      let removed = try run.recover()
      if !removed.isEmpty {
        printError(
          "ujm train: removed \(removed.count) file(s) of an interrupted write in \(directory)")
      }
    } catch {
      throw UsageError("--output \(error)")
    }
    defer { withExtendedLifetime(lock) {} }
    try refuseForeignFiles(run)

    var resumed: (Checkpoint, TrainingState, RunDirectory.Snapshot)?
    let existing: RunDirectory.Snapshot?
    do {
      existing = try run.latestSnapshot { path in
        (try? Checkpoint(contentsOf: path))?.metadata.epochs
      }
    } catch {
      throw UsageError("--output \(error)")
    }
    var changed: [String] = []
    if resume {
      if let snapshot = existing {
        do {
          let checkpoint = try Checkpoint(contentsOf: snapshot.checkpointPath)
          let state = try TrainingState(
            contentsOf: snapshot.optimizerPath, network: checkpoint.network)
          try checkResumable(checkpoint, state, kept: kept)
          resumed = (checkpoint, state, snapshot)
        } catch {
          throw UsageError("--resume: \(error)")
        }
        changed = try checkHyperparameters(
          snapshot: snapshot, checkpoint: resumed!.0, requested: configuration, kept: kept)
      } else {
        printError(
          "ujm train: --resume: \(directory) holds no complete snapshot; starting afresh")
      }
    } else if let snapshot = existing {
      throw UsageError(
        "--output \(directory) already holds a run (\(snapshot.metricsLines.count) epochs); "
          + "pass --resume to continue it, or choose another --output")
    }

    let dataset: ImageClassificationData
    do {
      let standardisation = resumed?.0.metadata.standardisation
      dataset = try ImageClassificationData(
        directory: data, classes: kept, standardisation: standardisation, labels: labels)
    } catch {
      throw UsageError("--data: \(error)")
    }
    if labels == .coarse && dataset.labels != .coarse {
      throw UsageError(
        "--labels coarse: \(data) is not CIFAR-100 (train.bin, test.bin); only CIFAR-100 has "
          + "coarse labels")
    }
    if let recorded = resumed?.0.metadata.labels ?? resumed.map({ _ in .fine }),
      recorded != labels
    {
      throw UsageError(
        "--labels \(labels.rawValue): the run in \(directory) was trained on \(recorded.rawValue) "
          + "labels")
    }
    if convolutionalArchitecture != nil,
      ConvolutionalInput(image: dataset.imageShape) == nil
    {
      throw UsageError(
        "--data: \(data): images of \(dataset.train.featureCount) pixels are not square; "
          + "--type \(type.rawValue) needs square images")
    }

    // validate() sized the run for Fashion-MNIST before any data was read; now that the data
    // is in memory, size the network for what it is (CIFAR: 3,072 inputs) before allocating it.
    if convolutionalArchitecture == nil {
      let a = architecture
      let resources = TrainingResources(
        architecture: a, inputSize: dataset.train.featureCount, classCount: dataset.classes.count,
        batchSize: batchSize, examples: dataset.train.count + dataset.test.count)
      do { try resources.check(blocks: a.blocks) } catch {
        throw UsageError(
          "--width \(a.width), --blocks \(a.blocks), --batch-size \(batchSize) on \(data): \(error)"
        )
      }
    }

    if let (checkpoint, state, snapshot) = resumed {
      do {
        try Trainer.checkResumable(
          network: checkpoint.network, state: state, data: dataset, configuration: configuration,
          path: snapshot.optimizerPath)
      } catch { throw UsageError("--resume: \(error)") }
    }
    let trainer =
      if let (checkpoint, state, _) = resumed {
        Trainer(
          configuration: configuration, data: dataset, network: checkpoint.network, state: state)
      } else {
        Trainer(configuration: configuration, data: dataset)
      }
    let hyperparameters = TrainingHyperparameters(configuration, classes: dataset.classes)
    var metricsLines = resumed?.2.metricsLines ?? []
    try checkFreeSpace(run, trainer)

    let blas = BLASEnvironment.current
    if !json {
      printError(
        "training type \(type.rawValue) (\(shapeDescription)) on \(dataset.train.count) examples, "
          + "\(dataset.classes.count) classes; seed \(seed); weight decay \(weightDecay) "
          + "(\(weightDecayScope.rawValue)); BLAS \(blas.core) × \(blas.threads) threads"
          + (resumed != nil ? "; resuming after step \(trainer.state.step)" : "")
          + (changed.isEmpty ? "" : "; changed on purpose: " + changed.joined(separator: ", ")))
    }
    if resumed != nil && trainer.isFinished {
      printError(
        "ujm train: nothing to do: \(directory) is complete (epoch \(trainer.state.epoch) of "
          + "\(epochs)\(maxSteps.map { ", step limit \($0)" } ?? ""))")
    }

    let trace = ProcessInfo.processInfo.environment["UJM_SNAPSHOT_TRACE"] != nil
    func commit() throws {
      let epoch = trainer.state.epoch
      let kept =
        epoch > 0 && trainer.state.stepInEpoch == 0
        && ((snapshotEvery.map { epoch % $0 == 0 } ?? false) || snapshotEpochList.contains(epoch))
      let keep = kept ? "checkpoint-epoch\(epoch).safetensors" : nil
      do {
        try run.commit(
          epoch: epoch, step: trainer.state.step, checkpoint: trainer.checkpoint.file,
          optimizer: trainer.state.file, metricsLines: metricsLines,
          hyperparameters: hyperparameters, keepAs: keep,
          trace: { phase in
            if trace { printError("snapshot step \(trainer.state.step): \(phase)") }
          })
      } catch {
        throw RunFailure("--output \(error)")
      }
    }

    var trainingSeconds = 0.0
    var trainedSamples = 0.0
    var last: EpochMetrics?
    let progressBar = standardErrorIsTerminal && !json
    if resumed == nil { try commit() }  // the initial snapshot: the run is resumable from step 0
    while !trainer.isFinished {
      var lastDraw = clock.now
      let outcome = trainer.trainEpoch { p in
        if progressBar {
          guard clock.now - lastDraw > .milliseconds(200) || p.stepInEpoch == p.stepsPerEpoch
          else { return }
          lastDraw = clock.now
          drawProgress(p)
        } else if !json, clock.now - lastDraw > .seconds(10) {
          lastDraw = clock.now
          printError(progressLine(p))
        }
      }
      switch outcome {
      case .diverged(let epoch, let step, let loss):
        if progressBar { printError("") }
        throw RunFailure(
          "training diverged at epoch \(epoch), step \(step) (loss \(loss.isNaN ? "NaN" : "\(loss)")); "
            + "the last good snapshot is kept in \(directory)")
      case .completed(let metrics):
        metricsLines.append(try jsonLine(metrics))
        try commit()
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
      test = trainer.evaluateTest()
    }
    let summary = TrainSummary(
      type: type.rawValue, epochs: trainer.state.epoch, steps: trainer.state.step,
      seconds: (clock.now - started).secondsValue,
      samplesPerSecond: trainingSeconds > 0 ? trainedSamples / trainingSeconds : 0,
      testAccuracy: test.accuracy, testLoss: test.loss, checkpoint: checkpointPath,
      weightDecayScope: weightDecayScope.rawValue, changedHyperparameters: changed)
    if json {
      print(try jsonLine(summary))
    } else {
      print(
        "type \(summary.type): \(summary.epochs) epochs, \(summary.steps) steps, "
          + "\(fixed(summary.seconds, 1)) s (\(Int(summary.samplesPerSecond.rounded())) samples/s "
          + "in training steps; BLAS \(blas.core) × \(blas.threads) threads); test accuracy "
          + "\(percent(summary.testAccuracy)), loss \(fixed(summary.testLoss, 4)); seed \(seed)\n"
          + "checkpoint: \(checkpointPath)")
    }
  }

  /// Refuses an output directory holding files that ujm did not write: training there would
  /// replace or mix with them (README: nothing is overwritten).
  private func refuseForeignFiles(_ run: RunDirectory) throws {
    let foreign: [String]
    do { foreign = try run.foreignFiles(legacyAllowed: resume) } catch {
      throw UsageError("--output \(error)")
    }
    guard !foreign.isEmpty else { return }
    let shown =
      foreign.prefix(5).map(oneLine).joined(separator: ", ")
      + (foreign.count > 5 ? " and \(foreign.count - 5) more" : "")
    throw UsageError(
      "--output \(run.path) holds files that ujm did not write (\(shown)); training there "
        + "could replace them: choose a new or empty directory")
  }

  /// Refuses a resumed run whose recorded hyper-parameters differ from the options, unless
  /// `--allow-change` names every difference; returns the changes allowed.
  private func checkHyperparameters(
    snapshot: RunDirectory.Snapshot, checkpoint: Checkpoint, requested: TrainingConfiguration,
    kept: [Int]?
  ) throws -> [String] {
    let classes =
      checkpoint.metadata.classes ?? Array(0..<ImageClassificationData.fullClassCount)
    let wanted = TrainingHyperparameters(requested, classes: kept ?? classes)
    var differences: [(name: String, recorded: String, requested: String)]
    if let recorded = snapshot.hyperparameters {
      differences = recorded.differences(from: wanted)
    } else {
      // A directory of an older ujm: the checkpoint's metadata records some of them.
      var recorded = wanted
      let m = checkpoint.metadata
      if let s = m.seed { recorded.seed = s }
      if let w = m.weightDecay { recorded.weightDecay = w }
      if let p = m.dropPath { recorded.dropPath = p }
      if let scope = m.weightDecayScope { recorded.weightDecayScope = scope }
      differences = recorded.differences(from: wanted)
    }
    let allowed = Set(allowChange.map(allowedChanges) ?? [])
    let refused = differences.filter { !allowed.contains($0.name) }
    if let first = refused.first {
      throw UsageError(
        "--\(first.name): the run in \(outputDirectory) was trained with \(first.recorded), the "
          + "options ask for \(first.requested)"
          + (refused.count > 1
            ? " (also differ: \(refused.dropFirst().map { "--" + $0.name }.joined(separator: ", ")))"
            : "")
          + "; pass the recorded value, or --allow-change \(refused.map(\.name).joined(separator: ",")) "
          + "if the change is intended")
    }
    return differences.map { "\($0.name) \($0.recorded) → \($0.requested)" }
  }

  /// Refuses to start when the directory's file system cannot hold two snapshots.
  private func checkFreeSpace(_ run: RunDirectory, _ trainer: Trainer) throws {
    let snapshotBytes = trainer.checkpoint.file.encoded.count + trainer.state.file.encoded.count
    let needed = 2 * snapshotBytes + (1 << 20)
    if let free = run.freeBytes, free < needed {
      throw UsageError(
        "--output \(outputDirectory): \(free / (1 << 20)) MiB free, a snapshot needs "
          + "\(needed / (1 << 20)) MiB (two snapshots exist for a moment)")
    }
  }

  /// The resumed run must be the same architecture and classes as the options ask for.
  private func checkResumable(_ checkpoint: Checkpoint, _ state: TrainingState, kept: [Int]?)
    throws(UsageError)
  {
    let a = architecture
    let path = outputDirectory
    switch checkpoint.network {
    case .fullyConnected(let m):
      if convolutionalArchitecture != nil || m.depth != a.blocks || m.width != a.width
        || m.skips != a.skips
      {
        throw UsageError(
          "the run in \(path) has \(m.depth) fully-connected blocks of width \(m.width)"
            + " (skips \(m.skips)); the options ask for \(shapeDescription)")
      }
    case .convolutional(let m):
      let stages = ConvolutionalArchitecture.Stage.self
      var found = [ConvolutionalArchitecture.Stage]()
      for b in m.blocks {
        if let last = found.last, last.channels == b.outChannels, b.shortcut == nil {
          found[found.count - 1].blocks += 1
        } else {
          found.append(stages.init(blocks: 1, channels: b.outChannels))
        }
      }
      if convolutionalArchitecture != ConvolutionalArchitecture(stages: found, skips: m.skips) {
        throw UsageError(
          "the run in \(path) has convolutional blocks "
            + "\(found.map { "\($0.blocks)×\($0.channels)" }) (skips \(m.skips)); the options ask "
            + "for \(shapeDescription)")
      }
    }
    // Without --classes the run keeps every class of its data (10 or 100): the class count is
    // checked against the data once it is read (Trainer.checkResumable).
    if let kept, let classes = checkpoint.metadata.classes, classes != kept {
      throw UsageError(
        "the run in \(path) was trained on classes "
          + classes.map(String.init).joined(separator: ",") + "; --classes asks for "
          + kept.map(String.init).joined(separator: ","))
    }
    if let steps = checkpoint.metadata.steps, steps != state.step {
      throw UsageError(
        "the checkpoint in \(path) is at step \(steps) but its optimizer state at step "
          + "\(state.step): the two files are of different snapshots")
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
  var weightDecayScope: String
  /// Hyper-parameters changed on purpose at a resume (`--allow-change`), as "name old → new".
  var changedHyperparameters: [String]

  enum CodingKeys: String, CodingKey {
    case type, epochs, steps, seconds, checkpoint
    case weightDecayScope = "weight_decay_scope"
    case changedHyperparameters = "changed_hyperparameters"
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

/// `--type`: the paper's network types (Table 1): fully-connected 1, 4a, 4b; convolutional 2, 3,
/// 5a, 5b.
enum ResNetType: String, ExpressibleByArgument, CaseIterable {
  case type1 = "1"
  case type4a = "4a"
  case type4b = "4b"
  case type2 = "2"
  case type3 = "3"
  case type5a = "5a"
  case type5b = "5b"
}
