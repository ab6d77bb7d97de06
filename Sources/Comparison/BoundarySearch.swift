// Goals, in order of priority: a point on the decision boundary z = 0 between two inputs of
// different classes, to |z| ≤ 1e-10 or the last representable interval; the same point for the
// same inputs on every machine (a fixed grid, then bisection); an honest "no sign change".

/// The point x(t) = (1 − t)·x_a + t·x_b on the segment between two inputs where the margin z
/// changes sign.
///
/// Paper: the UJM is a Taylor expansion around x_mid with f(x_mid) = 0 (appendix B); x_mid is
/// taken on the straight segment between a training input of each class. The search evaluates
/// z at t = k/64, k = 0…64, takes the first interval [k/64, (k+1)/64] whose end values differ
/// in sign (or a grid point where z is exactly 0), and bisects it until |z| ≤ `marginTolerance`
/// (1e-10) or the interval is narrower than `widthTolerance` (1e-15); the midpoint with the
/// smaller |z| of the last step is reported. With no sign change on the grid there is no
/// boundary point (the segment may still cross z = 0 twice inside one grid interval; the grid
/// does not see that).
public enum BoundarySearch {
  /// Grid intervals on [0, 1].
  public static let gridIntervals = 64
  /// Stop when |z| is at most this.
  public static let marginTolerance = 1e-10
  /// Stop when the bracketing interval is narrower than this.
  public static let widthTolerance = 1e-15

  /// A boundary point: t and z(x(t)).
  public struct Point: Sendable, Equatable {
    public var t: Double
    public var z: Double
  }

  /// The grid t = k/64, k = 0…64.
  public static var grid: [Double] {
    (0...gridIntervals).map { Double($0) / Double(gridIntervals) }
  }

  /// The first boundary point of `margin` (t ↦ z(x(t))) on [0, 1], or nil without a sign change.
  public static func search(_ margin: (Double) -> Double) -> Point? {
    search(gridMargins: grid.map(margin), margin)
  }

  /// The same, given z at the grid points already (`gridMargins[k]` = z(k/64), e.g. from one
  /// batched forward pass); `margin` is called only for the bisection.
  public static func search(gridMargins z: [Double], _ margin: (Double) -> Double) -> Point? {
    precondition(z.count == gridIntervals + 1, "need z at the \(gridIntervals + 1) grid points")
    let t = grid
    if z[0] == 0 { return Point(t: 0, z: 0) }
    for k in 1...gridIntervals {
      if z[k] == 0 { return Point(t: t[k], z: 0) }
      if (z[k] > 0) != (z[k - 1] > 0) {
        return bisect(margin, lo: t[k - 1], zLo: z[k - 1], hi: t[k])
      }
    }
    return nil
  }

  /// Bisection of [lo, hi] where z(lo) = zLo and z(hi) differ in sign.
  static func bisect(_ margin: (Double) -> Double, lo: Double, zLo: Double, hi: Double) -> Point {
    var (lo, hi, zLo) = (lo, hi, zLo)
    var best = Point(t: lo, z: zLo)
    while true {
      let mid = lo + (hi - lo) / 2
      let z = margin(mid)
      if abs(z) < abs(best.z) { best = Point(t: mid, z: z) }
      if abs(z) <= marginTolerance || hi - lo < widthTolerance || mid <= lo || mid >= hi {
        return best
      }
      if (z > 0) == (zLo > 0) {
        lo = mid
        zLo = z
      } else {
        hi = mid
      }
    }
  }
}
