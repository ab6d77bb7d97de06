import RealModule

extension ReducedProblem {
  /// ∇²g(s, t) of the reduced problem g(s, t) = ℓ(t·c(s), +1) + λ/2·(L·s² + t²), c = r(1+s)ᴸ
  /// (appendix B of Li & Papyan 2023; `ReducedProblem`):
  ///
  ///     g_ss = ℓ″·(t·c′)² + ℓ′·t·c″ + λL,  g_st = ℓ″·t·c′·c + ℓ′·c′,  g_tt = ℓ″·c² + λ,
  ///
  /// with ℓ′ = −1/(1+e^z), ℓ″ = e^z/(1+e^z)², z = t·c. Since g(s, t) = F(x(s, t)) with x linear
  /// in (s, t) — Jᵢ = s·uuᵀ, w = y·t·u — ∇²g = Mᵀ·∇²F·M for M = [(uuᵀ,…,uuᵀ, 0), (0,…,0, y·u)].
  public func hessian(s: Double, t: Double) -> (ss: Double, st: Double, tt: Double) {
    let l = Double(depth)
    let c = dxNorm * Double.pow(1 + s, depth)
    let c1 = dxNorm * l * Double.pow(1 + s, depth - 1)
    let c2 = depth >= 2 ? dxNorm * l * (l - 1) * Double.pow(1 + s, depth - 2) : 0
    let z = t * c
    let lPrime = BinaryCrossEntropy.derivative(logit: z, label: 1)
    // ℓ″ = σ(z)σ(−z), written to stay finite for large |z|.
    let e = Double.exp(-abs(z))
    let lSecond = e / ((1 + e) * (1 + e))
    return (
      lSecond * (t * c1) * (t * c1) + lPrime * t * c2 + lambda * l,
      lSecond * t * c1 * c + lPrime * c1,
      lSecond * c * c + lambda
    )
  }

  /// The eigenvalues (ascending) of ∇²g in the orthonormal directions (uuᵀ,…,uuᵀ)/√L and
  /// (0, y·u): diag(1/√L, 1)·∇²g·diag(1/√L, 1). By Poincaré's separation theorem they lie in
  /// [μ_min, μ_max] of the full Hessian ∇²F at the same point.
  public func normalizedHessianEigenvalues(s: Double, t: Double) -> [Double] {
    let h = hessian(s: s, t: t)
    let l = Double(depth)
    let a = h.ss / l
    let b = h.st / l.squareRoot()
    let d = h.tt
    let mean = (a + d) / 2
    let radius = (((a - d) / 2) * ((a - d) / 2) + b * b).squareRoot()
    return [mean - radius, mean + radius]
  }
}
