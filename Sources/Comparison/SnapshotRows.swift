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

  /// The most snapshots one comparison reads: each is a full comparison of every pair (about a
  /// second a snapshot at 2 pairs of the small fixtures, minutes at 30 pairs of the paper's
  /// networks), so a directory with more is refused before any work.
  public static let maximumSnapshots = 1000

  /// The snapshot files of a run directory's listing `names`: (epoch, name) of every
  /// `checkpoint-epoch<E>.safetensors`, by epoch. E is a non-negative decimal integer in ASCII
  /// digits (leading zeros allowed; 0 is the initial weights, as PyTorch scripts often save
  /// them); a name of that form whose E is not (negative, too large for an `Int`, other digits) or whose epoch another name gives too is refused, naming it,
  /// rather than left out silently. Names of any other form are not snapshots.
  public static func snapshotFiles(_ names: [String]) throws(SnapshotNameError)
    -> [(epoch: Int, name: String)]
  {
    let prefix = "checkpoint-epoch"
    let suffix = ".safetensors"
    var found = [(epoch: Int, name: String)]()
    for name in names.sorted() where name.hasPrefix(prefix) && name.hasSuffix(suffix) {
      guard name.count > prefix.count + suffix.count else { throw .notAnEpoch(name) }
      let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
      guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let epoch = Int(digits), epoch >= 0
      else { throw .notAnEpoch(name) }
      if let other = found.first(where: { $0.epoch == epoch }) {
        throw .sameEpoch(epoch, other.name, name)
      }
      found.append((epoch, name))
    }
    return found.sorted { $0.epoch < $1.epoch }
  }
}

/// A name of the form `checkpoint-epoch<E>.safetensors` that names no snapshot unambiguously.
public enum SnapshotNameError: Error, Sendable, Equatable, CustomStringConvertible {
  /// E is not a non-negative decimal integer (negative, beyond `Int.max`, non-ASCII digits).
  case notAnEpoch(String)
  /// Two names give the same epoch (`checkpoint-epoch1` and `checkpoint-epoch01`).
  case sameEpoch(Int, String, String)

  public var description: String {
    switch self {
    case .notAnEpoch(let name):
      "\(name) names no epoch: E in checkpoint-epoch<E>.safetensors must be an integer "
        + "from 0 to \(Int.max) in ASCII digits; rename or move it"
    case .sameEpoch(let epoch, let a, let b):
      "\(a) and \(b) both name epoch \(epoch); keep one of them"
    }
  }
}
