import ArgumentParser
import Comparison
import Empirical
import Foundation
import LinearAlgebra

/// `ujm compare`: the Unconstrained Jacobians Model held against a trained binary network.
struct Compare: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Hold the UJM (Theorem 3.3) against a trained binary checkpoint.",
    discussion: """
      For each pair of training inputs (a of the first class, b of the second), finds the point \
      x_mid on the segment x(t) = (1−t)·x_a + t·x_b where the margin z = logit[1] − logit[0] \
      is 0, measures the residual Jacobians and w = ∂z/∂h_{L+1} there, propagates \
      δ₁ = h₁(x) − h₁(x_mid) linearly to each input, and prints the theory's predictions \
      against the measured values with their tolerances, and the UJM fitted with one \
      parameter (λ_eff). Binary checkpoints only (ujm train --classes a,b). --pair-indices \
      are 0-based positions in the training file, one of each class.
      """)

  @Option(
    help: "A binary checkpoint.safetensors written by ujm train or by PyTorch, or a run directory.")
  var checkpoint: String

  @Option(
    parsing: .unconditional,
    help: "Pairs of correctly classified training inputs drawn with --seed (default 10).")
  var pairs: Int?

  @Option(
    name: .customLong("pair-indices"),
    help:
      "Comma-separated a:b pairs of 0-based positions in the training file (instead of --pairs).")
  var pairIndices: String?

  @OptionGroup var seedOption: SeedOption

  @Option(parsing: .unconditional, help: "Singular triplets per Jacobian (at least 2).")
  var rank: Int = 10

  @Option(help: "Directory with the IDX files.")
  var data: String = defaultDataDirectory

  @Option(help: "Write each pair's Δx (.npy, for ujm solve --dx), w and spectra to this directory.")
  var export: String?

  @Option(help: "Write SVG figures to this directory.")
  var figures: String?

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
    let loaded = try CheckpointWithData(checkpoint: checkpoint, data: data)
    guard let model = loaded.checkpoint.network.fullyConnected else {
      throw UsageError(
        "--checkpoint: \(checkpoint) is a convolutional network; ujm compare takes a "
          + "fully-connected checkpoint (Types 1, 4a, 4b)")
    }
    let dataset = loaded.dataset
    guard model.classCount == 2 else {
      throw UsageError(
        "--checkpoint: \(checkpoint) has \(model.classCount) classes; ujm compare needs a binary "
          + "checkpoint (train one with ujm train --classes a,b)")
    }
    guard model.depth >= 3 else {
      throw UsageError("--checkpoint: \(checkpoint): \(model.depth) blocks; RA4 needs at least 3")
    }
    guard rank <= model.width else {
      throw UsageError("--rank \(rank) exceeds the width D = \(model.width) of \(checkpoint)")
    }
    let network = EvaluationNetwork(model)
    let train = dataset.train
    let d0 = train.featureCount
    func input(_ n: Int) -> [Double] { train.features[(n * d0)..<((n + 1) * d0)].map(Double.init) }
    let labels = train.labels.map(Int.init)
    let chosen: [(a: Int, b: Int)]  // kept-example positions, a of class 0
    if let pairIndices {
      chosen = try Self.parsePairs(pairIndices).map { p, q in
        let (n, m) = try (Self.kept(p, dataset), Self.kept(q, dataset))
        guard labels[n] != labels[m] else {
          throw UsageError(
            "--pair-indices: \(p):\(q): both are examples of class \(dataset.classes[labels[n]]); "
              + "a pair needs one input of each class")
        }
        return labels[n] == 0 ? (n, m) : (m, n)
      }
    } else {
      let count = pairs ?? 10
      var generator = SeededGenerator(seed: seed)
      guard
        let drawn = PairSelection.draw(
          count: count, labels: labels,
          isCorrect: { n in (network.margin(input(n)) > 0) == (labels[n] == 1) },
          using: &generator)
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
        network: network, pairs: inputPairs, rank: rank, seed: seed
      ) { done, total in
        let elapsed = Measure.seconds(start.duration(to: clock.now))
        printError("ujm compare: pair \(done)/\(total), \(String(format: "%.1f", elapsed)) s")
      }
    } catch {
      throw UsageError("--checkpoint: \(checkpoint): \(error)")
    }
    if let export {
      try writeFiles(try ComparisonExport.files(comparison), to: export, option: "--export")
    }
    if let figures {
      let svgs: [(name: String, svg: String)]
      do { svgs = try ComparisonFigures.all(comparison) } catch {
        throw UsageError("--figures: \(error)")
      }
      try writeFiles(svgs.map { ($0.name, Data($0.svg.utf8)) }, to: figures, option: "--figures")
    }
    let report = ComparisonReport(
      checkpoint: checkpoint, classes: dataset.classes, blocks: model.depth, width: model.width,
      seed: seed, rank: rank, seconds: Measure.seconds(start.duration(to: clock.now)),
      blas: .current, comparison: comparison)
    return jsonOption.json ? try jsonLine(report) : report.text
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
        data, to: (directory as NSString).appendingPathComponent(name), option: option)
    }
  }
}
