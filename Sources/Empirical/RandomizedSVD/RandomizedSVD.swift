// Goals, in order of priority: accurate top singular triplets of a Residual Jacobian (the
// paper's RA2–RA4 depend on them); an honest error report with every result; reproducible from a
// seed; speed — O(T·D²·K) instead of the O(D³) of a dense SVD (section 2.4).

import LinearAlgebra

/// The randomized SVD of Algorithm 971 (Li, Linderman, Szlam, Stanton, Kluger & Tygert, 2017),
/// the method of the paper's section 2.4 (T = 20 iterations, K = 10 to 30 triplets).
///
/// For an m×n operator A with m ≥ n (otherwise Aᵀ is decomposed and U, V swapped), rank k and
/// oversampling p, with l = k + p:
///
///     Q ← A·G                       G an n×l standard Gaussian test matrix
///     repeat T times:  Q ← lu(Aᵀ·lu(Q));  Q ← A·Q
///     Q ← qr(Q)                     (LU normalisation on every pass but the last, as in fbpca)
///     Aᵀ·Q = W·Σ·Zᵀ                 a small n×l dense SVD
///     U = Q·Z, V = W                then the leading k triplets, sign-canonical
///
/// where lu(X) is the unit-lower-triangular factor of a pivoted LU factorisation of X (it spans
/// the same space as X, and is far cheaper than QR) and qr(X) the Q of a thin QR factorisation.
///
/// When l ≥ min(m, n)/1.25 (fbpca's rule) the randomized method saves nothing, and A is formed
/// and decomposed by LAPACK's dense SVD instead (`Method.dense`).
///
/// With every result comes an a-posteriori report on ‖A − U·Σ·Vᵀ‖₂ (`SpectralNormReport`): a
/// subspace-iteration estimate that approaches the true norm from below, and a certified upper
/// bound that holds with probability at least 1 − 10⁻ʳ for r Gaussian probes (Halko, Martinsson &
/// Tropp 2011, eq. 4.3).
///
/// References: Li et al., "Algorithm 971: An implementation of a randomized algorithm for
/// principal component analysis", ACM TOMS 43(3), 2017; Halko, Martinsson & Tropp, "Finding
/// structure with randomness", SIAM Review 53(2), 2011.
public enum RandomizedSVD {
  /// The paper's number of iterations T (section 2.4).
  public static let defaultPowerIterations = 20
  /// Columns added to the test matrix beyond the rank asked for.
  public static let defaultOversampling = 10

  /// How a decomposition was computed.
  public enum Method: String, Sendable, Codable {
    /// Algorithm 971.
    case randomized
    /// LAPACK's dense SVD of the formed matrix (k + p too close to min(m, n)).
    case dense
  }

  /// Whether Algorithm 971 would fall back to the dense SVD for these sizes (fbpca's rule
  /// l ≥ min(m, n)/1.25 with l = k + p).
  public static func usesDenseFallback(
    rows: Int, columns: Int, rank: Int, oversampling: Int
  ) -> Bool {
    let l = Double(rank + oversampling)
    return l * 1.25 >= Double(Swift.min(rows, columns))
  }

  /// Whether LAPACK's dense SVD of an m×n matrix should cost fewer flops than Algorithm 971
  /// with l = k + p and T iterations: 4·(T + 1)·m·n·l for the products (in `.mixed`
  /// precision the 2·T Float32 products count half, as they run at about twice the rate:
  /// 2·(T + 2)·m·n·l) against about 4·m·n² + 22·n³ for `dgesdd` with thin U and V
  /// (n = min(m, n); Golub & Van Loan, table 8.6.1, R-SVD). For a Residual Jacobian whose
  /// ReLUs leave few inputs active (a 512×140 nonzero part), the dense SVD is the cheaper and
  /// exact choice.
  public static func denseIsCheaper(
    rows: Int, columns: Int, rank: Int, oversampling: Int,
    powerIterations: Int = defaultPowerIterations, precision: Precision = .double
  ) -> Bool {
    let m = Double(Swift.max(rows, columns))
    let n = Double(Swift.min(rows, columns))
    let l = Double(rank + oversampling)
    let t = Double(powerIterations)
    let randomized =
      switch precision {
      case .double: 4 * (t + 1) * m * n * l
      case .mixed: 2 * (t + 2) * m * n * l
      }
    let dense = 4 * m * n * n + 22 * n * n * n
    return dense <= randomized
  }

  /// The arithmetic of the power iterations.
  public enum Precision: String, Sendable, Codable, CaseIterable {
    /// Every product in the operator's own precision: Algorithm 971 as published.
    case double
    /// The 2·T power-iteration products (and their LU normalisations) in Float32 on a rounded
    /// copy of A; the last range pass Q = qr(A·P) and the projection Aᵀ·Q in Float64 on A
    /// itself (a Float64 Rayleigh–Ritz step, whose σ errors are second order in the subspace
    /// error). Float32 products run up to twice as fast and read half the memory. Each Float32
    /// product is off by about 6e-8·‖A‖, which is large for directions with σ_k ≪ σ₁: with a
    /// 1/i spectrum the top 30 σ agree with the dense SVD to 1e-12 as in `.double`, but on
    /// trained Residual Jacobians (σ₁/σ₃₀ ≈ 3·10⁴) they were off by up to 1.8e-8 relative,
    /// where `.double` gives 2e-13. For a matrix of rank ≤ k, A·P spans A's range exactly
    /// whatever P's rounding, so rank-k results keep Float64 accuracy.
    case mixed
  }

  /// The top `rank` singular triplets of `a` by Algorithm 971, with a report on the error.
  ///
  /// - Parameters:
  ///   - a: the operator (a `Matrix` or any `LinearOperator`).
  ///   - rank: k, the number of triplets returned (1 ≤ k ≤ min(m, n)).
  ///   - oversampling: p, extra columns of the test matrix (p ≥ 0).
  ///   - powerIterations: T ≥ 0.
  ///   - errorEstimateIterations: subspace iterations of the error estimate; 0 skips the
  ///     error report (both fields are then `nil`).
  ///   - generator: the source of the Gaussian test matrix and of the error probes.
  // swift-format 6.3 would write `@_specialize(exported:true,where …)`.
  // swift-format-ignore
  @_specialize(exported: true, where Op == Matrix<Double>, G == SeededGenerator)
  public static func svd<Op: LinearOperator, G: RandomNumberGenerator>(
    of a: Op, rank: Int, oversampling: Int = defaultOversampling,
    powerIterations: Int = defaultPowerIterations,
    errorEstimateIterations: Int = SpectralNorm.defaultIterations,
    using generator: inout G
  ) throws(LAPACKError) -> RandomizedSVDResult<Op.Scalar> {
    try svd(
      of: a, iteratingOn: a, rank: rank, oversampling: oversampling,
      powerIterations: powerIterations, errorEstimateIterations: errorEstimateIterations,
      using: &generator)
  }

  /// The top `rank` singular triplets of a dense matrix, with the power iterations in the
  /// given precision (`.mixed`: on a Float32 copy of `a`; see `Precision`).
  // swift-format 6.3 would write `@_specialize(exported:true,where …)`.
  // swift-format-ignore
  @_specialize(exported: true, where G == SeededGenerator)
  public static func svd<G: RandomNumberGenerator>(
    of a: Matrix<Double>, rank: Int, oversampling: Int = defaultOversampling,
    powerIterations: Int = defaultPowerIterations,
    errorEstimateIterations: Int = SpectralNorm.defaultIterations,
    precision: Precision, using generator: inout G
  ) throws(LAPACKError) -> RandomizedSVDResult<Double> {
    switch precision {
    case .double:
      return try svd(
        of: a, iteratingOn: a, rank: rank, oversampling: oversampling,
        powerIterations: powerIterations, errorEstimateIterations: errorEstimateIterations,
        using: &generator)
    case .mixed:
      // The dense fallback and T = 0 never iterate: no copy needed.
      let iterates =
        powerIterations > 0
        && !usesDenseFallback(
          rows: a.rows, columns: a.columns, rank: rank, oversampling: oversampling)
      let single: Matrix<Float>? = iterates ? a.converted(to: Float.self) : nil
      return try svd(
        of: a, iteratingOn: single, rank: rank, oversampling: oversampling,
        powerIterations: powerIterations, errorEstimateIterations: errorEstimateIterations,
        using: &generator)
    }
  }

  /// Algorithm 971 on `a`, with the power iterations on `b` — the same operator in another
  /// precision, or `a` itself — and the last range pass and the projection on `a`.
  // swift-format 6.3 would write `@_specialize(exported:true,where …)`.
  // swift-format-ignore
  @_specialize(
    exported: true, where Op == Matrix<Double>, Iter == Matrix<Double>, G == SeededGenerator)
  @_specialize(
    exported: true, where Op == Matrix<Double>, Iter == Matrix<Float>, G == SeededGenerator)
  static func svd<Op: LinearOperator, Iter: LinearOperator, G: RandomNumberGenerator>(
    of a: Op, iteratingOn b: Iter?, rank: Int, oversampling: Int,
    powerIterations: Int, errorEstimateIterations: Int, using generator: inout G
  ) throws(LAPACKError) -> RandomizedSVDResult<Op.Scalar> {
    let (m, n) = (a.rows, a.columns)
    precondition(rank >= 1 && rank <= Swift.min(m, n), "rank \(rank) not in 1...min(\(m), \(n))")
    precondition(oversampling >= 0 && powerIterations >= 0, "negative oversampling/iterations")
    let fallback = usesDenseFallback(rows: m, columns: n, rank: rank, oversampling: oversampling)
    precondition(
      b.map { $0.rows == m && $0.columns == n } ?? (powerIterations == 0 || fallback),
      "the iteration operator must be given and have A's shape")
    if fallback {
      let full = try a.materialized().singularValueDecomposition()
      let sigmaNext = rank < full.singularValues.count ? full.singularValues[rank] : 0
      let report: SpectralNormReport<Op.Scalar>? =
        errorEstimateIterations > 0
        ? SpectralNormReport(estimate: sigmaNext, bound: sigmaNext, iterations: 0, probes: 0)
        : nil
      return RandomizedSVDResult(
        decomposition: full.truncated(to: rank).signCanonical(), error: report, method: .dense)
    }
    let l = rank + oversampling
    let decomposition: SingularValueDecomposition<Op.Scalar>
    if m >= n {
      decomposition = try tallDecomposition(
        of: a, iteratingOn: b, width: l, powerIterations: powerIterations, using: &generator)
    } else {
      let t = try tallDecomposition(
        of: a.transposedOperator, iteratingOn: b?.transposedOperator, width: l,
        powerIterations: powerIterations, using: &generator)
      decomposition = SingularValueDecomposition(u: t.v, singularValues: t.singularValues, v: t.u)
    }
    let top = decomposition.truncated(to: rank).signCanonical()
    var report: SpectralNormReport<Op.Scalar>? = nil
    if errorEstimateIterations > 0 {
      report = try SpectralNorm.report(
        of: LowRankResidualOperator(base: a, decomposition: top),
        iterations: errorEstimateIterations, using: &generator)
    }
    return RandomizedSVDResult(decomposition: top, error: report, method: .randomized)
  }

  /// Algorithm 971 for m ≥ n, all l triplets (not yet truncated or sign-fixed). The power
  /// iterations run on `b`; the last product A·P, its QR and Aᵀ·Q on `a`.
  private static func tallDecomposition<
    Op: LinearOperator, Iter: LinearOperator, G: RandomNumberGenerator
  >(
    of a: Op, iteratingOn b: Iter?, width l: Int, powerIterations: Int,
    using generator: inout G
  ) throws(LAPACKError) -> SingularValueDecomposition<Op.Scalar> {
    // Drawn in A's precision, so that both precisions start from the same test matrix.
    let testMatrix: Matrix<Op.Scalar> = Gaussian.matrix(
      rows: a.columns, columns: l, using: &generator)
    // P: an n×l block whose image A·P spans the approximate range.
    var p = testMatrix
    if let b, powerIterations > 0 {
      var q = b.apply(testMatrix.converted(to: Iter.Scalar.self))
      try q.luNormalize()
      for iteration in 1...powerIterations {
        var pIter = b.applyTransposed(q)
        try pIter.luNormalize()
        if iteration == powerIterations {
          p = pIter.converted(to: Op.Scalar.self)
        } else {
          q = b.apply(pIter)
          try q.luNormalize()
        }
      }
    }
    let q = try a.apply(p).orthonormalized()
    // Qᵀ·A = (Aᵀ·Q)ᵀ = Z·Σ·Wᵀ where Aᵀ·Q = W·Σ·Zᵀ.
    let small = try a.applyTransposed(q).singularValueDecomposition()
    return SingularValueDecomposition(
      u: q * small.v, singularValues: small.singularValues, v: small.u)
  }
}

/// The top singular triplets of an operator with the report on what they leave out.
public struct RandomizedSVDResult<Scalar: BLASScalar>: Sendable {
  /// U (m×k), σ₁ ≥ … ≥ σ_k, V (n×k), sign-canonical.
  public var decomposition: SingularValueDecomposition<Scalar>
  /// Estimate and certified bound of ‖A − U·Σ·Vᵀ‖₂; `nil` when not requested.
  public var error: SpectralNormReport<Scalar>?
  /// Algorithm 971 or the dense fallback.
  public var method: RandomizedSVD.Method

  public init(
    decomposition: SingularValueDecomposition<Scalar>, error: SpectralNormReport<Scalar>?,
    method: RandomizedSVD.Method
  ) {
    self.decomposition = decomposition
    self.error = error
    self.method = method
  }

  /// σ₁ ≥ … ≥ σ_k.
  public var singularValues: [Scalar] { decomposition.singularValues }
}
