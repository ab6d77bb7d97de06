// Fused loops over the flat parameter vector, for the solvers' own iterations. Each function is
// one pass over memory; at D = 512 a pass over the 4.2 million parameters dominates the cost.

enum VectorKernels {
  /// ‖x‖₂ (plain sum of squares: the gradients here are far from overflow).
  static func norm(_ x: [Double]) -> Double {
    x.withUnsafeBufferPointer { p in
      var s = 0.0
      for v in p { s += v * v }
      return s.squareRoot()
    }
  }

  /// xᵀy.
  static func dot(_ x: [Double], _ y: [Double]) -> Double {
    x.withUnsafeBufferPointer { a in
      y.withUnsafeBufferPointer { b in
        var s = 0.0
        for k in 0..<a.count { s += a[k] * b[k] }
        return s
      }
    }
  }

  /// out = x + t·d.
  static func step(_ x: [Double], _ t: Double, _ d: [Double], into out: inout [Double]) {
    x.withUnsafeBufferPointer { a in
      d.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { o in
          for k in 0..<a.count { o[k] = a[k] + t * b[k] }
        }
      }
    }
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
