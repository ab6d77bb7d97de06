// Goals, in order of priority: every refusal before any arithmetic, one sentence naming the option
// or file; the measurement policy (inputs drawn or named, Neural Collapse's examples and memory
// budget, figures) lives here, once, for every client: `ujm measure`, a sweep's child, a test.

import Foundation
import LinearAlgebra

/// What `ujm measure` is asked to do: the checkpoint, the data, the inputs and the options of the
/// residual-alignment (RA1–RA4) and Neural Collapse measurements.
public struct MeasurementRequest: Sendable {
  /// `--checkpoint`: a checkpoint file or a run directory of `ujm train`.
  public var checkpoint: String
  /// `--data`: the data set's directory.
  public var data: String
  /// `--inputs`: training inputs drawn balanced over classes (nil: 20, unless `indices`).
  public var inputs: Int?
  /// `--indices`: 0-based positions in the training file, parsed by
  /// `MeasurementOptions.indices(parsing:)`.
  public var indices: [Int]?
  /// `--rank`: k, the size of the top subspaces compared in RA2.
  public var rank: Int
  /// `--iterations`: T, Algorithm 971's power iterations.
  public var iterations: Int
  /// `--seed`: the inputs, the test matrices and the bootstrap.
  public var seed: UInt64
  /// `--nc-examples`: the first N training examples for Neural Collapse (nil: all; 0 skips it).
  public var neuralCollapseExamples: Int?
  /// `--nc-precision`: the arithmetic of Neural Collapse's forward passes.
  public var neuralCollapsePrecision: NeuralCollapseMeasurement.Precision
  /// `--nc-memory-budget`: GiB of representations kept from the first pass.
  public var neuralCollapseMemoryBudget: Double
  /// `--figures`: the directory of the SVG figures (1, 2, 4, 7), nil for none.
  public var figures: String?

  public init(
    checkpoint: String, data: String, inputs: Int? = nil, indices: [Int]? = nil, rank: Int = 10,
    iterations: Int = RandomizedSVD.defaultPowerIterations, seed: UInt64 = 0,
    neuralCollapseExamples: Int? = nil,
    neuralCollapsePrecision: NeuralCollapseMeasurement.Precision = .single,
    neuralCollapseMemoryBudget: Double = 3, figures: String? = nil
  ) {
    self.checkpoint = checkpoint
    self.data = data
    self.inputs = inputs
    self.indices = indices
    self.rank = rank
    self.iterations = iterations
    self.seed = seed
    self.neuralCollapseExamples = neuralCollapseExamples
    self.neuralCollapsePrecision = neuralCollapsePrecision
    self.neuralCollapseMemoryBudget = neuralCollapseMemoryBudget
    self.figures = figures
  }
}

/// What a measurement tells its client while it works (`ujm measure` prints these on stderr).
public enum MeasurementRunEvent: Sendable {
  /// A stage begins (loading, residual alignment, a Neural Collapse pass, figures).
  case stage(String)
  /// `done` of `total` items of the current stage are finished.
  case advance(done: Int, total: Int)
  /// A figure of the stage that just ended (the peak resident memory).
  case note(String)
  /// The current stage ended after `seconds`.
  case stageDone(seconds: Double)
}

extension MeasurementOptions {
  /// `--indices 3,17,42`: distinct non-negative integers, at most `maximumInputs` of them.
  public static func indices(parsing text: String) throws(EmpiricalRunError) -> [Int] {
    var parsed = [Int]()
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let t = part.trimmingCharacters(in: .whitespaces)
      guard let k = Int(t) else {
        throw .usage("--indices: '\(t)' is not a non-negative integer")
      }
      guard k >= 0 else {
        throw .usage("--indices: index \(k) is out of range (positions start at 0)")
      }
      parsed.append(k)
    }
    guard !parsed.isEmpty else { throw .usage("--indices: no index given") }
    guard parsed.count <= maximumInputs else {
      throw .usage(
        "--indices: \(parsed.count) indices, more than the \(maximumInputs) inputs a "
          + "measurement may take")
    }
    var seen = Set<Int>()
    for k in parsed where !seen.insert(k).inserted {
      throw .usage(
        "--indices: index \(k) appears \(parsed.filter { $0 == k }.count) times; each input "
          + "must be distinct (a repeated input makes the bootstrap CI narrower than the data)")
    }
    return parsed
  }
}

/// One measurement of a trained checkpoint, from the options to the report: the figures
/// directory and the checkpoint are checked against the options before any arithmetic; the
/// inputs are drawn (balanced over classes, seeded) or named; then the residual Jacobians'
/// top singular triplets by Algorithm 971 and the paper's section 2 metrics (RA1–RA4), Neural
/// Collapse (NC1–NC4, section 2 of Li & Papyan) over the first training examples in one or two
/// forward passes, and the figures.
public struct MeasurementRun: Sendable {
  public var request: MeasurementRequest

  public init(_ request: MeasurementRequest) { self.request = request }

  /// Measures; `events` is called on the calling thread.
  public func run(events: (MeasurementRunEvent) -> Void) throws(EmpiricalRunError) -> MeasureReport
  {
    let clock = ContinuousClock()
    let start = clock.now
    let checkpoint = request.checkpoint
    var stages = MeasureReport.StageSeconds()
    if let figures = request.figures { try Self.checkFigures(figures) }
    events(.stage("loading \(checkpoint) and the data in \(request.data)"))
    let loaded = try CheckpointWithData(checkpointPath: checkpoint, dataDirectory: request.data)
    let (model, dataset) = (loaded.checkpoint.network, loaded.dataset)
    guard model.depth >= 3 else {
      throw .usage("--checkpoint: \(checkpoint): \(model.depth) blocks; RA4 needs at least 3")
    }
    let network = model.measurable
    if let reason = ResidualAlignmentMeasurement.unmeasurableReason(network) {
      throw .usage("--checkpoint: \(checkpoint): \(reason)")
    }
    let rank = request.rank
    let width = (1...(model.depth + 1)).map { network.representationSize(at: $0) }.min()!
    guard rank <= width else {
      throw .usage("--rank \(rank) exceeds the width D = \(width) of \(checkpoint)")
    }
    guard width > model.classCount else {
      throw .usage(
        "--checkpoint: \(checkpoint): width D = \(width) is not above the "
          + "\(model.classCount) classes; RA3 compares σ_C with σ_{C+1}, which needs D > C")
    }
    let train = dataset.train
    let labels = train.labels.map(Int.init)
    var generator = SeededGenerator(seed: request.seed)
    let chosen: [Int]  // positions in `train`, i.e. among the checkpoint's classes
    if let indices = request.indices {
      chosen = try Self.keptExamples(
        atFilePositions: indices, of: dataset.trainFile, classes: dataset.classes)
    } else {
      let count = request.inputs ?? 20
      guard
        let picked = InputSelection.balanced(
          labels: labels, classes: model.classCount, count: count, using: &generator)
      else {
        throw .usage(
          "--inputs \(count): some class has fewer than the "
            + "\((count + model.classCount - 1) / model.classCount) training examples needed")
      }
      chosen = picked
    }
    let d0 = train.featureCount
    let points = chosen.map { n in
      train.features[(n * d0)..<((n + 1) * d0)].map(Double.init)
    }
    let limit = min(request.neuralCollapseExamples ?? train.count, train.count)
    if limit > 0 {
      try Self.checkNeuralCollapseRequest(
        labels: labels, classes: model.classCount, limit: limit,
        requested: request.neuralCollapseExamples)
    }
    stages.load = start.duration(to: clock.now).secondsValue
    events(.stageDone(seconds: stages.load))
    let ra: ResidualAlignmentMeasurement
    var nc: NeuralCollapseMeasurement?
    var stageStart = clock.now
    events(
      .stage(
        "residual alignment: top singular triplets of \(model.depth) Jacobians at each of "
          + "\(chosen.count) inputs"))
    do {
      ra = try ResidualAlignmentMeasurement.measure(
        network: network, inputs: points, rank: rank, powerIterations: request.iterations,
        using: &generator
      ) { done, total in events(.advance(done: done, total: total)) }
    } catch {
      throw .usage("--checkpoint: \(checkpoint): \(error)")
    }
    stages.residualAlignment = stageStart.duration(to: clock.now).secondsValue
    events(.stageDone(seconds: stages.residualAlignment))
    // The process's peak so far (read before the high-water mark is reset for NC's own).
    var processPeak = PeakMemory.residentBytes
    if let processPeak {
      events(
        .note(
          "peak resident memory of the process so far: \(PeakMemory.gibibytes(processPeak)) "
            + "(getrusage ru_maxrss)"))
    }
    var ncPeak: Int?
    if limit > 0 {
      stageStart = clock.now
      let measurable = PeakMemory.resetHighWaterMark()
      nc = try neuralCollapse(network, train, limit: limit, events: events)
      stages.neuralCollapse = stageStart.duration(to: clock.now).secondsValue
      ncPeak = measurable ? PeakMemory.highWaterMarkBytes : nil
      if let ncPeak {
        events(
          .note(
            "peak resident memory during Neural Collapse: \(PeakMemory.gibibytes(ncPeak)) "
              + "(VmHWM, reset as the stage began)"))
      }
    }
    processPeak = [processPeak, PeakMemory.residentBytes, ncPeak].compactMap { $0 }.max()
    if let figures = request.figures {
      let firstInput = chosen.first.map {
        "training example \(dataset.trainFile.positions[$0]), class \(dataset.classes[labels[$0]])"
      }
      stageStart = clock.now
      events(.stage("writing figures to \(figures)"))
      try writeFigures(
        to: figures, ra: ra, nc: nc, labels: chosen.map { labels[$0] },
        classNames: dataset.classes.map { "class \($0)" },
        firstInput: firstInput ?? "the first input measured")
      let seconds = stageStart.duration(to: clock.now).secondsValue
      stages.figures = seconds
      events(.stageDone(seconds: seconds))
    }
    return MeasureReport(
      checkpoint: checkpoint, seed: request.seed,
      inputs: chosen.map { dataset.trainFile.positions[$0] },
      seconds: start.duration(to: clock.now).secondsValue, stageSeconds: stages,
      measurement: ra, neuralCollapse: nc, neuralCollapsePrecision: request.neuralCollapsePrecision,
      peakResidentBytes: processPeak, neuralCollapsePeakResidentBytes: ncPeak,
      weightDecay: loaded.checkpoint.metadata.weightDecay,
      weightDecayScope: loaded.checkpoint.metadata.weightDecayScope)
  }

  /// The positions in the kept training examples of the examples at `positions` in the training
  /// file. Refuses, naming `--indices`, a position past the end of the file or one whose
  /// example's class (original label) is not in `classes`.
  public static func keptExamples(
    atFilePositions positions: [Int], of file: FilePositions, classes: [Int]
  ) throws(EmpiricalRunError) -> [Int] {
    var kept = [Int]()
    for p in positions {
      guard p < file.fileCount else {
        throw .usage(
          "--indices: index \(p) is out of range 0..<\(file.fileCount) (the training file has "
            + "\(file.fileCount) examples)")
      }
      guard let n = file.keptIndex(ofFilePosition: p) else {
        throw .usage(
          "--indices: index \(p) is an example of class \(file.fileLabels[p]), which is not "
            + "among the checkpoint's classes \(classes)")
      }
      kept.append(n)
    }
    return kept
  }

  /// Refuses an NC request that cannot be met: the first `limit` training examples must hold
  /// every class (`--nc-examples 0` skips NC instead).
  public static func checkNeuralCollapseRequest(
    labels: [Int], classes: Int, limit: Int, requested: Int?
  ) throws(EmpiricalRunError) {
    if NeuralCollapseMeasurement.examplesNeeded(labels: labels.prefix(limit), classes: classes)
      != nil
    {
      return
    }
    let seen = Set(labels.prefix(limit))
    let missing = (0..<classes).filter { !seen.contains($0) }
    let needed = NeuralCollapseMeasurement.examplesNeeded(labels: labels, classes: classes)
    let option = requested.map { "--nc-examples \($0)" } ?? "--nc-examples (all)"
    throw .usage(
      "\(option): the first \(limit) training examples hold no example of class(es) "
        + "\(missing) (0-based among the checkpoint's classes); Neural Collapse needs every class"
        + (needed.map { ": use at least \($0)" } ?? "") + ", or 0 to skip it")
  }

  /// NC over the first `limit` training examples, in batches of 500, with progress.
  private func neuralCollapse(
    _ network: some MeasurableResidualNetwork, _ train: LabeledExamples, limit: Int,
    events: (MeasurementRunEvent) -> Void
  ) throws(EmpiricalRunError) -> NeuralCollapseMeasurement {
    let d0 = train.featureCount
    let precision = request.neuralCollapsePrecision
    let budgetGiB = request.neuralCollapseMemoryBudget
    let clock = ContinuousClock()
    var passStart = clock.now
    // Known in advance: whether pass 1's representations fit. When they do not, none are kept
    // (keeping them up to the budget and then dropping them would only raise the peak).
    let needed = NeuralCollapseMeasurement.representationBytes(
      samples: limit, dimensions: (1...(network.depth + 2)).map(network.representationSize),
      precision: precision)
    let budget = Int(budgetGiB * Double(1 << 30))
    let keeps = needed <= budget
    do {
      return try NeuralCollapseMeasurement.measure(
        network: network, precision: precision, representationBudget: keeps ? budget : 0,
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
              events(.stageDone(seconds: passStart.duration(to: clock.now).secondsValue))
            }
            passStart = clock.now
            events(
              .stage(
                p.pass == 1
                  ? "neural collapse pass 1 of 2 (class means, predictions; forward pass in "
                    + "\(precision == .single ? "Float32" : "Float64"); representations "
                    + (keeps ? "kept" : "not kept") + ", \(PeakMemory.gibibytes(needed)) against "
                    + "--nc-memory-budget \(budgetGiB) GiB) over \(limit) examples"
                  : "neural collapse pass 2 of 2 (Σ_W on the span of the means, NC4) "
                    + (p.fromMemory
                      ? "on the representations kept from pass 1"
                      : "with a second forward pass")))
          }
          events(.advance(done: p.samples, total: limit))
          if p.pass == 2 && p.samples == limit {
            events(.stageDone(seconds: passStart.duration(to: clock.now).secondsValue))
          }
        })
    } catch {
      throw .usage("--checkpoint: \(request.checkpoint): neural collapse: \(error)")
    }
  }

  /// Refuses, before any work, a `--figures` directory ujm could not write its figures into.
  public static func checkFigures(_ directory: String) throws(EmpiricalRunError) {
    do {
      try AtomicFile.createDirectory(directory)
    } catch {
      throw .usage("--figures \(directory): cannot be created (\(error))")
    }
    for name in [
      "figure1-trajectories.svg", "figure2-alignment.svg", "figure4-singular-values.svg",
    ] {
      let path = (directory as NSString).appendingPathComponent(name)
      do { try OutputFile.check(path, isOurs: OutputFile.isFigure) } catch {
        throw .usage("--figures \(error)")
      }
    }
  }

  /// Figures 1, 2, 4 and (with Neural Collapse) 7 of the paper, written atomically.
  private func writeFigures(
    to directory: String, ra: ResidualAlignmentMeasurement, nc: NeuralCollapseMeasurement?,
    labels: [Int], classNames: [String], firstInput: String
  ) throws(EmpiricalRunError) {
    do {
      try AtomicFile.createDirectory(directory)
    } catch {
      throw .usage("--figures \(directory): cannot be created (\(error))")
    }
    var generator = SeededGenerator(seed: request.seed)
    let trajectories: String
    do {
      trajectories = try ResidualAlignmentFigures.trajectories(
        ra.trajectories, labels: labels, classNames: classNames, using: &generator)
    } catch {
      throw .failure(reasonText(error))
    }
    var files = [
      ("figure1-trajectories.svg", trajectories),
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
      do {
        try OutputFile.write(Data(svg.utf8), to: path, isOurs: OutputFile.isFigure)
      } catch {
        throw .usage("--figures \(error)")
      }
    }
  }
}
