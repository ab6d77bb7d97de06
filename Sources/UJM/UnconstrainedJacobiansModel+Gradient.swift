// Goals, in order of priority: the exact gradient of Definition 3.2; O(L·D²) work and two passes
// over the parameters per evaluation (memory traffic dominates at D = 512); no allocation that
// scales with the parameter count; inner loops whose reductions vectorise (`VectorKernels`).

extension UnconstrainedJacobiansModel {
  /// F(x) and ∇F(x) (Definition 3.2; gradient formulas in the type's documentation).
  ///
  /// Pass 1 (forward) reads each Jᵢ once, column by column: aᵢ = aᵢ₋₁ + Jᵢaᵢ₋₁ and ‖Jᵢ‖²_F.
  /// Pass 2 (backward) reads each Jᵢ once more and writes its gradient block in the same loop:
  /// column j of ∂F/∂Jᵢ is λ·Jᵢ[:, j] + ℓ′·aᵢ₋₁[j]·bᵢ, and (Jᵢᵀbᵢ)[j] = Jᵢ[:, j]·bᵢ.
  public func valueAndGradient(at x: Span<Double>, gradient g: inout MutableSpan<Double>) -> Double
  {
    x.withUnsafeBufferPointer { x in
      g.withUnsafeMutableBufferPointer { g in valueAndGradient(contiguous: x, gradient: g) }
    }
  }

  /// The same on the storage of x and ∇F (the kernels' form).
  func valueAndGradient(
    contiguous x: UnsafeBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>
  ) -> Double {
    precondition(x.count == parameterCount && g.count == parameterCount, "shape mismatch")
    let d = dimension
    let blockSize = d * d
    let xp = x.baseAddress!
    let gp = g.baseAddress!
    // Forward vectors a₀…a_L, one after the other.
    var forward = [Double](repeating: 0, count: (depth + 1) * d)
    var backward = [Double](repeating: 0, count: d)
    var next = [Double](repeating: 0, count: d)
    var regularizer = 0.0
    forward.withUnsafeMutableBufferPointer { fb in
      let f = fb.baseAddress!
      for k in 0..<d { f[k] = dx[k] }
      for i in 0..<depth {
        regularizer += Self.residualStep(
          jacobian: xp + i * blockSize, d: d, input: f + i * d, output: f + (i + 1) * d)
      }
    }
    let wp = xp + depth * blockSize
    var z = 0.0
    var wNormSquared = 0.0
    forward.withUnsafeBufferPointer { fb in
      let aL = fb.baseAddress! + depth * d
      for k in 0..<d {
        z += wp[k] * aL[k]
        wNormSquared += wp[k] * wp[k]
      }
    }
    let loss = BinaryCrossEntropy.loss(logit: z, label: label)
    let lPrime = BinaryCrossEntropy.derivative(logit: z, label: label)
    let lam = lambda
    // ∂F/∂w = ℓ′·a_L + λw; b_L = w.
    forward.withUnsafeBufferPointer { fb in
      let aL = fb.baseAddress! + depth * d
      let gw = gp + depth * blockSize
      for k in 0..<d {
        gw[k] = lPrime * aL[k] + lam * wp[k]
        backward[k] = wp[k]
      }
    }
    forward.withUnsafeBufferPointer { fb in
      backward.withUnsafeMutableBufferPointer { bb in
        next.withUnsafeMutableBufferPointer { nb in
          var b = bb.baseAddress!
          var n = nb.baseAddress!
          for i in stride(from: depth - 1, through: 0, by: -1) {
            Self.backwardStep(
              jacobian: xp + i * blockSize, gradient: gp + i * blockSize, d: d,
              input: fb.baseAddress! + i * d, b: b, nextB: n, lPrime: lPrime, lambda: lam)
            swap(&b, &n)
          }
        }
      }
    }
    return loss + lam / 2 * (regularizer + wNormSquared)
  }

  /// F(x) alone: the forward pass.
  public func value(at x: Span<Double>) -> Double {
    x.withUnsafeBufferPointer { value(contiguous: $0) }
  }

  /// The same on the storage of x (the kernels' form).
  func value(contiguous x: UnsafeBufferPointer<Double>) -> Double {
    precondition(x.count == parameterCount, "shape mismatch")
    let d = dimension
    let xp = x.baseAddress!
    var a = dx
    var out = [Double](repeating: 0, count: d)
    var regularizer = 0.0
    a.withUnsafeMutableBufferPointer { ab in
      out.withUnsafeMutableBufferPointer { ob in
        var ap = ab.baseAddress!
        var op = ob.baseAddress!
        for i in 0..<depth {
          regularizer += Self.residualStep(
            jacobian: xp + i * d * d, d: d, input: ap, output: op)
          swap(&ap, &op)
        }
        if depth % 2 == 1 { for k in 0..<d { ab[k] = ob[k] } }
      }
    }
    let wp = xp + depth * d * d
    var z = 0.0
    var wNormSquared = 0.0
    for k in 0..<d {
      z += wp[k] * a[k]
      wNormSquared += wp[k] * wp[k]
    }
    return BinaryCrossEntropy.loss(logit: z, label: label) + lambda / 2
      * (regularizer + wNormSquared)
  }

  /// output = input + J·input; returns ‖J‖²_F. One pass over J.
  @inline(__always)
  static func residualStep(
    jacobian j: UnsafePointer<Double>, d: Int, input a: UnsafePointer<Double>,
    output out: UnsafeMutablePointer<Double>
  ) -> Double {
    for k in 0..<d { out[k] = a[k] }
    var squares = 0.0
    for c in 0..<d {
      squares += VectorKernels.axpyReturningSquares(a[c], j + c * d, out, count: d)
    }
    return squares
  }

  /// Writes ∂F/∂Jᵢ = λJᵢ + ℓ′·bᵢaᵢ₋₁ᵀ and nextB = bᵢ + Jᵢᵀbᵢ. One pass over J.
  @inline(__always)
  static func backwardStep(
    jacobian j: UnsafePointer<Double>, gradient g: UnsafeMutablePointer<Double>, d: Int,
    input a: UnsafePointer<Double>, b: UnsafePointer<Double>,
    nextB: UnsafeMutablePointer<Double>, lPrime: Double, lambda: Double
  ) {
    for c in 0..<d {
      let dot = VectorKernels.combineReturningDot(
        lambda, j + c * d, lPrime * a[c], b, into: g + c * d, count: d)
      nextB[c] = b[c] + dot
    }
  }
}
