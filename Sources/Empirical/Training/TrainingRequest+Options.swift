import Foundation

/// `--type`: the paper's network types (Table 1): fully-connected 1, 4a, 4b; convolutional 2, 3,
/// 5a, 5b.
public enum ResNetType: String, Sendable, CaseIterable {
  case type1 = "1"
  case type4a = "4a"
  case type4b = "4b"
  case type2 = "2"
  case type3 = "3"
  case type5a = "5a"
  case type5b = "5b"

  /// The convolutional architecture of the types 2, 3, 5a, 5b; nil for the fully-connected ones.
  public var convolutional: ConvolutionalArchitecture? {
    ConvolutionalArchitecture.preset(rawValue)
  }

  /// The fully-connected architecture of the preset with `--blocks` and `--width` in place of its
  /// own (for a convolutional type: its depth and skips, width 0, and `--blocks`, `--width`
  /// refused).
  public func architecture(blocks: Int?, width: Int?) throws(EmpiricalRunError) -> Architecture {
    if let c = convolutional {
      if blocks != nil || width != nil {
        throw .usage(
          "--\(blocks != nil ? "blocks" : "width") applies to the fully-connected types only; "
            + "--type \(rawValue) is convolutional")
      }
      return Architecture(blocks: c.blocks, width: 0, skips: c.skips)
    }
    guard var a = Architecture.preset(rawValue) else {
      throw .usage("--type must be 1, 4a, 4b, 2, 3, 5a or 5b (got '\(rawValue)')")
    }
    if let blocks { a.blocks = blocks }
    if let width { a.width = width }
    return a
  }
}

extension TrainingRequest {
  /// Refuses, before any data is read, a drop-path without skip connections and a network too
  /// large for the default data (70,000 images of 28×28, 10 classes); the data actually read is
  /// checked again by `TrainingRun`.
  public static func checkBeforeReadingData(
    type: ResNetType, architecture a: Architecture, batchSize: Int, dropPath: Double
  ) throws(EmpiricalRunError) {
    if dropPath > 0 && !a.skips {
      throw .usage("--drop-path needs skip connections; --type \(type.rawValue) has none")
    }
    let resources = TrainingResources(
      architecture: a, inputSize: 784, classCount: 10, batchSize: batchSize, examples: 70_000)
    do { try resources.check(blocks: a.blocks) } catch {
      let options =
        if case .blocks = error { "--blocks \(a.blocks)" } else {
          "--width \(a.width), --blocks \(a.blocks), --batch-size \(batchSize)"
        }
      throw .usage("\(options): \(error)")
    }
  }

  /// `--snapshot-epochs 1,5,10`: distinct epochs in 1…`epochs` (none without the option).
  public static func snapshotEpochs(parsing text: String?, epochs: Int) throws(EmpiricalRunError)
    -> Set<Int>
  {
    guard let text else { return [] }
    var kept = Set<Int>()
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let item = part.trimmingCharacters(in: .whitespaces)
      guard let e = Int(item), (1...epochs).contains(e) else {
        throw .usage("--snapshot-epochs: '\(item.prefix(40))' is not an epoch in 1…\(epochs)")
      }
      kept.insert(e)
    }
    return kept
  }

  /// `--allow-change lr,seed`: names of hyper-parameters (`TrainingHyperparameters.names`),
  /// only with `--resume`.
  public static func allowedChanges(parsing text: String?, resume: Bool)
    throws(EmpiricalRunError) -> Set<String>
  {
    guard let text else { return [] }
    guard resume else { throw .usage("--allow-change needs --resume") }
    let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
    for name in names where !TrainingHyperparameters.names.contains(name) {
      throw .usage(
        "--allow-change: '\(name)' is not a hyper-parameter (one of "
          + TrainingHyperparameters.names.joined(separator: ", ") + ")")
    }
    return Set(names)
  }
}
