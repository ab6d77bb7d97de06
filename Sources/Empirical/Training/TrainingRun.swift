// Goals, in order of priority: a run directory that no interruption can corrupt and no option can
// silently change (resume policy lives here, once, for every client: `ujm train`, a sweep's
// child, a test); the CLI keeps parsing, text and exit codes only.

import Foundation
import LinearAlgebra

/// What `ujm train` is asked to do: the training configuration, the data, the run directory and
/// the snapshot and resume policy.
public struct TrainingRequest: Sendable {
  /// The recipe: architecture, epochs, learning rate, batch size, weight decay and its scope, …
  public var configuration: TrainingConfiguration
  /// `--classes`: the classes kept, relabelled 0…C−1; nil keeps every class of the data.
  public var classes: [Int]?
  /// `--labels` (CIFAR-100's fine or coarse labels).
  public var labels: CIFARFile.Labels
  /// `--data`: the data set's directory.
  public var data: String
  /// `--output`: the run directory.
  public var directory: String
  /// `--resume`: continue the latest snapshot in `directory` bit for bit.
  public var resume: Bool
  /// `--allow-change`: hyper-parameters whose change at a resume is intended.
  public var allowedChanges: Set<String>
  /// `--snapshot-every N`: keep `checkpoint-epoch<N·k>.safetensors`.
  public var snapshotEvery: Int?
  /// `--snapshot-epochs`: keep the checkpoints of these epochs.
  public var snapshotEpochs: Set<Int>

  public init(
    configuration: TrainingConfiguration, classes: [Int]?, labels: CIFARFile.Labels, data: String,
    directory: String, resume: Bool, allowedChanges: Set<String> = [],
    snapshotEvery: Int? = nil, snapshotEpochs: Set<Int> = []
  ) {
    self.configuration = configuration
    self.classes = classes
    self.labels = labels
    self.data = data
    self.directory = directory
    self.resume = resume
    self.allowedChanges = allowedChanges
    self.snapshotEvery = snapshotEvery
    self.snapshotEpochs = snapshotEpochs
  }

  /// The fully-connected architecture (for a convolutional type: its depth and skips, width 0).
  public var architecture: Architecture { configuration.architecture }

  /// "16 blocks, width 512, skips" or "convolutional, blocks: 8 of 64 channels, skips".
  public var shapeDescription: String {
    let a = architecture
    let skips = a.skips ? "skips" : "no skips"
    guard let c = configuration.convolutional else {
      return "\(a.blocks) blocks, width \(a.width), \(skips)"
    }
    let stages = c.stages.map { "\($0.blocks) of \($0.channels) channels" }
    return "convolutional, blocks: " + stages.joined(separator: " then ") + ", \(skips)"
  }

  /// Whether the checkpoint of `epoch` (at its end) is kept under its own name.
  func keepsCheckpoint(ofEpoch epoch: Int) -> Bool {
    epoch > 0
      && ((snapshotEvery.map { epoch % $0 == 0 } ?? false) || snapshotEpochs.contains(epoch))
  }
}

/// What a training run tells its client while it works (`ujm train` prints these on stderr).
public enum TrainingRunEvent: Sendable {
  /// A sentence about the run directory ("removed 2 file(s) of an interrupted write", "holds no
  /// complete snapshot; starting afresh", "nothing to do").
  case note(String)
  /// Training starts (or resumes after `resumedAfterStep`) on `examples` examples of `classes`
  /// classes; `changed` lists the hyper-parameters changed on purpose.
  case started(examples: Int, classes: Int, resumedAfterStep: Int?, changed: [String])
  /// A step of the current epoch.
  case step(StepProgress)
  /// An epoch ended and its snapshot is committed.
  case epoch(EpochMetrics)
  /// A phase of a snapshot's commit (`UJM_SNAPSHOT_TRACE`).
  case snapshotPhase(step: Int, phase: String)
}

/// One training run in its run directory, from the options to the summary: the directory is
/// checked, locked and cleaned; a resumed run is checked against the options (architecture,
/// classes, labels, every hyper-parameter unless `--allow-change` names it); the data is read
/// and the network sized for it; then every epoch is trained and committed as a snapshot (the
/// initial one at step 0), so that a kill at any instant leaves a resumable run.
public struct TrainingRun: Sendable {
  public var request: TrainingRequest

  public init(_ request: TrainingRequest) { self.request = request }

  /// Trains to the end (or to `--max-steps`); `events` is called on the calling thread.
  public func run(
    traceSnapshots: Bool = false, events: (TrainingRunEvent) -> Void
  ) throws(EmpiricalRunError) -> TrainSummary {
    let clock = ContinuousClock()
    let started = clock.now
    let configuration = request.configuration
    let directory = request.directory
    let run = RunDirectory(path: directory)
    let checkpointPath = (directory as NSString).appendingPathComponent(RunDirectory.checkpointName)
    let lock: FileLock
    let lockPath = (directory as NSString).appendingPathComponent(RunDirectory.lockName)
    var lockExisted = false
    do {
      try run.prepare()
      lockExisted = FileManager.default.fileExists(atPath: lockPath)
      lock = try run.lock()
      let removed = try run.recover()
      if !removed.isEmpty {
        events(.note("removed \(removed.count) file(s) of an interrupted write in \(directory)"))
      }
    } catch {
      throw .usage("--output \(error)")
    }
    defer { withExtendedLifetime(lock) {} }
    do { try refuseForeignFiles(run) } catch {
      // A refused directory keeps nothing of ujm's: the lock file this run created goes.
      if !lockExisted { unlink(lockPath) }
      throw error
    }

    var resumed: (checkpoint: Checkpoint, state: TrainingState, snapshot: RunDirectory.Snapshot)?
    let existing: RunDirectory.Snapshot?
    do {
      existing = try run.latestSnapshot { path in
        (try? Checkpoint(contentsOf: path))?.metadata.epochs
      }
    } catch {
      throw .usage("--output \(error)")
    }
    var changed: [String] = []
    if request.resume {
      if let snapshot = existing {
        do {
          let checkpoint = try Checkpoint(contentsOf: snapshot.checkpointPath)
          let state = try TrainingState(
            contentsOf: snapshot.optimizerPath, network: checkpoint.network)
          resumed = (checkpoint, state, snapshot)
        } catch {
          throw .usage("--resume: \(error)")
        }
        try checkResumable(resumed!.checkpoint, resumed!.state)
        changed = try checkHyperparameters(snapshot: snapshot, checkpoint: resumed!.checkpoint)
      } else {
        events(.note("--resume: \(directory) holds no complete snapshot; starting afresh"))
      }
    } else if let snapshot = existing {
      throw .usage(
        "--output \(directory) already holds a run (\(snapshot.metricsLines.count) epochs); "
          + "pass --resume to continue it, or choose another --output")
    }

    let dataset = try readData(resumed: resumed?.checkpoint)
    if let (checkpoint, state, snapshot) = resumed {
      do {
        try Trainer.checkResumable(
          network: checkpoint.network, state: state, data: dataset, configuration: configuration,
          path: snapshot.optimizerPath)
      } catch { throw .usage("--resume: \(error)") }
    }
    let trainer =
      if let (checkpoint, state, _) = resumed {
        Trainer(
          configuration: configuration, data: dataset, network: checkpoint.network, state: state)
      } else {
        Trainer(configuration: configuration, data: dataset)
      }
    try checkBatchStatistics(trainer)
    let hyperparameters = TrainingHyperparameters(configuration, classes: dataset.classes)
    var metricsLines = resumed?.snapshot.metricsLines ?? []
    try checkFreeSpace(run, trainer)

    events(
      .started(
        examples: dataset.train.count, classes: dataset.classes.count,
        resumedAfterStep: resumed.map { _ in trainer.state.step }, changed: changed))
    if resumed != nil && trainer.isFinished {
      events(
        .note(
          "nothing to do: \(directory) is complete (epoch \(trainer.state.epoch) of "
            + "\(configuration.epochs)"
            + "\(configuration.maxSteps.map { ", step limit \($0)" } ?? ""))"))
    }

    func commit() throws(EmpiricalRunError) {
      let epoch = trainer.state.epoch
      let keep =
        trainer.state.stepInEpoch == 0 && request.keepsCheckpoint(ofEpoch: epoch)
        ? "checkpoint-epoch\(epoch).safetensors" : nil
      let step = trainer.state.step
      do {
        try run.commit(
          epoch: epoch, step: step, checkpoint: trainer.checkpoint.file,
          optimizer: trainer.state.file, metricsLines: metricsLines,
          hyperparameters: hyperparameters, keepAs: keep,
          trace: { phase in
            if traceSnapshots { events(.snapshotPhase(step: step, phase: phase)) }
          })
      } catch {
        throw .failure("--output \(error)")
      }
    }

    var trainingSeconds = 0.0
    var trainedSamples = 0.0
    var last: EpochMetrics?
    if resumed == nil { try commit() }  // the initial snapshot: the run is resumable from step 0
    while !trainer.isFinished {
      let outcome = trainer.trainEpoch { p in events(.step(p)) }
      switch outcome {
      case .diverged(let epoch, let step, let loss):
        throw .failure(
          "training diverged at epoch \(epoch), step \(step) (loss \(loss.isNaN ? "NaN" : "\(loss)")); "
            + "the last good snapshot is kept in \(directory)")
      case .completed(let metrics):
        do {
          metricsLines.append(try ReportJSON.string(metrics))
        } catch {
          throw .failure(
            "cannot encode the metrics of epoch \(metrics.epoch) as JSON (\(reasonText(error)))")
        }
        try commit()
        trainingSeconds += metrics.seconds
        trainedSamples += metrics.samplesPerSecond * metrics.seconds
        last = metrics
        events(.epoch(metrics))
      }
    }
    let test =
      last.map {
        Evaluation(loss: $0.testLoss, accuracy: $0.testAccuracy, count: dataset.test.count)
      } ?? trainer.evaluateTest()
    return TrainSummary(
      type: configuration.typeName, epochs: trainer.state.epoch, steps: trainer.state.step,
      seconds: (clock.now - started).secondsValue,
      samplesPerSecond: trainingSeconds > 0 ? trainedSamples / trainingSeconds : 0,
      testAccuracy: test.accuracy, testLoss: test.loss, checkpoint: checkpointPath,
      weightDecayScope: configuration.weightDecayScope.rawValue, changedHyperparameters: changed)
  }

  /// The data, standardised as a resumed run was, checked against `--labels`, the convolutional
  /// types' square images and the memory a fully-connected network of this input size needs.
  private func readData(resumed: Checkpoint?) throws(EmpiricalRunError) -> ImageClassificationData {
    let data = request.data
    let labels = request.labels
    let dataset: ImageClassificationData
    do {
      dataset = try ImageClassificationData(
        directory: data, classes: request.classes,
        standardisation: resumed?.metadata.standardisation, labels: labels)
    } catch {
      throw .usage("--data: \(error)")
    }
    if labels == .coarse && dataset.labels != .coarse {
      throw .usage(
        "--labels coarse: \(data) is not CIFAR-100 (train.bin, test.bin); only CIFAR-100 has "
          + "coarse labels")
    }
    if let resumed, (resumed.metadata.labels ?? .fine) != labels {
      throw .usage(
        "--labels \(labels.rawValue): the run in \(request.directory) was trained on "
          + "\((resumed.metadata.labels ?? .fine).rawValue) labels")
    }
    if request.configuration.convolutional != nil,
      ConvolutionalInput(image: dataset.imageShape) == nil
    {
      throw .usage(
        "--data: \(data): images of \(dataset.train.featureCount) pixels are not square; "
          + "--type \(request.configuration.typeName) needs square images")
    }
    // The options were sized for Fashion-MNIST before any data was read; now that the data is in
    // memory, size the network for what it is (CIFAR: 3,072 inputs) before allocating it.
    if request.configuration.convolutional == nil {
      let a = request.architecture
      let batchSize = request.configuration.batchSize
      let resources = TrainingResources(
        architecture: a, inputSize: dataset.train.featureCount, classCount: dataset.classes.count,
        batchSize: batchSize, examples: dataset.train.count + dataset.test.count)
      do { try resources.check(blocks: a.blocks) } catch {
        throw .usage(
          "--width \(a.width), --blocks \(a.blocks), --batch-size \(batchSize) on \(data): \(error)"
        )
      }
    }
    return dataset
  }

  /// Refuses a batch size under which a training batch gives some BatchNorm layer one value per
  /// channel: its batch variance σ² = 0 and y = γ·(x − μ)/√(σ² + ε) = β whatever x, so nothing
  /// is learnt from that batch (PyTorch raises "Expected more than 1 value per channel when
  /// training"). The last batch of an epoch holds N mod B examples when B does not divide N; it
  /// is kept, as PyTorch's `DataLoader` keeps it by default (`drop_last=False`), so it is
  /// checked too.
  private func checkBatchStatistics(_ trainer: Trainer) throws(EmpiricalRunError) {
    let b = request.configuration.batchSize
    let n = trainer.data.train.count
    let perExample = trainer.network.batchNormValuesPerExample
    func smallestBatch(_ b: Int) -> Int { n >= b ? (n % b == 0 ? b : n % b) : n }
    guard smallestBatch(b) * perExample < 2 else { return }
    let reason =
      "which gives BatchNorm one value per channel and so no batch statistics (PyTorch refuses "
      + "it too)"
    if n * perExample < 2 {
      throw .usage("--data \(request.data): 1 training example, \(reason); give at least 2")
    }
    if b * perExample < 2 {
      throw .usage("--batch-size \(b): a batch of 1 example, \(reason); use at least 2")
    }
    // The nearest batch size that leaves no batch of one example.
    let other = (1...).lazy.flatMap { d in [b - d, b + d] }.first { c in
      c >= 2 && smallestBatch(c) * perExample >= 2
    }!
    throw .usage(
      "--batch-size \(b): the last batch of every epoch holds 1 of the \(n) training examples, "
        + "\(reason); choose a batch size that leaves more over, e.g. \(other)")
  }

  /// Refuses an output directory holding files that ujm did not write: training there would
  /// replace or mix with them (README: nothing is overwritten).
  private func refuseForeignFiles(_ run: RunDirectory) throws(EmpiricalRunError) {
    let foreign: [String]
    do { foreign = try run.foreignFiles(legacyAllowed: request.resume) } catch {
      throw .usage("--output \(error)")
    }
    guard !foreign.isEmpty else { return }
    let shown =
      foreign.prefix(5).map(oneLine).joined(separator: ", ")
      + (foreign.count > 5 ? " and \(foreign.count - 5) more" : "")
    throw .usage(
      "--output \(run.path) holds files that ujm did not write (\(shown)); training there "
        + "could replace them: choose a new or empty directory")
  }

  /// Refuses a resumed run whose recorded hyper-parameters differ from the request, unless
  /// `allowedChanges` names every difference; returns the changes allowed as "name old → new".
  private func checkHyperparameters(snapshot: RunDirectory.Snapshot, checkpoint: Checkpoint)
    throws(EmpiricalRunError) -> [String]
  {
    let classes =
      checkpoint.metadata.classes ?? Array(0..<ImageClassificationData.fullClassCount)
    let wanted = TrainingHyperparameters(request.configuration, classes: request.classes ?? classes)
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
    let refused = differences.filter { !request.allowedChanges.contains($0.name) }
    if let first = refused.first {
      throw .usage(
        "--\(first.name): the run in \(request.directory) was trained with \(first.recorded), "
          + "the options ask for \(first.requested)"
          + (refused.count > 1
            ? " (also differ: \(refused.dropFirst().map { "--" + $0.name }.joined(separator: ", ")))"
            : "")
          + "; pass the recorded value, or --allow-change \(refused.map(\.name).joined(separator: ",")) "
          + "if the change is intended")
    }
    return differences.map { "\($0.name) \($0.recorded) → \($0.requested)" }
  }

  /// Refuses to start when the directory's file system cannot hold two snapshots.
  private func checkFreeSpace(_ run: RunDirectory, _ trainer: Trainer) throws(EmpiricalRunError) {
    let snapshotBytes = trainer.checkpoint.file.encoded.count + trainer.state.file.encoded.count
    let needed = 2 * snapshotBytes + (1 << 20)
    if let free = run.freeBytes, free < needed {
      throw .usage(
        "--output \(request.directory): \(free / (1 << 20)) MiB free, a snapshot needs "
          + "\(needed / (1 << 20)) MiB (two snapshots exist for a moment)")
    }
  }

  /// The resumed run must be the same architecture and classes as the request; the refusal
  /// says what differs (the run's shape or classes and the request's).
  private func checkResumable(_ checkpoint: Checkpoint, _ state: TrainingState)
    throws(EmpiricalRunError)
  {
    let a = request.architecture
    let path = request.directory
    let requested = request.configuration.convolutional
    switch checkpoint.network {
    case .fullyConnected(let m):
      if requested != nil || m.depth != a.blocks || m.width != a.width || m.skips != a.skips {
        throw .usage(
          "--resume: the run in \(path) has \(m.depth) fully-connected blocks of width "
            + "\(m.width) (skips \(m.skips)); the options ask for \(request.shapeDescription)")
      }
    case .convolutional(let m):
      let found = ConvolutionalArchitecture(inferredFrom: m)
      if requested != found {
        throw .usage(
          "--resume: the run in \(path) has convolutional blocks "
            + "\(found.stages.map { "\($0.blocks)×\($0.channels)" }) (skips \(m.skips)); the "
            + "options ask for \(request.shapeDescription)")
      }
    }
    // Without --classes the run keeps every class of its data (10 or 100): the class count is
    // checked against the data once it is read (Trainer.checkResumable).
    if let kept = request.classes, let classes = checkpoint.metadata.classes, classes != kept {
      throw .usage(
        "--resume: the run in \(path) was trained on classes "
          + classes.map(String.init).joined(separator: ",") + "; --classes asks for "
          + kept.map(String.init).joined(separator: ","))
    }
    if let steps = checkpoint.metadata.steps, steps != state.step {
      throw .usage(
        "--resume: the checkpoint in \(path) is at step \(steps) but its optimizer state at "
          + "step \(state.step): the two files are of different snapshots")
    }
  }
}

extension ConvolutionalArchitecture {
  /// The stages of a convolutional network's blocks: a new stage begins at each block that
  /// changes the channel count or has a shortcut (the first block of a stage downsamples).
  public init<Scalar: BLASScalar>(inferredFrom network: ConvolutionalNetwork<Scalar>) {
    var found = [Stage]()
    for b in network.blocks {
      if let last = found.last, last.channels == b.outChannels, b.shortcut == nil {
        found[found.count - 1].blocks += 1
      } else {
        found.append(Stage(blocks: 1, channels: b.outChannels))
      }
    }
    self.init(stages: found, skips: network.skips)
  }
}
