/// The inputs a measurement is made on: positions in a training split.
public enum InputSelection {
  /// `count` positions with the classes as balanced as possible (⌊count/C⌋ per class, one more
  /// for the first count mod C classes; 2 per class for the default 20 inputs and 10 classes),
  /// drawn uniformly without replacement within each class from `generator`, listed class by
  /// class. Returns nil when some class has too few examples.
  public static func balanced<G: RandomNumberGenerator>(
    labels: [Int], classes: Int, count: Int, using generator: inout G
  ) -> [Int]? {
    precondition(classes >= 1 && count >= 1, "need classes and a positive count")
    var byClass = [[Int]](repeating: [], count: classes)
    for (n, label) in labels.enumerated() where label >= 0 && label < classes {
      byClass[label].append(n)
    }
    var chosen = [Int]()
    for c in 0..<classes {
      let want = count / classes + (c < count % classes ? 1 : 0)
      guard byClass[c].count >= want else { return nil }
      // A partial Fisher–Yates shuffle: the first `want` entries are a uniform sample.
      var pool = byClass[c]
      for k in 0..<want {
        let r = k + Int.random(in: 0..<(pool.count - k), using: &generator)
        pool.swapAt(k, r)
      }
      chosen += pool.prefix(want).sorted()
    }
    return chosen
  }
}
