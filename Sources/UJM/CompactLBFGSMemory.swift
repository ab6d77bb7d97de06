// Goals, in order of priority: the same inverse-Hessian approximation as the two-loop recursion
// (`LBFGSMemory`), to rounding; at small parameter counts (the multi-class model: a few hundred
// parameters), three `dgemv` calls per iteration instead of 4·m separate passes of dots and
// axpys, whose call and loop overheads dominate there; no allocation per iteration.

import LinearAlgebra

/// The L-BFGS inverse-Hessian approximation in the compact representation.
///
/// With the m newest pairs as columns of S and Y (oldest first), R the upper triangle of SᵀY
/// (Rᵢⱼ = sᵢᵀyⱼ, i ≤ j), D = diag(sᵢᵀyᵢ) and H₀ = γI (γ = sᵀy/yᵀy of the newest pair),
///
///     H = γI + [S  γY]·[[R⁻ᵀ(D + γYᵀY)R⁻¹, −R⁻ᵀ], [−R⁻¹, 0]]·[Sᵀ; γYᵀ],
///
/// the matrix that the two-loop recursion applies (Byrd, Nocedal & Schnabel, "Representations of
/// quasi-Newton matrices and their use in limited memory methods", Math. Programming 63 (1994)
/// 129–156, eq. 3.1; Nocedal & Wright 2006, eq. 7.24 and §7.2). So H·q = γq + S·t − γY·u with
/// u = R⁻¹Sᵀq and t = R⁻ᵀ((D + γYᵀY)u − γYᵀq): one product [S Y]ᵀq, two triangular solves of
/// order m, one product [S Y]·(t, −γu). A new pair costs one more product, [S Y]ᵀy, for its
/// column of R and of YᵀY. The pairs live in the slots of one n×2m column-major buffer, S in
/// columns 0..<m and Y in m..<2m; `order` lists the slots from the oldest pair to the newest.
struct CompactLBFGSMemory {
  let capacity: Int
  let count: Int
  /// [S Y], n × 2m, column-major; slots not in use hold zeros or an evicted pair.
  private var columns: [Double]
  /// sᵢᵀyⱼ and yᵢᵀyⱼ by slot (m × m, row i = slot of s or of the first y).
  private var sy: [Double]
  private var yy: [Double]
  private(set) var order: [Int] = []
  private(set) var gamma = 1.0
  /// Scratch of 2m (products with [S Y]) and 3m (u, t and the combination) numbers.
  private var projection: [Double]
  private var coefficients: [Double]
  private var u: [Double]
  private var t: [Double]

  init(capacity: Int, count: Int) {
    precondition(capacity >= 1, "L-BFGS memory must hold at least one pair")
    self.capacity = capacity
    self.count = count
    columns = [Double](repeating: 0, count: 2 * capacity * count)
    sy = [Double](repeating: 0, count: capacity * capacity)
    yy = [Double](repeating: 0, count: capacity * capacity)
    projection = [Double](repeating: 0, count: 2 * capacity)
    coefficients = [Double](repeating: 0, count: 2 * capacity)
    u = [Double](repeating: 0, count: capacity)
    t = [Double](repeating: 0, count: capacity)
  }

  var isEmpty: Bool { order.isEmpty }

  /// Stores the pair if its curvature is positive (the test of `LBFGSMemory.push`); the arrays
  /// are copied into the memory's own buffer and returned to the caller for reuse.
  mutating func push(s: [Double], y: [Double], sy newSY: Double, ss: Double, yy newYY: Double)
    -> [[Double]]
  {
    guard newSY > 1e-10 * (ss * newYY).squareRoot(), newSY.isFinite, newYY > 0 else {
      return [s, y]
    }
    let n = count
    let m = capacity
    let slot: Int
    if order.count == m {
      slot = order.removeFirst()
    } else {
      slot = (0..<m).first { !order.contains($0) }!
    }
    order.append(slot)
    gamma = newSY / newYY
    columns.withUnsafeMutableBufferPointer { cb in
      let c = cb.baseAddress!
      s.withUnsafeBufferPointer { (c + slot * n).update(from: $0.baseAddress!, count: n) }
      y.withUnsafeBufferPointer { (c + (m + slot) * n).update(from: $0.baseAddress!, count: n) }
    }
    // [S Y]ᵀy: sᵢᵀy (column `slot` of R) and yᵢᵀy (row and column `slot` of YᵀY).
    multiplyTransposed(y)
    for i in order {
      sy[i * m + slot] = projection[i]
      yy[i * m + slot] = projection[m + i]
      yy[slot * m + i] = projection[m + i]
    }
    sy[slot * m + slot] = newSY
    yy[slot * m + slot] = newYY
    return [s, y]
  }

  /// Forgets every pair.
  mutating func reset() -> [[Double]] {
    order.removeAll()
    gamma = 1
    return []
  }

  /// q ← −H·q (the search direction when q holds the gradient).
  mutating func applyNegativeInverseHessian(to q: inout [Double]) {
    let m = capacity
    let k = order.count
    guard k > 0 else {
      VectorKernels.scale(&q, by: -gamma)
      return
    }
    multiplyTransposed(q)
    // u = R⁻¹·Sᵀq (back substitution, newest first).
    for a in stride(from: k - 1, through: 0, by: -1) {
      let i = order[a]
      var v = projection[i]
      for b in (a + 1)..<k { v -= sy[i * m + order[b]] * u[b] }
      u[a] = v / sy[i * m + i]
    }
    // t = R⁻ᵀ·((D + γYᵀY)u − γYᵀq) (forward substitution, oldest first).
    for a in 0..<k {
      let i = order[a]
      var w = sy[i * m + i] * u[a] - gamma * projection[m + i]
      for b in 0..<k { w += gamma * yy[i * m + order[b]] * u[b] }
      for b in 0..<a { w -= sy[order[b] * m + i] * t[b] }
      t[a] = w / sy[i * m + i]
    }
    // −H·q = −γq − S·t + γY·u.
    for j in 0..<(2 * m) { coefficients[j] = 0 }
    for a in 0..<k {
      coefficients[order[a]] = -t[a]
      coefficients[m + order[a]] = gamma * u[a]
    }
    let n = count
    let g = gamma
    columns.withUnsafeBufferPointer { cb in
      coefficients.withUnsafeBufferPointer { xb in
        q.withUnsafeMutableBufferPointer { qb in
          BLASKernels.gemv(
            trans: false, m: n, n: 2 * m, alpha: 1.0, a: cb.baseAddress!, lda: n,
            x: xb.baseAddress!, beta: -g, y: qb.baseAddress!)
        }
      }
    }
  }

  /// projection ← [S Y]ᵀ·v over every slot.
  private mutating func multiplyTransposed(_ v: [Double]) {
    let n = count
    let m = capacity
    columns.withUnsafeBufferPointer { cb in
      v.withUnsafeBufferPointer { vb in
        projection.withUnsafeMutableBufferPointer { pb in
          BLASKernels.gemv(
            trans: true, m: n, n: 2 * m, alpha: 1.0, a: cb.baseAddress!, lda: n,
            x: vb.baseAddress!, beta: 0.0, y: pb.baseAddress!)
        }
      }
    }
  }
}
