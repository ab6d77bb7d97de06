import ArgumentParser
import Comparison
import Empirical
import Foundation
import LinearAlgebra

/// `ujm compare`: the Unconstrained Jacobians Model held against a trained binary network.
struct Compare: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Hold the UJM (Theorem 3.3) against two classes of a trained checkpoint.",
    discussion: """
      For each pair of training inputs (a of the first class, b of the second), finds the point \
      x_mid on the segment x(t) = (1−t)·x_a + t·x_b where the margin z = logit[b] − logit[a] \
      (a, b the checkpoint's two classes, or --classes a,b) is 0, measures the residual \
      Jacobians and w = ∂z/∂h_{L+1} there, propagates δ₁ = h₁(x) − h₁(x_mid) linearly to each \
      input, and prints the theory's predictions against the measured values with their \
      tolerances, and the UJM fitted with one parameter (λ_eff). Every row carries a 95% \
      bootstrap interval of its median over pairs, and every relational row a null (pairs \
      mismatched cyclically); a row holds when its interval is within tolerance of the theory \
      and excludes the null's median. A checkpoint with more than two classes needs \
      --classes a,b. --pair-indices are 0-based positions in the training file, one of each \
      class. Fully-connected checkpoints only.
      """)

  @Option(
    help: ArgumentHelp(
      "A fully-connected checkpoint.safetensors written by ujm train or by PyTorch, or a run "
        + "directory."))
  var checkpoint: String

  @Option(
    parsing: .unconditional,
    help: "Pairs of correctly classified training inputs drawn with --seed (default 30).")
  var pairs: Int?

  @Option(
    name: .customLong("pair-indices"), parsing: .unconditional,
    help:
      "Comma-separated a:b pairs of 0-based positions in the training file (instead of --pairs).")
  var pairIndices: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Two of the checkpoint's classes a,b (original labels): z = logit[b] − logit[a], y = +1 "
        + "for b. Needed on a checkpoint with more than 2 classes."))
  var classes: String?

  @OptionGroup var seedOption: SeedOption

  @Option(parsing: .unconditional, help: "Singular triplets per Jacobian (at least 2).")
  var rank: Int = 10

  @Option(help: "Directory with the IDX files.")
  var data: String = defaultDataDirectory

  @Option(help: "Write each pair's Δx (.npy, for ujm solve --dx), w and spectra to this directory.")
  var export: String?

  @Option(help: "Write SVG figures to this directory.")
  var figures: String?

  @Flag(
    help: ArgumentHelp(
      "Also compare every kept snapshot (checkpoint-epoch<E>.safetensors) of the run directory "
        + "--checkpoint names, with the same pairs."))
  var snapshots = false

  @OptionGroup var jsonOption: JSONOption

  init() {}

  func validate() throws {
    if let pairs, pairs < 1 {
      throw ValidationError("--pairs must be at least 1 (got \(pairs))")
    }
    if pairs != nil && pairIndices != nil {
      throw ValidationError("--pairs and --pair-indices cannot be used together")
    }
    guard rank >= 2 else {
      throw ValidationError("--rank must be at least 2 (got \(rank)): rank_one needs σ₂")
    }
    if let pairIndices { _ = try Self.parsePairs(pairIndices) }
    if let classes { _ = try Self.parseClasses(classes) }
  }

  /// The default of --pairs.
  static let defaultPairs = 30

  /// "3,5" → (3, 5): two different non-negative labels.
  static func parseClasses(_ text: String) throws -> (Int, Int) {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 0, b >= 0 else {
      throw ValidationError("--classes: '\(text)' is not a pair a,b of non-negative class labels")
    }
    guard a != b else {
      throw ValidationError("--classes: '\(text)' names class \(a) twice; give two classes")
    }
    return (a, b)
  }

  /// "3:17,5:9" → [(3, 17), (5, 9)].
  static func parsePairs(_ text: String) throws -> [(Int, Int)] {
    var out = [(Int, Int)]()
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let ends = part.split(separator: ":", omittingEmptySubsequences: false).map {
        Int($0.trimmingCharacters(in: .whitespaces))
      }
      guard ends.count == 2, let a = ends[0], let b = ends[1], a >= 0, b >= 0 else {
        throw ValidationError(
          "--pair-indices: '\(part)' is not a pair a:b of non-negative integers")
      }
      guard !out.contains(where: { Set([$0.0, $0.1]) == Set([a, b]) }) else {
        throw ValidationError(
          "--pair-indices: the pair \(a):\(b) is given twice; each pair must be distinct")
      }
      out.append((a, b))
    }
    return out
  }

  func run() throws {
    try reportingUsageErrors(command: "compare") { print(try execute()) }
  }

  /// The command's work; returns what it prints. Bad input throws `UsageError` (exit 64).
  func execute() throws -> String {
    let clock = ContinuousClock()
    let start = clock.now
    let seed = seedOption.seed
    // The output directories first: a bad one fails before any work.
    if let export { try Self.prepareDirectory(export, option: "--export") }
    if let figures { try Self.prepareDirectory(figures, option: "--figures") }
    let snapshotFiles = snapshots ? try Self.snapshotFiles(in: checkpoint) : []
    let loaded = try CheckpointWithData(checkpoint: checkpoint, data: data)
    guard let model = loaded.checkpoint.network.fullyConnected else {
      throw UsageError(
        "--checkpoint: \(checkpoint) is a convolutional network; ujm compare takes a "
          + "fully-connected checkpoint (Types 1, 4a, 4b)")
    }
    let dataset = loaded.dataset
    let (negative, positive) = try Self.classIndices(
      classes, of: dataset.classes, checkpoint: checkpoint)
    guard model.depth >= 3 else {
      throw UsageError("--checkpoint: \(checkpoint): \(model.depth) blocks; RA4 needs at least 3")
    }
    guard rank <= model.width else {
      throw UsageError("--rank \(rank) exceeds the width D = \(model.width) of \(checkpoint)")
    }
    let full = EvaluationNetwork(model)
    let network = full.binary(negative: negative, positive: positive)
    let train = dataset.train
    let d0 = train.featureCount
    func input(_ n: Int) -> [Double] { train.features[(n * d0)..<((n + 1) * d0)].map(Double.init) }
    // 0 for the first class (y = −1), 1 for the second, −1 for any other.
    let originalLabels = train.labels.map(Int.init)
    let labels = originalLabels.map { $0 == negative ? 0 : $0 == positive ? 1 : -1 }
    let chosen: [(a: Int, b: Int)]  // kept-example positions, a of class 0
    if let pairIndices {
      chosen = try Self.parsePairs(pairIndices).map { p, q in
        let (n, m) = try (Self.kept(p, dataset), Self.kept(q, dataset))
        for (position, k) in [(p, n), (q, m)] where labels[k] < 0 {
          throw UsageError(
            "--pair-indices: index \(position) is an example of class "
              + "\(dataset.classes[originalLabels[k]]), not one of the compared classes "
              + "\(dataset.classes[negative]),\(dataset.classes[positive]) (--classes)")
        }
        guard labels[n] != labels[m] else {
          throw UsageError(
            "--pair-indices: \(p):\(q): both are examples of class \(dataset.classes[labels[n]]); "
              + "a pair needs one input of each class")
        }
        return labels[n] == 0 ? (n, m) : (m, n)
      }
    } else {
      let count = pairs ?? Self.defaultPairs
      var generator = SeededGenerator(seed: seed)
      // Correct: the full network's prediction is the label (on a binary checkpoint, the sign
      // of z).
      let isCorrect = { (n: Int) -> Bool in
        let logits = full.forward(batch: Matrix(rows: d0, columns: 1, storage: input(n)))
        return EvaluationNetwork.predictions(logits)[0] == originalLabels[n]
      }
      guard
        let drawn = PairSelection.draw(
          count: count, labels: labels, isCorrect: isCorrect, using: &generator)
      else {
        throw UsageError(
          "--pairs \(count): a class has fewer than \(count) correctly classified training inputs")
      }
      chosen = drawn
    }
    let file = dataset.trainFile.positions
    let inputPairs = chosen.map {
      InputPair(a: file[$0.a], b: file[$0.b], xa: input($0.a), xb: input($0.b))
    }
    let comparison: TheoryComparison
    do {
      comparison = try TheoryComparison.compare(
        network: network, pairs: inputPairs, rank: rank, seed: seed,
        weightDecay: loaded.checkpoint.metadata.weightDecay,
        full: model.classCount > 2 ? (full, (negative, positive)) : nil
      ) { done, total in
        let elapsed = Measure.seconds(start.duration(to: clock.now))
        printError("ujm compare: pair \(done)/\(total), \(String(format: "%.1f", elapsed)) s")
      }
    } catch {
      throw UsageError("--checkpoint: \(checkpoint): \(error)")
    }
    guard comparison.reachedBoundary else {
      let margins = comparison.pairs.map {
        "\($0.a):\($0.b) z " + String(format: "%.4g, %.4g", $0.za, $0.zb)
      }
      throw RunFailure(
        "no pair reaches the decision boundary: z = logit[\(dataset.classes[positive])] − "
          + "logit[\(dataset.classes[negative])] has no sign change on the segment of any of the "
          + "\(comparison.pairs.count) pair(s) (\(margins.joined(separator: "; ")))")
    }
    var snapshotRows: [SnapshotRows]? = nil
    if snapshots {
      let finalEpoch = loaded.checkpoint.metadata.epochs
      var rows = [SnapshotRows]()
      for (k, file) in snapshotFiles.enumerated() where file.epoch != finalEpoch {
        let path = (checkpoint as NSString).appendingPathComponent(file.name)
        let snapshot = try Self.snapshotNetwork(path, like: model)
        do {
          let c = try TheoryComparison.compare(
            network: snapshot.binary(negative: negative, positive: positive), pairs: inputPairs,
            rank: rank, seed: seed, weightDecay: loaded.checkpoint.metadata.weightDecay,
            full: model.classCount > 2 ? (snapshot, (negative, positive)) : nil)
          rows.append(SnapshotRows(epoch: file.epoch, predictions: c.predictions))
        } catch {
          throw UsageError("--snapshots: \(path): \(error)")
        }
        let elapsed = Measure.seconds(start.duration(to: clock.now))
        printError(
          "ujm compare: snapshot \(k + 1)/\(snapshotFiles.count) (epoch \(file.epoch)), "
            + String(format: "%.1f", elapsed) + " s")
      }
      rows.append(SnapshotRows(epoch: finalEpoch, predictions: comparison.predictions))
      snapshotRows = rows
    }
    if let export {
      try writeFiles(try ComparisonExport.files(comparison), to: export, option: "--export")
    }
    if let figures {
      var svgs: [(name: String, svg: String)]
      do { svgs = try ComparisonFigures.all(comparison) } catch {
        throw UsageError("--figures: \(error)")
      }
      if let snapshotRows {
        svgs.append(("rows-over-training.svg", ComparisonFigures.overTraining(snapshotRows)))
      }
      try writeFiles(svgs.map { ($0.name, Data($0.svg.utf8)) }, to: figures, option: "--figures")
    }
    let report = ComparisonReport(
      checkpoint: checkpoint, classes: [dataset.classes[negative], dataset.classes[positive]],
      blocks: model.depth, width: model.width, seed: seed, rank: rank,
      seconds: Measure.seconds(start.duration(to: clock.now)), blas: .current,
      comparison: comparison, checkpointClasses: dataset.classes, snapshots: snapshotRows)
    return jsonOption.json ? try jsonLine(report) : report.text
  }

  /// The logit indices (first: y = −1, second: y = +1) of `--classes a,b` among the
  /// checkpoint's `labels`; without the flag, 0 and 1 of a binary checkpoint.
  static func classIndices(_ classes: String?, of labels: [Int], checkpoint: String) throws
    -> (Int, Int)
  {
    guard let classes else {
      guard labels.count == 2 else {
        throw UsageError(
          "--classes: \(checkpoint) has \(labels.count) classes \(labels); name the two to "
            + "compare with --classes a,b")
      }
      return (0, 1)
    }
    let (a, b) = try parseClasses(classes)
    guard let i = labels.firstIndex(of: a), let j = labels.firstIndex(of: b) else {
      throw UsageError(
        "--classes \(classes): \(checkpoint) has the classes \(labels); name two of them")
    }
    return (i, j)
  }

  /// The kept snapshots of the run directory `directory`, by epoch (`--snapshots`).
  static func snapshotFiles(in directory: String) throws -> [(epoch: Int, name: String)] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw UsageError(
        "--snapshots: \(directory) is not a run directory; --checkpoint must name the directory "
          + "that holds checkpoint-epoch<E>.safetensors")
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return SnapshotRows.snapshotFiles(names)
  }

  /// The evaluation network of the snapshot at `path`, which must have the final checkpoint's
  /// shape.
  static func snapshotNetwork(_ path: String, like model: ResidualNetwork<Float>) throws
    -> EvaluationNetwork
  {
    let snapshot: Checkpoint
    do { snapshot = try Checkpoint(contentsOf: path) } catch {
      throw UsageError("--snapshots: \(error)")
    }
    guard let m = snapshot.network.fullyConnected, m.architecture == model.architecture,
      m.inputSize == model.inputSize, m.classCount == model.classCount
    else {
      throw UsageError(
        "--snapshots: \(path) is not the final checkpoint's network (architecture, inputs or "
          + "classes differ)")
    }
    return EvaluationNetwork(m)
  }

  /// Creates `directory` if needed and checks that it is a writable directory.
  static func prepareDirectory(_ directory: String, option: String) throws {
    do {
      try AtomicFile.createDirectory(directory)
    } catch {
      throw UsageError("\(option) \(directory): cannot be created (\(error))")
    }
    guard FileManager.default.isWritableFile(atPath: directory) else {
      throw UsageError("\(option) \(directory): not writable")
    }
  }

  /// The kept-example position of training-file position `p`, or a `UsageError` naming it.
  static func kept(_ p: Int, _ dataset: ImageClassificationData) throws -> Int {
    let file = dataset.trainFile
    guard p < file.fileCount else {
      throw UsageError(
        "--pair-indices: index \(p) is out of range 0..<\(file.fileCount) (the training file "
          + "has \(file.fileCount) examples)")
    }
    guard let n = file.keptIndex(ofFilePosition: p) else {
      throw UsageError(
        "--pair-indices: index \(p) is an example of class \(file.fileLabels[p]), which is not "
          + "among the checkpoint's classes \(dataset.classes)")
    }
    return n
  }

  /// Writes `files` into `directory` (created if missing), each atomically (`AtomicFile`: only
  /// onto a regular file or a new name).
  private func writeFiles(_ files: [(String, Data)], to directory: String, option: String) throws {
    do {
      try AtomicFile.createDirectory(directory)
    } catch {
      throw UsageError("\(option) \(directory): cannot be created (\(error))")
    }
    for (name, data) in files {
      try writeAtomically(
        data, to: (directory as NSString).appendingPathComponent(name), option: option,
        isOurs: name.hasSuffix(".svg") ? OutputFile.isFigure : { _ in false })
    }
  }
}
