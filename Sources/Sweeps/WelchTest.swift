import CGSL

/// Welch's unequal-variance t-test between two arms of a sweep, the seeds as replicates:
///
///     t = (x̄_a − x̄_b) / √(s_a²/n_a + s_b²/n_b),
///     ν = (s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)²/(n_a − 1) + (s_b²/n_b)²/(n_b − 1)),
///     p = 2·P(T_ν > |t|)   (two-sided; Student's t tail from GSL's `gsl_cdf_tdist_Q`).
///
/// Undefined (nil) with fewer than two finite values in an arm, or when both arms have zero
/// variance (every seed gave the same number): then no test can say anything.
public struct WelchTest: Sendable, Equatable, Encodable {
  public var meanA: Double
  public var meanB: Double
  public var nA: Int
  public var nB: Int
  public var t: Double
  /// ν, the Welch–Satterthwaite degrees of freedom.
  public var degreesOfFreedom: Double
  /// The two-sided p-value.
  public var p: Double

  public init?(_ a: [Double], _ b: [Double]) {
    guard let sa = SeedSpread(a), let sb = SeedSpread(b), sa.n >= 2, sb.n >= 2 else { return nil }
    let va = sa.std * sa.std / Double(sa.n)
    let vb = sb.std * sb.std / Double(sb.n)
    guard va + vb > 0 else { return nil }
    meanA = sa.mean
    meanB = sb.mean
    nA = sa.n
    nB = sb.n
    t = (sa.mean - sb.mean) / (va + vb).squareRoot()
    degreesOfFreedom =
      (va + vb) * (va + vb) / (va * va / Double(sa.n - 1) + vb * vb / Double(sb.n - 1))
    guard t.isFinite, degreesOfFreedom.isFinite, degreesOfFreedom > 0 else { return nil }
    p = min(1, 2 * gsl_cdf_tdist_Q(abs(t), degreesOfFreedom))
  }

  enum CodingKeys: String, CodingKey {
    case t, p
    case meanA = "mean_a"
    case meanB = "mean_b"
    case nA = "n_a"
    case nB = "n_b"
    case degreesOfFreedom = "df"
  }
}

/// Two arms of a sweep that differ in one axis only (every other axis equal), compared on one
/// quantity over their seeds.
public struct ArmComparison: Sendable, Encodable {
  /// The axis whose two values are compared (`drop_path`).
  public var axis: String
  /// Its values in arm a and arm b.
  public var a: String
  public var b: String
  /// The other axes' shared values.
  public var settings: [String: String]
  /// The metric or measurement compared (`ra2_diag_fraction`).
  public var quantity: String
  /// The seeds of each arm's complete runs.
  public var seedsA: [String]
  public var seedsB: [String]
  public var test: WelchTest

  enum CodingKeys: String, CodingKey {
    case axis, a, b, settings, quantity, test
    case seedsA = "seeds_a"
    case seedsB = "seeds_b"
  }

  /// Every pair of arms of `rows` that differ in exactly one of `axes` (not `seed`), on each of
  /// `quantities` that both arms measured on at least two seeds.
  public static func all(
    _ rows: [RunRow], axes: [String], quantities: [String], seedAxis: String
  ) -> [ArmComparison] {
    let grouping = axes.filter { $0 != seedAxis }
    let complete = rows.filter { $0.status == .complete }
    var arms = [[String]: [RunRow]]()
    var order = [[String]]()
    for row in complete {
      let key = grouping.map { row.settings[$0] ?? "" }
      if arms[key] == nil { order.append(key) }
      arms[key, default: []].append(row)
    }
    var out = [ArmComparison]()
    for (i, ka) in order.enumerated() {
      for kb in order[(i + 1)...] {
        let differing = grouping.indices.filter { ka[$0] != kb[$0] }
        guard differing.count == 1, let d = differing.first else { continue }
        let shared = Dictionary(
          uniqueKeysWithValues: grouping.indices.filter { $0 != d }.map { (grouping[$0], ka[$0]) })
        for q in quantities {
          func values(_ key: [String]) -> [Double] {
            arms[key]!.compactMap { $0.metrics[q] ?? $0.measurements[q] }
          }
          guard let test = WelchTest(values(ka), values(kb)) else { continue }
          out.append(
            ArmComparison(
              axis: grouping[d], a: ka[d], b: kb[d], settings: shared, quantity: q,
              seedsA: arms[ka]!.map { $0.settings[seedAxis] ?? "" },
              seedsB: arms[kb]!.map { $0.settings[seedAxis] ?? "" }, test: test))
        }
      }
    }
    return out
  }
}
