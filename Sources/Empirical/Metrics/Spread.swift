/// The spread of one metric over the inputs it was measured on: median, minimum and maximum.
///
/// Every RA metric in a `ujm measure` report is a `Spread` over the inputs (issue 6), so that a
/// reader sees how much one input's value can be trusted to stand for all of them.
public struct Spread: Sendable, Equatable, Codable {
  /// The median (the mean of the two middle values for an even count).
  public var median: Double
  /// The smallest value.
  public var min: Double
  /// The largest value.
  public var max: Double

  public init(median: Double, min: Double, max: Double) {
    self.median = median
    self.min = min
    self.max = max
  }

  /// The spread of the values of `values` that are not NaN (a value that does not exist, such
  /// as σ_C/σ_{C+1} when both are 0): NaN fields (null in JSON, n/a in text) when none is, never
  /// a median of one set and a maximum of another.
  public init(of all: [Double]) {
    let values = all.filter { !$0.isNaN }
    guard !values.isEmpty else {
      self.init(median: .nan, min: .nan, max: .nan)
      return
    }
    let sorted = values.sorted()
    let n = sorted.count
    let median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    self.init(median: median, min: sorted[0], max: sorted[n - 1])
  }
}
