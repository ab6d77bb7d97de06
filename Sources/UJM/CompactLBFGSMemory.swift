// Goals, in order of priority: the same inverse-Hessian approximation as the two-loop recursion
// (`LBFGSMemory`), to rounding; at small parameter counts (the multi-class model: a few hundred
// parameters), two `dgemv` calls per iteration instead of 4·m separate passes of dots and
// axpys, whose call and loop overheads dominate there (each call streams the n×2m buffer from L2:
// at n = 468, m = 10 that is 75 KB, and those passes were half of the solve); no allocation per
// iteration.

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
/// order m, one product [S Y]·(t, −γu). A new pair needs [S Y]ᵀy for its column of R and of YᵀY.
/// Given as `push(…, gradient:)` with y = gₖ₊₁ − gₖ, it takes that from
/// [S Y]ᵀy = [S Y]ᵀgₖ₊₁ − [S Y]ᵀgₖ: [S Y]ᵀgₖ was computed for gₖ's direction, and [S Y]ᵀgₖ₊₁ is
/// the product gₖ₊₁'s direction needs (`applyNegativeInverseHessian(toGradient:)` then reuses
/// it), so an iteration makes two passes over the buffer instead of three; sᵢᵀy and yᵢᵀy of the
/// new pair itself are the caller's exact sy and yy. The pairs live in the slots of one n×2m
/// column-major buffer, S in columns 0..<m and Y in m..<2m; `order` lists the slots from the
/// oldest pair to the newest.
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
  /// [S Y]ᵀg of the last vector a direction was computed for (`applyNegativeInverseHessian`).
  private var lastProjection: [Double]
  /// `projection` holds [S Y]ᵀ of the gradient the last `push(…, gradient:)` was given.
  private var projectionIsCurrent = false
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
    lastProjection = [Double](repeating: 0, count: 2 * capacity)
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
    push(s: s, y: y, sy: newSY, ss: ss, yy: newYY, gradient: nil)
  }

  /// Stores the pair as `push(s:y:sy:ss:yy:)` does, where y = g − gₖ, g the new gradient and gₖ
  /// the vector the last direction was computed for (`applyNegativeInverseHessian`): the
  /// products with y come from [S Y]ᵀg − [S Y]ᵀgₖ, and [S Y]ᵀg is kept for g's direction.
  mutating func push(
    s: [Double], y: [Double], sy newSY: Double, ss: Double, yy newYY: Double, gradient: [Double]?
  ) -> [[Double]] {
    projectionIsCurrent = false
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
    if let gradient {
      multiplyTransposed(gradient)
      for i in order where i != slot {
        let syi = projection[i] - lastProjection[i]
        let yyi = projection[m + i] - lastProjection[m + i]
        sy[i * m + slot] = syi
        yy[i * m + slot] = yyi
        yy[slot * m + i] = yyi
      }
      projectionIsCurrent = true
    } else {
      multiplyTransposed(y)
      for i in order {
        sy[i * m + slot] = projection[i]
        yy[i * m + slot] = projection[m + i]
        yy[slot * m + i] = projection[m + i]
      }
    }
    sy[slot * m + slot] = newSY
    yy[slot * m + slot] = newYY
    return [s, y]
  }

  /// Forgets every pair.
  mutating func reset() -> [[Double]] {
    order.removeAll()
    gamma = 1
    projectionIsCurrent = false
    return []
  }

  /// q ← −H·q (the search direction when q holds the gradient).
  mutating func applyNegativeInverseHessian(to q: inout [Double]) {
    projectionIsCurrent = false
    applyNegativeInverseHessian(toGradient: &q)
  }

  /// q ← −H·q where q holds the gradient the last `push(…, gradient:)` was given, if that push
  /// stored its pair (then [S Y]ᵀq is already known), or any vector otherwise.
  mutating func applyNegativeInverseHessian(toGradient q: inout [Double]) {
    let m = capacity
    let k = order.count
    guard k > 0 else {
      projectionIsCurrent = false
      VectorKernels.scale(&q, by: -gamma)
      return
    }
    if !projectionIsCurrent { multiplyTransposed(q) }
    projectionIsCurrent = false
    let gam = gamma
    // Over raw storage: these loops run every iteration, and array writes to stored properties
    // would check uniqueness each time.
    order.withUnsafeBufferPointer { ob in
      sy.withUnsafeBufferPointer { syb in
        yy.withUnsafeBufferPointer { yyb in
          projection.withUnsafeBufferPointer { pb in
            lastProjection.withUnsafeMutableBufferPointer { lb in
              u.withUnsafeMutableBufferPointer { ub in
                t.withUnsafeMutableBufferPointer { tb in
                  coefficients.withUnsafeMutableBufferPointer { cb in
                    let order = ob.baseAddress!
                    let sy = syb.baseAddress!
                    let yy = yyb.baseAddress!
                    let projection = pb.baseAddress!
                    let u = ub.baseAddress!
                    let t = tb.baseAddress!
                    let coefficients = cb.baseAddress!
                    lb.baseAddress!.update(from: projection, count: 2 * m)
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
                      var w = sy[i * m + i] * u[a] - gam * projection[m + i]
                      for b in 0..<k { w += gam * yy[i * m + order[b]] * u[b] }
                      for b in 0..<a { w -= sy[order[b] * m + i] * t[b] }
                      t[a] = w / sy[i * m + i]
                    }
                    // −H·q = −γq − S·t + γY·u.
                    coefficients.update(repeating: 0, count: 2 * m)
                    for a in 0..<k {
                      coefficients[order[a]] = -t[a]
                      coefficients[m + order[a]] = gam * u[a]
                    }
                  }
                }
              }
            }
          }
        }
      }
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
