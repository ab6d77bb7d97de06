// Goals, in order of priority: the prediction rows of every kept checkpoint of one training run on
// the same pairs, so that a row's time course (and its null's) can be read epoch by epoch; one
// entry per epoch, the final checkpoint included once.

/// The prediction rows of one checkpoint of a training run (`ujm compare --snapshots`).
///
/// Paper: section 3.3 — the UJM describes a network at an optimum of eq. (4); branches that
/// decay within a few epochs under weight decay can only be judged by whether the rows approach
/// their theory values over training.
public struct SnapshotRows: Sendable, Encodable {
  /// The epoch (from the file name `checkpoint-epoch<E>.safetensors`, or the final checkpoint's
  /// recorded epochs); nil when the final checkpoint records none.
  public var epoch: Int?
  /// The rows, on the same pairs and with the same seed as every other snapshot.
  public var predictions: [Prediction]

  public init(epoch: Int?, predictions: [Prediction]) {
    self.epoch = epoch
    self.predictions = predictions
  }

  enum CodingKeys: String, CodingKey { case epoch, predictions }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(epoch, forKey: .epoch)
    try c.encode(predictions, forKey: .predictions)
  }

  /// The snapshot files of a run directory's listing `names`: (epoch, name) of every
  /// `checkpoint-epoch<E>.safetensors` with a positive integer E, by epoch.
  public static func snapshotFiles(_ names: [String]) -> [(epoch: Int, name: String)] {
    let prefix = "checkpoint-epoch"
    let suffix = ".safetensors"
    return names.compactMap { name -> (epoch: Int, name: String)? in
      guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
      let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
      guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
        let epoch = Int(digits), epoch > 0
      else { return nil }
      return (epoch, name)
    }.sorted { $0.epoch < $1.epoch }
  }
}
