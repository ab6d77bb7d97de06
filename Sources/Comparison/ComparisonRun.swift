// Goals, in order of priority: the whole of `ujm compare` that is not parsing or printing — which
// classes, which pairs, which network (fully-connected or convolutional, through one generic
// path), the snapshots of a run directory, the report — so that the command line only parses,
// calls this once, writes the files it returns and picks the exit code; every refusal a sentence
// naming the option.

import Empirical
import Foundation
import LinearAlgebra

/// Why `ujm compare` did not produce a report: bad input (exit 64) or a checkpoint whose pairs
/// never reach the decision boundary (exit 1). The message names the option or file.
public enum ComparisonRunError: Error, CustomStringConvertible {
  case usage(String)
  case noBoundary(String)

  public var description: String {
    switch self {
    case .usage(let m), .noBoundary(let m): m
    }
  }
}

/// What `ujm compare` was asked for (the options, parsed).
public struct ComparisonRequest: Sendable {
  /// `--checkpoint` as given (a file or a run directory), for messages, the report and
  /// `--snapshots`.
  public var checkpoint: String
  /// `--pairs` (nil: `defaultPairs`, unless `pairIndices` are given).
  public var pairs: Int?
  /// `--pair-indices`: (a, b) positions in the training file.
  public var pairIndices: [(Int, Int)]?
  /// `--classes a,b`: original labels.
  public var classes: (Int, Int)?
  public var rank: Int
  /// Algorithm 971's T for a convolutional network's triplets (the fully-connected path is
  /// exact on the compressed Jacobian and takes T as well).
  public var powerIterations: Int
  public var seed: UInt64
  /// `--snapshots`: the kept snapshots of the run directory (`ComparisonRun.snapshotRun`).
  public var snapshotFiles: [(epoch: Int, name: String)]?

  /// The default of `--pairs`.
  public static let defaultPairs = 30

  public init(
    checkpoint: String, pairs: Int?, pairIndices: [(Int, Int)]?, classes: (Int, Int)?,
    rank: Int, powerIterations: Int = RandomizedSVD.defaultPowerIterations, seed: UInt64,
    snapshotFiles: [(epoch: Int, name: String)]? = nil
  ) {
    self.checkpoint = checkpoint
    self.pairs = pairs
    self.pairIndices = pairIndices
    self.classes = classes
    self.rank = rank
    self.powerIterations = powerIterations
    self.seed = seed
    self.snapshotFiles = snapshotFiles
  }
}

/// Progress of a comparison: pairs measured, then snapshots compared, with the seconds since
/// the run began.
public enum ComparisonProgress: Sendable {
  case pair(done: Int, total: Int, seconds: Double)
  case snapshot(done: Int, total: Int, epoch: Int, seconds: Double)
}

/// One run of `ujm compare`: the report and the comparison behind it.
public struct ComparisonRun: Sendable {
  public var report: ComparisonReport
  /// The files of `--export` (`ComparisonExport`).
  public func exportFiles() throws -> [(name: String, data: Data)] {
    try ComparisonExport.files(report.comparison)
  }

  /// The SVG figures of `--figures`, with the rows over training when there are snapshots.
  public func figures() throws -> [(name: String, svg: String)] {
    var svgs = try ComparisonFigures.all(report.comparison)
    if let snapshots = report.snapshots {
      svgs.append(("rows-over-training.svg", ComparisonFigures.overTraining(snapshots)))
    }
    return svgs
  }

  /// The kept snapshots of the run directory `directory`, by epoch (`--snapshots`), and the
  /// checkpoint compared as the final one: the directory's `checkpoint.safetensors`, or — a
  /// directory of snapshots alone, as a PyTorch script writes them — its latest snapshot.
  public static func snapshotRun(in directory: String) throws(ComparisonRunError)
    -> (snapshots: [(epoch: Int, name: String)], checkpoint: String)
  {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw .usage(
        "--snapshots: \(directory) is not a run directory; --checkpoint must name the directory "
          + "that holds checkpoint-epoch<E>.safetensors")
    }
    let names: [String]
    do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
      throw .usage("--snapshots: \(directory): cannot be listed")
    }
    let snapshots: [(epoch: Int, name: String)]
    do { snapshots = try SnapshotRows.snapshotFiles(names) } catch {
      throw .usage("--snapshots: \(directory): \(error)")
    }
    guard snapshots.count <= SnapshotRows.maximumSnapshots else {
      throw .usage(
        "--snapshots: \(directory) holds \(snapshots.count) snapshots, more than the "
          + "\(SnapshotRows.maximumSnapshots) one comparison reads; move some elsewhere")
    }
    let final = "checkpoint.safetensors"
    guard let name = names.contains(final) ? final : snapshots.last?.name else {
      throw .usage(
        "--snapshots: \(directory) holds neither checkpoint.safetensors nor any "
          + "checkpoint-epoch<E>.safetensors")
    }
    // Every file is opened (not read) before any work: a FIFO, a directory, a device, a dangling
    // link or an unreadable file is refused now, not after the final checkpoint's comparison.
    for file in snapshots.map(\.name) + [name] {
      let path = (directory as NSString).appendingPathComponent(file)
      do {
        let (descriptor, _) = try RegularFile.open(path)
        close(descriptor)
      } catch {
        throw .usage("--snapshots: \(error)")
      }
    }
    return (snapshots, (directory as NSString).appendingPathComponent(name))
  }

  /// Compares `checkpoint` (read from `request.checkpoint`, fully-connected or convolutional)
  /// with the UJM on the training data `dataset`; `started` is when the command began (the
  /// report's seconds count from it).
  public static func run(
    _ request: ComparisonRequest, checkpoint: Checkpoint, dataset: ImageClassificationData,
    started: ContinuousClock.Instant = .now, progress: (ComparisonProgress) -> Void = { _ in }
  ) throws(ComparisonRunError) -> ComparisonRun {
    let name = request.checkpoint
    let model = checkpoint.network
    let (negative, positive) = try classIndices(request.classes, of: dataset.classes, name)
    guard model.depth >= 3 else {
      throw .usage("--checkpoint: \(name): \(model.depth) blocks; RA4 needs at least 3")
    }
    switch model {
    case .fullyConnected(let m):
      return try run(
        EvaluationNetwork(m), request, checkpoint, dataset, (negative, positive), started,
        progress
      ) { $0.fullyConnected.map(EvaluationNetwork.init) }
    case .convolutional(let m):
      return try run(
        ConvolutionalEvaluationNetwork(m), request, checkpoint, dataset, (negative, positive),
        started, progress
      ) { snapshot in
        // The tensors do not say the image size: the final checkpoint's (the data's).
        guard var c = snapshot.convolutional, c.conv0.inChannels == m.image.channels else {
          return nil
        }
        c.image = m.image
        return ConvolutionalEvaluationNetwork(c)
      }
    }
  }

  /// The one path for every kind of network: `full` is the checkpoint's evaluation network,
  /// `evaluation` makes a snapshot's.
  static func run<N: ComparableResidualNetwork>(
    _ full: N, _ request: ComparisonRequest, _ checkpoint: Checkpoint,
    _ dataset: ImageClassificationData, _ classes: (Int, Int), _ started: ContinuousClock.Instant,
    _ progress: (ComparisonProgress) -> Void, evaluation: (AnyResidualNetwork) -> N?
  ) throws(ComparisonRunError) -> ComparisonRun {
    let name = request.checkpoint
    let (negative, positive) = classes
    guard request.rank <= full.smallestWidth else {
      throw .usage(
        "--rank \(request.rank) exceeds the smallest width D = \(full.smallestWidth) of \(name)")
    }
    // Every snapshot is read and held against the final checkpoint before any work (then read
    // again, one at a time, when compared): a truncated file or another network is refused in
    // a second, not after the final checkpoint's comparison; the one at the final checkpoint's
    // recorded epoch, not compared, is checked too.
    for file in request.snapshotFiles ?? [] {
      let path = (name as NSString).appendingPathComponent(file.name)
      _ = try snapshotNetwork(path, like: checkpoint.network, evaluation)
    }
    let network = full.binary(negative: negative, positive: positive)
    let inputPairs = try pairs(request, full: full, dataset: dataset, classes: classes)
    let seconds = { started.duration(to: .now).secondsValue }
    let multiclass = full.classCount > 2
    let weightDecay = checkpoint.metadata.weightDecay
    let comparison: TheoryComparison
    do {
      comparison = try TheoryComparison.compare(
        network: network, pairs: inputPairs, rank: request.rank, seed: request.seed,
        powerIterations: request.powerIterations, weightDecay: weightDecay,
        full: multiclass ? (full, (negative, positive)) : nil
      ) { progress(.pair(done: $0, total: $1, seconds: seconds())) }
    } catch {
      throw .usage("--checkpoint: \(name): \(error)")
    }
    guard comparison.reachedBoundary else {
      let margins = comparison.pairs.map {
        "\($0.a):\($0.b) z " + String(format: "%.4g, %.4g", $0.za, $0.zb)
      }
      throw .noBoundary(
        "no pair reaches the decision boundary: z = logit[\(dataset.classes[positive])] − "
          + "logit[\(dataset.classes[negative])] has no sign change on the segment of any of the "
          + "\(comparison.pairs.count) pair(s) (\(margins.joined(separator: "; ")))")
    }
    var snapshotRows: [SnapshotRows]? = nil
    if let files = request.snapshotFiles {
      // The final checkpoint's epoch: recorded by ujm train, or — a PyTorch file records none —
      // that of the snapshot with the same tensors (then not compared twice).
      var finalEpoch = checkpoint.metadata.epochs
      var rows = [SnapshotRows]()
      for (k, file) in files.enumerated() where file.epoch != finalEpoch {
        let path = (name as NSString).appendingPathComponent(file.name)
        let (snapshot, isFinal) = try snapshotNetwork(path, like: checkpoint.network, evaluation)
        if isFinal && finalEpoch == nil {
          finalEpoch = file.epoch
          continue
        }
        do {
          let c = try TheoryComparison.compare(
            network: snapshot.binary(negative: negative, positive: positive), pairs: inputPairs,
            rank: request.rank, seed: request.seed, powerIterations: request.powerIterations,
            weightDecay: weightDecay, full: multiclass ? (snapshot, (negative, positive)) : nil,
            solveIterations: 0)
          rows.append(SnapshotRows(epoch: file.epoch, predictions: c.predictions))
        } catch {
          throw .usage("--snapshots: \(path): \(error)")
        }
        progress(.snapshot(done: k + 1, total: files.count, epoch: file.epoch, seconds: seconds()))
      }
      rows.append(SnapshotRows(epoch: finalEpoch, predictions: comparison.predictions))
      // By epoch; a final checkpoint of unknown epoch last.
      snapshotRows = rows.sorted { ($0.epoch ?? .max) < ($1.epoch ?? .max) }
    }
    let report = ComparisonReport(
      checkpoint: name, classes: [dataset.classes[negative], dataset.classes[positive]],
      blocks: full.depth, width: full.width, seed: request.seed, rank: request.rank,
      seconds: seconds(), blas: .current, comparison: comparison,
      checkpointClasses: dataset.classes, snapshots: snapshotRows)
    return ComparisonRun(report: report)
  }

  /// The logit indices (first: y = −1, second: y = +1) of `--classes a,b` among the
  /// checkpoint's `labels`; without the flag, 0 and 1 of a binary checkpoint.
  static func classIndices(_ classes: (Int, Int)?, of labels: [Int], _ checkpoint: String)
    throws(ComparisonRunError) -> (Int, Int)
  {
    guard let (a, b) = classes else {
      guard labels.count == 2 else {
        throw .usage(
          "--classes: \(checkpoint) has \(labels.count) classes \(labels); name the two to "
            + "compare with --classes a,b")
      }
      return (0, 1)
    }
    guard let i = labels.firstIndex(of: a), let j = labels.firstIndex(of: b) else {
      throw .usage("--classes \(a),\(b): \(checkpoint) has the classes \(labels); name two of them")
    }
    return (i, j)
  }

  /// The input pairs: `--pair-indices` as given (one of each class, listed a of the first), or
  /// `--pairs N` correctly classified ones drawn with the seed (`PairSelection`).
  static func pairs<N: ComparableResidualNetwork>(
    _ request: ComparisonRequest, full: N, dataset: ImageClassificationData,
    classes: (Int, Int)
  ) throws(ComparisonRunError) -> [InputPair] {
    let (negative, positive) = classes
    let train = dataset.train
    let d0 = train.featureCount
    func input(_ n: Int) -> [Double] {
      train.features[(n * d0)..<((n + 1) * d0)].map(Double.init)
    }
    // 0 for the first class (y = −1), 1 for the second, −1 for any other.
    let originalLabels = train.labels.map(Int.init)
    let labels = originalLabels.map { $0 == negative ? 0 : $0 == positive ? 1 : -1 }
    var chosen = [(a: Int, b: Int)]()  // kept-example positions, a of class 0
    if let pairIndices = request.pairIndices {
      for (p, q) in pairIndices {
        let (n, m) = (try kept(p, dataset), try kept(q, dataset))
        for (position, k) in [(p, n), (q, m)] where labels[k] < 0 {
          throw .usage(
            "--pair-indices: index \(position) is an example of class "
              + "\(dataset.classes[originalLabels[k]]), not one of the compared classes "
              + "\(dataset.classes[negative]),\(dataset.classes[positive]) (--classes)")
        }
        guard labels[n] != labels[m] else {
          throw .usage(
            "--pair-indices: \(p):\(q): both are examples of class \(dataset.classes[labels[n]]); "
              + "a pair needs one input of each class")
        }
        chosen.append(labels[n] == 0 ? (n, m) : (m, n))
      }
    } else {
      let count = request.pairs ?? ComparisonRequest.defaultPairs
      var generator = SeededGenerator(seed: request.seed)
      // Correct: the full network's prediction is the label (on a binary checkpoint, the sign
      // of z).
      let isCorrect = { (n: Int) -> Bool in
        let logits = full.forward(batch: Matrix(rows: d0, columns: 1, storage: input(n))) { _, _ in
        }
        return EvaluationNetwork.predictions(logits)[0] == originalLabels[n]
      }
      guard
        let drawn = PairSelection.draw(
          count: count, labels: labels, isCorrect: isCorrect, using: &generator)
      else {
        throw .usage(
          "--pairs \(count): a class has fewer than \(count) correctly classified training inputs")
      }
      chosen = drawn
    }
    let file = dataset.trainFile.positions
    return chosen.map {
      InputPair(a: file[$0.a], b: file[$0.b], xa: input($0.a), xb: input($0.b))
    }
  }

  /// The kept-example position of training-file position `p`, or an error naming it.
  static func kept(_ p: Int, _ dataset: ImageClassificationData) throws(ComparisonRunError) -> Int {
    let file = dataset.trainFile
    guard p < file.fileCount else {
      throw .usage(
        "--pair-indices: index \(p) is out of range 0..<\(file.fileCount) (the training file "
          + "has \(file.fileCount) examples)")
    }
    guard let n = file.keptIndex(ofFilePosition: p) else {
      throw .usage(
        "--pair-indices: index \(p) is an example of class \(file.fileLabels[p]), which is not "
          + "among the checkpoint's classes \(dataset.classes)")
    }
    return n
  }

  /// The evaluation network of the snapshot at `path`, which must have the final checkpoint's
  /// kind and shape, and whether its parameters are the final checkpoint's `model` (the same
  /// tensors under another name).
  static func snapshotNetwork<N: ComparableResidualNetwork>(
    _ path: String, like model: AnyResidualNetwork, _ evaluation: (AnyResidualNetwork) -> N?
  ) throws(ComparisonRunError) -> (network: N, isFinal: Bool) {
    let snapshot: Checkpoint
    do { snapshot = try Checkpoint(contentsOf: path) } catch {
      throw .usage("--snapshots: \(error)")
    }
    var m = snapshot.network
    // The tensors do not say the image size: the final checkpoint's (the data's), before the
    // shapes are compared.
    if let image = model.convolutional?.image, m.convolutional != nil {
      m.withConvolutional { $0.image = image }
    }
    guard m.shapeDescription == model.shapeDescription, m.skips == model.skips,
      m.classCount == model.classCount, let network = evaluation(m),
      network.inputSize == model.inputSize
    else {
      throw .usage(
        "--snapshots: \(path) is not the final checkpoint's network (architecture, inputs or "
          + "classes differ)")
    }
    return (network, m == model)
  }
}
