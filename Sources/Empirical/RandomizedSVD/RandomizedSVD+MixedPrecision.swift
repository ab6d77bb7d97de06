// Goals, in order of priority: the same top triplets as the Float64 Algorithm 971 (to about
// 1e-12 relative on the tests' spectra); half the memory traffic and twice the gemm rate in the
// power iterations, which dominate its cost.

import LinearAlgebra

extension RandomizedSVD {
  /// Algorithm 971 with the power iterations in Float32 and the last pass in Float64.
  ///
  /// The T power iterations only have to find the dominant subspace; they run on a Float32
  /// copy of A (sgemm, LU normalisation in Float32). The last pass is Float64: Q = qr(A·P) from
  /// the Float32 iterate P, then the small SVD of Aᵀ·Q (Rayleigh–Ritz). Singular values from
  /// Rayleigh–Ritz err by about the square of the subspace's error, so a subspace good to ~1e-7
  /// (Float32) still gives values good to ~1e-14·σ₁; the vectors are as good as the subspace
  /// after one Float64 multiplication. The error report is computed in Float64 as in `svd`.
  ///
  /// A variant of Algorithm 971, not in Li et al.; `svd(of:…)` is the reference. Falls back to
  /// the dense Float64 SVD under the same rule.
  public static func mixedPrecisionSVD<G: RandomNumberGenerator>(
    of a: Matrix<Double>, rank: Int, oversampling: Int = defaultOversampling,
    powerIterations: Int = defaultPowerIterations,
    errorEstimateIterations: Int = SpectralNorm.defaultIterations, using generator: inout G
  ) throws(LAPACKError) -> RandomizedSVDResult<Double> {
    let (m, n) = (a.rows, a.columns)
    precondition(rank >= 1 && rank <= Swift.min(m, n), "rank \(rank) not in 1...min(\(m), \(n))")
    if usesDenseFallback(rows: m, columns: n, rank: rank, oversampling: oversampling)
      || powerIterations == 0
    {
      return try svd(
        of: a, rank: rank, oversampling: oversampling, powerIterations: powerIterations,
        errorEstimateIterations: errorEstimateIterations, using: &generator)
    }
    let tall = m >= n ? a : a.transposed
    let t = try tallMixedDecomposition(
      of: tall, width: rank + oversampling, powerIterations: powerIterations, using: &generator)
    let full =
      m >= n ? t : SingularValueDecomposition(u: t.v, singularValues: t.singularValues, v: t.u)
    let top = full.truncated(to: rank).signCanonical()
    var report: SpectralNormReport<Double>? = nil
    if errorEstimateIterations > 0 {
      report = try SpectralNorm.report(
        of: LowRankResidualOperator(base: a, decomposition: top),
        iterations: errorEstimateIterations, using: &generator)
    }
    return RandomizedSVDResult(decomposition: top, error: report, method: .randomized)
  }

  private static func tallMixedDecomposition<G: RandomNumberGenerator>(
    of a: Matrix<Double>, width l: Int, powerIterations: Int, using generator: inout G
  ) throws(LAPACKError) -> SingularValueDecomposition<Double> {
    let single = a.converted(to: Float.self)
    let testMatrix: Matrix<Float> = Gaussian.matrix(rows: a.columns, columns: l, using: &generator)
    var q = single.apply(testMatrix)
    try q.luNormalize()
    var p = q
    for iteration in 1...powerIterations {
      p = single.applyTransposed(q)
      try p.luNormalize()
      if iteration < powerIterations {
        q = single.apply(p)
        try q.luNormalize()
      }
    }
    // The last pass in Float64: Q = qr(A·P), then Aᵀ·Q = W·Σ·Zᵀ.
    let q64 = try a.apply(p.converted(to: Double.self)).orthonormalized()
    let small = try a.applyTransposed(q64).singularValueDecomposition()
    return SingularValueDecomposition(
      u: q64 * small.v, singularValues: small.singularValues, v: small.u)
  }
}
