// Goals, in order of priority: RA4 as a fit with an honest uncertainty (a bootstrap over the
// inputs, seeded); an onset that says where the linear law starts, or that it never does.

/// RA4: the top singular value of the Residual Jacobian of block i scales like 1/i, i.e. 1/σ₁
/// is linear in the block index.
///
/// Paper: (RA4) and Figure 4b ("inverse scaling of the top 1 values"). With σ₁(i, n) the top
/// singular value of block i = 1…L for input n, y_i = mean over inputs of 1/σ₁(i, n), and the
/// least-squares line y = slope·i + intercept through (i, y_i):
///
///     R² = 1 − Σ(y_i − ŷ_i)² / Σ(y_i − ȳ)²
///     ci95 = the 2.5% and 97.5% percentiles of the slope over bootstrap resamples of the inputs
///     onset = the first block s such that the fit over blocks s…L has R² ≥ 0.9, or nil
///
/// A fit for the onset needs at least `onsetMinimumBlocks` = 4 blocks: with 3 points, R² ≥ 0.9
/// is common for noise. Blocks are numbered from 1, as in the paper's figures. Fitting the
/// per-block mean gives the same slope and intercept as the pooled least-squares fit over all
/// (i, n) points.
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

  /// The fit over all blocks.
  public var all: Fit
  /// The bootstrap 95% interval of `all.slope` over inputs.
  public var ci95: [Double]
  /// The first block (1-based) from which a linear fit reaches R² ≥ 0.9, or nil.
  public var onset: Int?
  /// The fit from the onset on (nil without an onset).
  public var fromOnset: Fit?
  /// Bootstrap resamples used for `ci95`.
  public var resamples: Int

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
    sigma1: [[Double]], resamples: Int = 1000, using generator: inout G
  ) {
    let inputs = sigma1.count
    precondition(inputs >= 1, "need at least one input")
    let l = sigma1[0].count
    precondition(l >= 3 && sigma1.allSatisfy { $0.count == l }, "need ≥ 3 blocks per input")
    let inverse = sigma1.map { $0.map { 1 / $0 } }
    func meanCurve(_ rows: [Int]) -> [Double] {
      (0..<l).map { i in rows.reduce(0) { $0 + inverse[$1][i] } / Double(rows.count) }
    }
    func lineFit(_ y: [Double], from first: Int) -> Fit {
      let x = (first...l).map(Double.init)
      let f = Self.fit(x, Array(y[(first - 1)...]))
      return Fit(slope: f.slope, intercept: f.intercept, r2: f.r2, firstBlock: first, lastBlock: l)
    }
    let y = meanCurve(Array(0..<inputs))
    all = lineFit(y, from: 1)
    var slopes = [Double]()
    for _ in 0..<resamples {
      let draw = (0..<inputs).map { _ in Int.random(in: 0..<inputs, using: &generator) }
      slopes.append(lineFit(meanCurve(draw), from: 1).slope)
    }
    slopes.sort()
    if slopes.isEmpty {
      ci95 = [all.slope, all.slope]
    } else {
      let lo = slopes[Int((0.025 * Double(slopes.count - 1)).rounded())]
      let hi = slopes[Int((0.975 * Double(slopes.count - 1)).rounded())]
      ci95 = [lo, hi]
    }
    self.resamples = resamples
    onset = (1..<max(1, l - Self.onsetMinimumBlocks + 2)).first {
      lineFit(y, from: $0).r2 >= Self.onsetR2
    }
    fromOnset = onset.map { lineFit(y, from: $0) }
  }
}
