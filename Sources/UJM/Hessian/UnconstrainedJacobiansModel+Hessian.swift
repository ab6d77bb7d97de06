extension UnconstrainedJacobiansModel: SecondOrderObjective {
  /// ∇²F(x)·v for Definition 3.2: the ε-part of ∇F(x + ε·v) over dual numbers, through the
  /// gradient of the type's documentation written once over `GradientScalar`.
  public func hessianVectorProduct(at x: [Double], along v: [Double]) -> [Double] {
    precondition(x.count == parameterCount && v.count == parameterCount, "shape mismatch")
    let point = (0..<parameterCount).map { Dual(x[$0], tangent: v[$0]) }
    var gradient = [Dual](repeating: Dual(0), count: parameterCount)
    _ = genericValueAndGradient(point, gradient: &gradient)
    return gradient.map(\.tangent)
  }

  /// F and ∇F over any `GradientScalar`: aᵢ = (I+Jᵢ)aᵢ₋₁, z = wᵀa_L, ℓ = log(1 + e^{−yz}),
  /// ℓ′ = −y·σ(−yz), b_L = w, bᵢ₋₁ = (I+Jᵢ)ᵀbᵢ, ∂F/∂Jᵢ = ℓ′·bᵢaᵢ₋₁ᵀ + λJᵢ, ∂F/∂w = ℓ′·a_L + λw.
  /// The reference for the fast `valueAndGradient`, and the path of the Hessian.
  func genericValueAndGradient<T: GradientScalar>(_ x: [T], gradient: inout [T]) -> T {
    let d = dimension
    let blockSize = d * d
    let lam = T(lambda)
    var forward = [T](repeating: T(0), count: (depth + 1) * d)
    for k in 0..<d { forward[k] = T(dx[k]) }
    var regularizer = T(0)
    for i in 0..<depth {
      let jOffset = i * blockSize
      for r in 0..<d { forward[(i + 1) * d + r] = forward[i * d + r] }
      for c in 0..<d {
        let a = forward[i * d + c]
        for r in 0..<d {
          forward[(i + 1) * d + r] = forward[(i + 1) * d + r] + x[jOffset + r + c * d] * a
        }
      }
      for k in 0..<blockSize { regularizer = regularizer + x[jOffset + k] * x[jOffset + k] }
    }
    let wOffset = depth * blockSize
    var z = T(0)
    for k in 0..<d {
      z = z + x[wOffset + k] * forward[depth * d + k]
      regularizer = regularizer + x[wOffset + k] * x[wOffset + k]
    }
    let y = T(label)
    let u = -(y * z)
    let loss: T
    let sigma: T
    if u.primal > 0 {
      let e = T.exponential(-u)
      loss = u + T.logarithm(onePlus: e)
      sigma = T(1) / (T(1) + e)
    } else {
      let e = T.exponential(u)
      loss = T.logarithm(onePlus: e)
      sigma = e / (T(1) + e)
    }
    let lPrime = -(y * sigma)
    var b = [T](repeating: T(0), count: d)
    for k in 0..<d {
      gradient[wOffset + k] = lPrime * forward[depth * d + k] + lam * x[wOffset + k]
      b[k] = x[wOffset + k]
    }
    var next = b
    for i in stride(from: depth - 1, through: 0, by: -1) {
      let jOffset = i * blockSize
      for c in 0..<d {
        let scaled = lPrime * forward[i * d + c]
        var s = b[c]
        for r in 0..<d {
          gradient[jOffset + r + c * d] = scaled * b[r] + lam * x[jOffset + r + c * d]
          s = s + x[jOffset + r + c * d] * b[r]
        }
        next[c] = s
      }
      swap(&b, &next)
    }
    return loss + T(lambda / 2) * regularizer
  }
}
