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

  /// The most inputs (`--inputs`, `--indices`) and the largest `--rank` accepted: 100,000,
  /// checked before any arithmetic on them (the paper measures 20 inputs at rank 10).
  static let maximumInputs = MeasurementOptions.maximumInputs

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
      let parsed = try Self.parseIndices(indices)
      guard parsed.count <= Self.maximumInputs else {
        throw ValidationError(
          "--indices: \(parsed.count) indices, more than the \(Self.maximumInputs) inputs a "
            + "measurement may take")
      }
      var seen = Set<Int>()
      for k in parsed where !seen.insert(k).inserted {
        throw ValidationError(
          "--indices: index \(k) appears \(parsed.filter { $0 == k }.count) times; each input "
            + "must be distinct (a repeated input makes the bootstrap CI narrower than the data)")
      }
    }
  }

  static func parseIndices(_ text: String) throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    var out = [Int]()
    for part in parts {
      let t = part.trimmingCharacters(in: .whitespaces)
      guard let k = Int(t) else {
        throw ValidationError("--indices: '\(t)' is not a non-negative integer")
      }
      guard k >= 0 else {
        throw ValidationError("--indices: index \(k) is out of range (positions start at 0)")
      }
      out.append(k)
    }
    guard !out.isEmpty else { throw ValidationError("--indices: no index given") }
    return out
  }

  func run() throws {
    try reportingUsageErrors(command: "measure") {
      print(try execute(progress: MeasureProgress(terminal: standardErrorIsTerminal)))
    }
  }

  /// The command's work; returns what it prints, reporting its stages to `progress` (stderr).
  /// Bad input throws `UsageError` (exit 64).
  func execute(progress: MeasureProgress = MeasureProgress(sink: { _ in })) throws -> String {
    let clock = ContinuousClock()
    let start = clock.now
    var stages = MeasureReport.StageSeconds()
    if let figures { try Self.checkFigures(figures) }
    progress.stage("loading \(checkpoint) and the data in \(data)")
    let loaded = try CheckpointWithData(checkpoint: checkpoint, data: data)
    let (model, dataset) = (loaded.checkpoint.network, loaded.dataset)
    guard model.depth >= 3 else {
      throw UsageError("--checkpoint: \(checkpoint): \(model.depth) blocks; RA4 needs at least 3")
    }
    let network = model.measurable
    if let reason = ResidualAlignmentMeasurement.unmeasurableReason(network) {
      throw UsageError("--checkpoint: \(checkpoint): \(reason)")
    }
    let width = (1...(model.depth + 1)).map { network.representationSize(at: $0) }.min()!
    guard rank <= width else {
      throw UsageError("--rank \(rank) exceeds the width D = \(width) of \(checkpoint)")
    }
    guard width > model.classCount else {
      throw UsageError(
        "--checkpoint: \(checkpoint): width D = \(width) is not above the "
          + "\(model.classCount) classes; RA3 compares σ_C with σ_{C+1}, which needs D > C")
    }
    let train = dataset.train
    let labels = train.labels.map(Int.init)
    var generator = SeededGenerator(seed: seed)
    let chosen: [Int]  // positions in `train`, i.e. among the checkpoint's classes
    if let indices {
      chosen = try Self.keptExamples(
        atFilePositions: Self.parseIndices(indices), of: dataset.trainFile,
        classes: dataset.classes)
    } else {
      let count = inputs ?? 20
      guard
        let picked = InputSelection.balanced(
          labels: labels, classes: model.classCount, count: count, using: &generator)
      else {
        throw UsageError(
          "--inputs \(count): some class has fewer than the "
            + "\((count + model.classCount - 1) / model.classCount) training examples needed")
      }
      chosen = picked
    }
    let d0 = train.featureCount
    let points = chosen.map { n in
      train.features[(n * d0)..<((n + 1) * d0)].map(Double.init)
    }
    let limit = min(ncExamples ?? train.count, train.count)
    if limit > 0 {
      try Self.checkNeuralCollapseRequest(
        labels: labels, classes: model.classCount, limit: limit, requested: ncExamples)
    }
    stages.load = Self.seconds(start.duration(to: clock.now))
    progress.done(seconds: stages.load)
    let ra: ResidualAlignmentMeasurement
    var nc: NeuralCollapseMeasurement?
    var stageStart = clock.now
    progress.stage(
      "residual alignment: top singular triplets of \(model.depth) Jacobians at each of "
        + "\(chosen.count) inputs")
    do {
      ra = try ResidualAlignmentMeasurement.measure(
        network: network, inputs: points, rank: rank, powerIterations: iterations,
        using: &generator
      ) { done, total in progress.advance(done, of: total) }
    } catch {
      throw UsageError("--checkpoint: \(checkpoint): \(error)")
    }
    stages.residualAlignment = Self.seconds(stageStart.duration(to: clock.now))
    progress.done(seconds: stages.residualAlignment)
    // The process's peak so far (read before the high-water mark is reset for NC's own).
    var processPeak = PeakMemory.residentBytes
    if let processPeak {
      progress.note(
        "peak resident memory of the process so far: \(PeakMemory.gibibytes(processPeak)) "
          + "(getrusage ru_maxrss)")
    }
    var ncPeak: Int?
    if limit > 0 {
      stageStart = clock.now
      let measurable = PeakMemory.resetHighWaterMark()
      nc = try neuralCollapse(network, train, limit: limit, progress: progress)
      stages.neuralCollapse = Self.seconds(stageStart.duration(to: clock.now))
      ncPeak = measurable ? PeakMemory.highWaterMarkBytes : nil
      if let ncPeak {
        progress.note(
          "peak resident memory during Neural Collapse: \(PeakMemory.gibibytes(ncPeak)) "
            + "(VmHWM, reset as the stage began)")
      }
    }
    processPeak = [processPeak, PeakMemory.residentBytes, ncPeak].compactMap { $0 }.max()
    if let figures {
      let firstInput = chosen.first.map {
        "training example \(dataset.trainFile.positions[$0]), class \(dataset.classes[labels[$0]])"
      }
      stageStart = clock.now
      progress.stage("writing figures to \(figures)")
      try writeFigures(
        to: figures, ra: ra, nc: nc, labels: chosen.map { labels[$0] },
        classNames: dataset.classes.map { "class \($0)" },
        firstInput: firstInput ?? "the first input measured")
      stages.figures = Self.seconds(stageStart.duration(to: clock.now))
      progress.done(seconds: stages.figures!)
    }
    let report = MeasureReport(
      checkpoint: checkpoint, seed: seed, inputs: chosen.map { dataset.trainFile.positions[$0] },
      seconds: Self.seconds(start.duration(to: clock.now)), stageSeconds: stages,
      measurement: ra, neuralCollapse: nc, neuralCollapsePrecision: ncPrecision,
      peakResidentBytes: processPeak, neuralCollapsePeakResidentBytes: ncPeak,
      weightDecay: loaded.checkpoint.metadata.weightDecay,
      weightDecayScope: loaded.checkpoint.metadata.weightDecayScope)
    return json ? try report.json : report.text(blas: BLASEnvironment.current, figures: figures)
  }

  /// The positions in the kept training examples of the examples at `positions` in the training
  /// file. Throws a `UsageError` naming `--indices` for a position past the end of the file or
  /// one whose example's class (original label) is not in `classes`.
  static func keptExamples(
    atFilePositions positions: [Int], of file: FilePositions, classes: [Int]
  ) throws -> [Int] {
    try positions.map { p in
      guard p < file.fileCount else {
        throw UsageError(
          "--indices: index \(p) is out of range 0..<\(file.fileCount) (the training file has "
            + "\(file.fileCount) examples)")
      }
      guard let n = file.keptIndex(ofFilePosition: p) else {
        throw UsageError(
          "--indices: index \(p) is an example of class \(file.fileLabels[p]), which is not "
            + "among the checkpoint's classes \(classes)")
      }
      return n
    }
  }

  static func seconds(_ d: Duration) -> Double {
    d.secondsValue
  }

  /// Refuses an NC request that cannot be met: the first `limit` training examples must hold
  /// every class (`--nc-examples 0` skips NC instead).
  static func checkNeuralCollapseRequest(
    labels: [Int], classes: Int, limit: Int, requested: Int?
  ) throws {
    if NeuralCollapseMeasurement.examplesNeeded(labels: labels.prefix(limit), classes: classes)
      != nil
    {
      return
    }
    let seen = Set(labels.prefix(limit))
    let missing = (0..<classes).filter { !seen.contains($0) }
    let needed = NeuralCollapseMeasurement.examplesNeeded(labels: labels, classes: classes)
    let option = requested.map { "--nc-examples \($0)" } ?? "--nc-examples (all)"
    throw UsageError(
      "\(option): the first \(limit) training examples hold no example of class(es) "
        + "\(missing) (0-based among the checkpoint's classes); Neural Collapse needs every class"
        + (needed.map { ": use at least \($0)" } ?? "") + ", or 0 to skip it")
  }

  /// NC over the first `limit` training examples, in batches of 500, with progress.
  private func neuralCollapse(
    _ network: some MeasurableResidualNetwork, _ train: LabeledExamples, limit: Int,
    progress: MeasureProgress
  ) throws -> NeuralCollapseMeasurement {
    let d0 = train.featureCount
    let clock = ContinuousClock()
    var passStart = clock.now
    // Known in advance: whether pass 1's representations fit. When they do not, none are kept
    // (keeping them up to the budget and then dropping them would only raise the peak).
    let needed = NeuralCollapseMeasurement.representationBytes(
      samples: limit, dimensions: (1...(network.depth + 2)).map(network.representationSize),
      precision: ncPrecision)
    let budget = Int(ncMemoryBudget * Double(1 << 30))
    let keeps = needed <= budget
    do {
      return try NeuralCollapseMeasurement.measure(
        network: network, precision: ncPrecision, representationBudget: keeps ? budget : 0,
        batches: {
          AnySequence(
            stride(from: 0, to: limit, by: 500).lazy.map { begin in
              let end = min(begin + 500, limit)
              let x = Matrix<Double>(
                rows: d0, columns: end - begin,
                storage: train.features[(begin * d0)..<(end * d0)].map(Double.init))
              return (inputs: x, labels: train.labels[begin..<end].map(Int.init))
            })
        },
        progress: { p in
          if p.samples == 0 {
            if p.pass == 2 {
              progress.done(seconds: Self.seconds(passStart.duration(to: clock.now)))
            }
            passStart = clock.now
            progress.stage(
              p.pass == 1
                ? "neural collapse pass 1 of 2 (class means, predictions; forward pass in "
                  + "\(ncPrecision == .single ? "Float32" : "Float64"); representations "
                  + (keeps ? "kept" : "not kept") + ", \(PeakMemory.gibibytes(needed)) against "
                  + "--nc-memory-budget \(ncMemoryBudget) GiB) over \(limit) examples"
                : "neural collapse pass 2 of 2 (Σ_W on the span of the means, NC4) "
                  + (p.fromMemory
                    ? "on the representations kept from pass 1"
                    : "with a second forward pass"))
          }
          progress.advance(p.samples, of: limit)
          if p.pass == 2 && p.samples == limit {
            progress.done(seconds: Self.seconds(passStart.duration(to: clock.now)))
          }
        })
    } catch {
      throw UsageError("--checkpoint: \(checkpoint): neural collapse: \(error)")
    }
  }

  /// Refuses, before any work, a `--figures` directory ujm could not write its figures into.
  static func checkFigures(_ directory: String) throws {
    do {
      try AtomicFile.createDirectory(directory)
    } catch {
      throw UsageError("--figures \(directory): cannot be created (\(error))")
    }
    for name in [
      "figure1-trajectories.svg", "figure2-alignment.svg", "figure4-singular-values.svg",
    ] {
      let path = (directory as NSString).appendingPathComponent(name)
      try checkOutput(path, option: "--figures", isOurs: OutputFile.isFigure)
    }
  }

  private func writeFigures(
    to directory: String, ra: ResidualAlignmentMeasurement, nc: NeuralCollapseMeasurement?,
    labels: [Int], classNames: [String], firstInput: String
  ) throws {
    do {
      try AtomicFile.createDirectory(directory)
    } catch {
      throw UsageError("--figures \(directory): cannot be created (\(error))")
    }
    var generator = SeededGenerator(seed: seed)
    var files = [
      (
        "figure1-trajectories.svg",
        try ResidualAlignmentFigures.trajectories(
          ra.trajectories, labels: labels, classNames: classNames, using: &generator)
      ),
      (
        "figure2-alignment.svg",
        ResidualAlignmentFigures.alignmentGrid(
          ra.alignmentMatrices, pairFractions: ra.pairDiagonalFractions, input: firstInput)
      ),
      ("figure4-singular-values.svg", ResidualAlignmentFigures.singularValues(ra)),
    ]
    if let nc {
      files.append(("figure7-neural-collapse.svg", ResidualAlignmentFigures.neuralCollapse(nc)))
    }
    for (name, svg) in files {
      let path = (directory as NSString).appendingPathComponent(name)
      try writeAtomically(
        Data(svg.utf8), to: path, option: "--figures", isOurs: OutputFile.isFigure)
    }
  }
}
extension NeuralCollapseMeasurement.Precision: ExpressibleByArgument {}
