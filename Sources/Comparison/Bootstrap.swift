// Goals, in order of priority: a 95% interval for the median over pairs that the same seed
// reproduces on every machine; pairs resampled whole (the two endpoints of a pair share x_mid and
// are not independent); cheap next to the measurements (2,000 medians of at most 2·P numbers).

import LinearAlgebra

/// The percentile bootstrap of a median over pairs.
///
/// Paper: none (the paper reports no intervals); issue 22 asks every prediction row for one.
/// Given per-pair groups of values g₁…g_P (one value per pair for a boundary row, one per
/// endpoint for a row that uses δ), each of the B = 2,000 resamples draws P groups uniformly with
/// replacement, pools their values and takes the median m*_b; the interval is
/// [m*_(⌊0.025·(B−1)⌉), m*_(⌊0.975·(B−1)⌉)] of the sorted medians (nearest rank). Groups without
/// a finite value are left out first. The draws come from `SeededGenerator(seed:)` alone, so the
/// interval of a row depends only on its values, the seed and the pair count.
///
/// Caveat: with P ≤ 3 pairs the bootstrap distribution has few distinct values and the interval
/// is wide (with one pair it is the range of that pair's values).
///
/// References: B. Efron and R. Tibshirani, *An Introduction to the Bootstrap* (1993), ch. 13.
public enum Bootstrap {
  /// B, the resamples.
  public static let resamples = 2_000
  /// The interval's level.
  public static let level = 0.95

  /// [lo, hi] of the median over `groups` (NaN, NaN when no group has a finite value).
  public static func medianInterval(
    _ groups: [[Double]], seed: UInt64, resamples: Int = resamples
  ) -> [Double] {
    let kept = groups.map { $0.filter(\.isFinite) }.filter { !$0.isEmpty }
    guard !kept.isEmpty else { return [.nan, .nan] }
    var generator = SeededGenerator(seed: seed)
    var medians = [Double]()
    medians.reserveCapacity(resamples)
    var pooled = [Double]()
    for _ in 0..<resamples {
      pooled.removeAll(keepingCapacity: true)
      for _ in kept.indices { pooled += kept[Int.random(in: 0..<kept.count, using: &generator)] }
      medians.append(median(pooled))
    }
    medians.sort()
    let tail = (1 - level) / 2
    let last = Double(resamples - 1)
    return [
      medians[Int((tail * last).rounded())], medians[Int(((1 - tail) * last).rounded())],
    ]
  }

  /// A seed for the row `name` derived from the comparison's `seed` (FNV-1a of the name, mixed
  /// in), so that a row's interval does not depend on which other rows exist.
  public static func seed(_ seed: UInt64, row name: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return seed ^ hash
  }
}
