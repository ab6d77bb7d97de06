// Goals, in order of priority: RA4 as a fit with an honest uncertainty (a bootstrap over the
// inputs, seeded); no fit through dead branches (σ₁ ≈ 0 makes 1/σ₁ astronomically large and the
// line meaningless); an onset that says where the linear law starts, or that it never does.

/// RA4: the top singular value of the Residual Jacobian of block i scales like 1/i, i.e. 1/σ₁
/// is linear in the block index.
///
/// Paper: (RA4) and Figure 4b ("inverse scaling of the top 1 values"). With σ₁(i, n) the top
/// singular value of block i = 1…L for input n, y_i = mean over inputs of 1/σ₁(i, n), and the
/// least-squares line y = slope·i + intercept through the points (i, y_i) of the live blocks i:
///
///     live(i)  ⇔  median_n σ₁(i, n) > max(deadRelativeThreshold · max_j median_n σ₁(j, n),
///                                         deadAbsoluteThreshold)
///     R² = 1 − Σ(y_i − ŷ_i)² / Σ(y_i − ȳ)²
///     ci95 = the 2.5% and 97.5% percentiles of the slope over bootstrap resamples of the inputs
///     onset = the first live block s such that the fit over the live blocks s…L has R² ≥ 0.9,
///             or nil
///
/// A block is dead when its residual branch has decayed to a (numerically) zero Jacobian, as
/// 15 of 16 branches do with weight decay 1e-2 (notebook 04): `deadRelativeThreshold` = 1e-6,
/// far below any σ₁ ratio the paper's 1/i law gives over tens of blocks (1/L), far above the
/// 1e-10…1e-104 of a decayed branch. `deadAbsoluteThreshold` = 1e-6 adds a floor for a network
/// whose branches have *all* decayed (weight decay 1e-2 on every parameter for 500 epochs left
/// σ₁ ≈ 1e-166 in every block): J_i is dimensionless beside the skip's identity, so a branch
/// with σ₁ ≤ 1e-6 moves h by at most a millionth of what the skip carries, whatever its
/// neighbours do; without the floor the largest of the zeros would count as live and the fit
/// would print slopes of 1e163. `ujm compare` uses the same two thresholds. The fit keeps the live blocks' real indices as x, so a gap
/// left by dead blocks is not closed up. With fewer than 2 live blocks there is no fit (`all`,
/// `ci95` nil). Liveness is decided once, on all inputs; the bootstrap resamples the inputs of
/// the live blocks only. Within a live block, an input whose σ₁ is at or below the same
/// threshold (its ReLUs switch the branch off for that input) is left out of that block's mean
/// and counted in `deadJacobians`: one such input would otherwise make y_i of order 1e10 and
/// decide the fit alone. A bootstrap resample in which some live block has no live input is
/// skipped.
///
/// A fit for the onset needs at least `onsetMinimumBlocks` = 4 blocks: with 3 points, R² ≥ 0.9
/// is common for noise. Blocks are numbered from 1, as in the paper's figures. Fitting the
/// per-block mean gives the same slope and intercept as the pooled least-squares fit over all
/// (i, n) points when no input is left out.
public struct InverseDepthScaling: Sendable, Equatable, Codable {
  /// A least-squares line and its R².
  public struct Fit: Sendable, Equatable, Codable {
    public var slope: Double
    public var intercept: Double
    public var r2: Double
    /// The first and last block (1-based) of the fit.
    public var firstBlock: Int
    public var lastBlock: Int
  }

  /// The R² an onset must reach.
  public static let onsetR2 = 0.9
  /// The fewest blocks a fit for the onset may use.
  public static let onsetMinimumBlocks = 4
  /// A block is dead when its median σ₁ over inputs is at most this fraction of the largest
  /// block median σ₁.
  public static let deadRelativeThreshold = 1e-6
  /// The absolute σ₁ at or below which a block is dead whatever the others are.
  public static let deadAbsoluteThreshold = 1e-6

  /// The fit over all live blocks (nil with fewer than 2 live blocks).
  public var all: Fit?
  /// The bootstrap 95% interval of `all.slope` over inputs (nil without `all`).
  public var ci95: [Double]?
  /// The first block (1-based) from which a linear fit reaches R² ≥ 0.9, or nil.
  public var onset: Int?
  /// The fit from the onset on (nil without an onset).
  public var fromOnset: Fit?
  /// Bootstrap resamples used for `ci95`.
  public var resamples: Int
  /// The blocks (1-based) whose median σ₁ is above `deadThreshold`: those fitted.
  public var liveBlocks: [Int]
  /// The other blocks (1-based): residual branches with (numerically) zero Jacobians.
  public var deadBlocks: [Int]
  /// The σ₁ at or below which a block is dead: `deadRelativeThreshold` × the largest block
  /// median σ₁ over inputs, and at least `deadAbsoluteThreshold`.
  public var deadThreshold: Double
  /// The (input, live block) pairs with σ₁ ≤ `deadThreshold`, left out of the block's mean.
  public var deadJacobians: Int
  /// Blocks left out of the fit because their Jacobian is not comparable with the others
  /// (Type 3's block 9 is 8192×16384: rectangular, a change of dimension); neither live nor dead.
  public var excludedBlocks: [Int] = []

  /// Block indices written as runs, for reports and figures: [1, 2, 3, 5] → "1–3, 5".
  public static func runs(of blocks: [Int]) -> String {
    var runs = [(first: Int, last: Int)]()
    for b in blocks {
      if let r = runs.last, r.last + 1 == b {
        runs[runs.count - 1].last = b
      } else {
        runs.append((b, b))
      }
    }
    return runs.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)–\($0.last)" }
      .joined(separator: ", ")
  }

  /// Least-squares line through (xᵢ, yᵢ).
  public static func fit(_ x: [Double], _ y: [Double])
    -> (slope: Double, intercept: Double, r2: Double)
  {
    precondition(x.count == y.count && x.count >= 2, "need two or more points")
    let n = Double(x.count)
    let mx = x.reduce(0, +) / n
    let my = y.reduce(0, +) / n
    var sxx = 0.0
    var sxy = 0.0
    var syy = 0.0
    for k in x.indices {
      sxx += (x[k] - mx) * (x[k] - mx)
      sxy += (x[k] - mx) * (y[k] - my)
      syy += (y[k] - my) * (y[k] - my)
    }
    let slope = sxy / sxx
    let intercept = my - slope * mx
    var sse = 0.0
    for k in x.indices {
      let r = y[k] - (slope * x[k] + intercept)
      sse += r * r
    }
    let r2 = syy > 0 ? 1 - sse / syy : (sse == 0 ? 1 : .nan)
    return (slope, intercept, r2)
  }

  /// RA4 from `sigma1[n][i]`, the top singular value of block i + 1 for input n.
  public init<G: RandomNumberGenerator>(
    sigma1: [[Double]], excluding excluded: Set<Int> = [], resamples: Int = 1000,
    using generator: inout G
  ) {
    let inputs = sigma1.count
    precondition(inputs >= 1, "need at least one input")
    let l = sigma1[0].count
    precondition(l >= 3 && sigma1.allSatisfy { $0.count == l }, "need ≥ 3 blocks per input")
    let medians = (0..<l).map { i in Spread(of: sigma1.map { $0[i] }).median }
    excludedBlocks = excluded.sorted()
    let kept = (1...l).filter { !excluded.contains($0) }
    let threshold = Swift.max(
      Self.deadRelativeThreshold
        * (kept.map { medians[$0 - 1] }.filter(\.isFinite).max() ?? 0),
      Self.deadAbsoluteThreshold)
    // `!(m > threshold)`: a NaN median, or every median 0, is dead too.
    let live = kept.filter { medians[$0 - 1] > threshold }
    deadThreshold = threshold
    liveBlocks = live
    deadBlocks = kept.filter { !(medians[$0 - 1] > threshold) }
    self.resamples = resamples
    deadJacobians = live.reduce(0) { count, i in
      count + sigma1.filter { !($0[i - 1] > threshold) }.count
    }
    /// y at the live blocks, averaged over the inputs `rows` at which the block is live; nil
    /// when some live block has none.
    func meanCurve(_ rows: [Int]) -> [Double]? {
      var curve = [Double]()
      for i in live {
        var sum = 0.0
        var count = 0
        for n in rows where sigma1[n][i - 1] > threshold {
          sum += 1 / sigma1[n][i - 1]
          count += 1
        }
        guard count > 0 else { return nil }
        curve.append(sum / Double(count))
      }
      return curve
    }
    /// The fit over the live blocks from the `first`-th live block on.
    func lineFit(_ y: [Double], from first: Int) -> Fit {
      let x = live[first...].map(Double.init)
      let f = Self.fit(x, Array(y[first...]))
      return Fit(
        slope: f.slope, intercept: f.intercept, r2: f.r2, firstBlock: live[first],
        lastBlock: live[live.count - 1])
    }
    guard live.count >= 2 else {
      (all, ci95, onset, fromOnset) = (nil, nil, nil, nil)
      return
    }
    // Every live block has a median above the threshold, so a live input at least.
    let y = meanCurve(Array(0..<inputs))!
    let fitAll = lineFit(y, from: 0)
    all = fitAll
    var slopes = [Double]()
    for _ in 0..<resamples {
      let draw = (0..<inputs).map { _ in Int.random(in: 0..<inputs, using: &generator) }
      if let curve = meanCurve(draw) { slopes.append(lineFit(curve, from: 0).slope) }
    }
    slopes.sort()
    if slopes.isEmpty {
      ci95 = [fitAll.slope, fitAll.slope]
    } else {
      let lo = slopes[Int((0.025 * Double(slopes.count - 1)).rounded())]
      let hi = slopes[Int((0.975 * Double(slopes.count - 1)).rounded())]
      ci95 = [lo, hi]
    }
    let first = (0..<max(0, live.count - Self.onsetMinimumBlocks + 1)).first {
      lineFit(y, from: $0).r2 >= Self.onsetR2
    }
    onset = first.map { live[$0] }
    fromOnset = first.map { lineFit(y, from: $0) }
  }
}
