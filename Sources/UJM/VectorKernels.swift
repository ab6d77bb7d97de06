// Goals, in order of priority: correct results; one pass over memory per call; reductions that
// vectorise. A plain `s += x[k]*y[k]` loop is one serial chain of dependent additions (the
// compiler may not reorder floating-point sums), so it runs at one add per latency; here every
// reduction keeps two SIMD4 accumulators (8 independent chains), which lets the loop run at memory
// speed. At D = 512 one pass over the 4.2 million parameters dominates every solver's cost.

/// Fused loops over flat vectors of `Double`, for the objective and the solvers' own iterations.
enum VectorKernels {
  // MARK: - Pointer kernels

  /// Σₖ x[k]·y[k].
  @inline(__always)
  static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count n: Int) -> Double {
    var s0 = SIMD4<Double>()
    var s1 = SIMD4<Double>()
    var k = 0
    while k + 8 <= n {
      s0 += load(x + k) * load(y + k)
      s1 += load(x + k + 4) * load(y + k + 4)
      k += 8
    }
    var s = (s0 + s1).sum()
    while k < n {
      s += x[k] * y[k]
      k += 1
    }
    return s
  }

  /// out[k] += α·x[k] for k < n; returns Σₖ x[k]² (the forward step of the UJM: one read of x).
  @inline(__always)
  static func axpyReturningSquares(
    _ alpha: Double, _ x: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, count n: Int
  ) -> Double {
    var s0 = SIMD4<Double>()
    var s1 = SIMD4<Double>()
    let a = SIMD4<Double>(repeating: alpha)
    var k = 0
    while k + 8 <= n {
      let v0 = load(x + k)
      let v1 = load(x + k + 4)
      store(load(out + k) + a * v0, out + k)
      store(load(out + k + 4) + a * v1, out + k + 4)
      s0 += v0 * v0
      s1 += v1 * v1
      k += 8
    }
    var s = (s0 + s1).sum()
    while k < n {
      let v = x[k]
      out[k] += alpha * v
      s += v * v
      k += 1
    }
    return s
  }

  /// out[k] = λ·x[k] + c·b[k] for k < n; returns Σₖ x[k]·b[k] (the backward step of the UJM).
  @inline(__always)
  static func combineReturningDot(
    _ lambda: Double, _ x: UnsafePointer<Double>, _ c: Double, _ b: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>, count n: Int
  ) -> Double {
    var s0 = SIMD4<Double>()
    var s1 = SIMD4<Double>()
    let l = SIMD4<Double>(repeating: lambda)
    let cc = SIMD4<Double>(repeating: c)
    var k = 0
    while k + 8 <= n {
      let v0 = load(x + k)
      let v1 = load(x + k + 4)
      let b0 = load(b + k)
      let b1 = load(b + k + 4)
      s0 += v0 * b0
      s1 += v1 * b1
      store(l * v0 + cc * b0, out + k)
      store(l * v1 + cc * b1, out + k + 4)
      k += 8
    }
    var s = (s0 + s1).sum()
    while k < n {
      let v = x[k]
      s += v * b[k]
      out[k] = lambda * v + c * b[k]
      k += 1
    }
    return s
  }

  /// y[k] += α·x[k].
  @inline(__always)
  static func axpy(
    _ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count n: Int
  ) {
    for k in 0..<n { y[k] += alpha * x[k] }
  }

  @inline(__always)
  private static func load(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
  }

  @inline(__always)
  private static func load(_ p: UnsafeMutablePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
  }

  @inline(__always)
  private static func store(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Double>.self)
  }

  // MARK: - Array kernels

  /// ‖x‖₂ (plain sum of squares: the gradients here are far from overflow).
  static func norm(_ x: [Double]) -> Double { dot(x, x).squareRoot() }

  /// xᵀy.
  static func dot(_ x: [Double], _ y: [Double]) -> Double {
    precondition(x.count == y.count, "dot of vectors of lengths \(x.count) and \(y.count)")
    return x.withUnsafeBufferPointer { a in
      y.withUnsafeBufferPointer { b in
        a.isEmpty ? 0 : dot(a.baseAddress!, b.baseAddress!, count: a.count)
      }
    }
  }

  /// out = x + t·d.
  static func step(_ x: [Double], _ t: Double, _ d: [Double], into out: inout [Double]) {
    precondition(x.count == d.count && x.count == out.count, "shape mismatch in step")
    x.withUnsafeBufferPointer { a in
      d.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { o in
          for k in 0..<a.count { o[k] = a[k] + t * b[k] }
        }
      }
    }
  }

  /// y += α·x.
  static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
    precondition(x.count == y.count, "shape mismatch in axpy")
    x.withUnsafeBufferPointer { a in
      y.withUnsafeMutableBufferPointer { b in
        if !a.isEmpty { axpy(alpha, a.baseAddress!, b.baseAddress!, count: a.count) }
      }
    }
  }

  /// x ← α·x.
  static func scale(_ x: inout [Double], by alpha: Double) {
    x.withUnsafeMutableBufferPointer { p in
      for k in 0..<p.count { p[k] *= alpha }
    }
  }

  /// out = x − y.
  static func difference(_ x: [Double], _ y: [Double], into out: inout [Double]) {
    precondition(x.count == y.count && x.count == out.count, "shape mismatch in difference")
    x.withUnsafeBufferPointer { a in
      y.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { o in
          for k in 0..<a.count { o[k] = a[k] - b[k] }
        }
      }
    }
  }

  /// The curvature pair of an accepted L-BFGS step: s = t·d (written over d) and y = g₊ − g;
  /// returns sᵀy, sᵀs, yᵀy and g₊ᵀg₊, each summed exactly as `dot` sums it (so equal, bit for
  /// bit, to `scale`, `difference` and four `dot` calls). Two passes, two sums each: four sums in
  /// one pass need more SIMD registers than x86-64's sixteen and spill.
  static func curvaturePair(
    step t: Double, direction d: inout [Double], gradient g: [Double], newGradient gn: [Double],
    y: inout [Double]
  ) -> (sy: Double, ss: Double, yy: Double, gg: Double) {
    let n = d.count
    precondition(g.count == n && gn.count == n && y.count == n, "shape mismatch in curvaturePair")
    return d.withUnsafeMutableBufferPointer { db in
      y.withUnsafeMutableBufferPointer { yb in
        g.withUnsafeBufferPointer { gb in
          gn.withUnsafeBufferPointer { nb in
            guard n > 0 else { return (0, 0, 0, 0) }
            let sp = db.baseAddress!
            let yp = yb.baseAddress!
            let gp = gb.baseAddress!
            let np = nb.baseAddress!
            let tt = SIMD4<Double>(repeating: t)
            var sy0 = SIMD4<Double>()
            var sy1 = SIMD4<Double>()
            var yy0 = SIMD4<Double>()
            var yy1 = SIMD4<Double>()
            var k = 0
            while k + 8 <= n {
              let s0 = load(sp + k) * tt
              let s1 = load(sp + k + 4) * tt
              let y0 = load(np + k) - load(gp + k)
              let y1 = load(np + k + 4) - load(gp + k + 4)
              store(s0, sp + k)
              store(s1, sp + k + 4)
              store(y0, yp + k)
              store(y1, yp + k + 4)
              sy0 += s0 * y0
              sy1 += s1 * y1
              yy0 += y0 * y0
              yy1 += y1 * y1
              k += 8
            }
            var sy = (sy0 + sy1).sum()
            var yy = (yy0 + yy1).sum()
            while k < n {
              let sk = sp[k] * t
              let yk = np[k] - gp[k]
              sp[k] = sk
              yp[k] = yk
              sy += sk * yk
              yy += yk * yk
              k += 1
            }
            let (ss, gg) = squaredNorms(UnsafePointer(sp), np, count: n)
            return (sy, ss, yy, gg)
          }
        }
      }
    }
  }

  /// (Σₖ a[k]², Σₖ b[k]²), each summed as `dot` sums it.
  @inline(__always)
  static func squaredNorms(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count n: Int)
    -> (Double, Double)
  {
    var a0 = SIMD4<Double>()
    var a1 = SIMD4<Double>()
    var b0 = SIMD4<Double>()
    var b1 = SIMD4<Double>()
    var k = 0
    while k + 8 <= n {
      let u0 = load(a + k)
      let u1 = load(a + k + 4)
      let v0 = load(b + k)
      let v1 = load(b + k + 4)
      a0 += u0 * u0
      a1 += u1 * u1
      b0 += v0 * v0
      b1 += v1 * v1
      k += 8
    }
    var sa = (a0 + a1).sum()
    var sb = (b0 + b1).sum()
    while k < n {
      sa += a[k] * a[k]
      sb += b[k] * b[k]
      k += 1
    }
    return (sa, sb)
  }

  /// True when every entry is finite.
  static func allFinite(_ x: [Double]) -> Bool {
    x.withUnsafeBufferPointer { p in
      var ok = true
      for v in p where !v.isFinite { ok = false }
      return ok
    }
  }
}
