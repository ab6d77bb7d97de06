// Goals, in order of priority: the same pairs for the same seed; only correctly classified
// inputs (a misclassified input sits on the wrong side of the boundary and has no meaningful Δx
// for its label); no input used twice.

/// Draws pairs of training inputs, one of each class, for `ujm compare --pairs N`.
public enum PairSelection {
  /// `count` pairs (a of class 0, b of class 1) of positions in `labels`, drawn without
  /// replacement: each class's positions are shuffled (Fisher–Yates with `generator`, class 0
  /// first) and walked in order, keeping those `isCorrect` accepts. Returns nil when a class has
  /// fewer than `count` correctly classified inputs.
  public static func draw<G: RandomNumberGenerator>(
    count: Int, labels: [Int], isCorrect: (Int) -> Bool, using generator: inout G
  ) -> [(a: Int, b: Int)]? {
    precondition(count >= 1, "need at least one pair")
    var picked = [[Int]]()
    for c in 0..<2 {
      var pool = labels.indices.filter { labels[$0] == c }
      pool.shuffle(using: &generator)
      var kept = [Int]()
      for n in pool where kept.count < count {
        if isCorrect(n) { kept.append(n) }
      }
      guard kept.count == count else { return nil }
      picked.append(kept)
    }
    return (0..<count).map { (picked[0][$0], picked[1][$0]) }
  }
}
