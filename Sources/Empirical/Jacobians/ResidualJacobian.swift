// Goals, in order of priority: exact J_i (closed form, Float64); products J·v, Jᵀ·v without
// forming J (the `LinearOperator` the SVD engine needs for large blocks); when J is formed, form
// only its nonzero part — ReLU switches off about half the units, and every inactive unit is a
// zero column of diag(d1) and a zero row of diag(d2)·W1.

import LinearAlgebra

/// The Residual Jacobian J = W2·diag(d2)·W1·diag(d1) of a fully-connected block at one input.
///
/// Paper: the Residual Jacobian J_i = ∂F_i/∂h evaluated at h_i (section 1; RA2–RA4 are claims
/// about its singular values and vectors). `ResidualBranch.jacobian(at:)` builds it with
/// d1 = ReLU'(a1)∘s1 and d2 = c·ReLU'(a2)∘s2.
///
/// Products cost two matrix products with the active parts of W1 and W2; `materialized()`
/// forms the D×D matrix, `compressed` only its |A1| nonzero columns (A1 = {k : d1_k ≠ 0}).
public struct ResidualJacobian: BlockLinearOperator, Sendable, Equatable {
  public typealias Scalar = Double
  /// The units k with d1_k ≠ 0 (the nonzero columns of J).
  public let activeInputs: [Int]
  /// The hidden units k with d2_k ≠ 0.
  public let activeHidden: [Int]
  /// W1[A2, A1]·diag(d1[A1]) (|A2|×|A1|).
  let inner: Matrix<Double>
  /// W2[:, A2]·diag(d2[A2]) (D×|A2|).
  let outer: Matrix<Double>
  /// D.
  public let dimension: Int

  /// J = W2·diag(outer)·W1·diag(inner).
  public init(w1: Matrix<Double>, inner d1: [Double], w2: Matrix<Double>, outer d2: [Double]) {
    let d = w1.columns
    precondition(d1.count == d && d2.count == d && w1.rows == d && w2.rows == d, "shapes")
    dimension = d
    activeInputs = d1.indices.filter { d1[$0] != 0 }
    activeHidden = d2.indices.filter { d2[$0] != 0 }
    let a1 = activeInputs
    let a2 = activeHidden
    // Gathers column by column over the storage (a closure per entry cost 2× the product).
    let w1s = w1.storage
    var innerStorage = [Double]()
    innerStorage.reserveCapacity(a2.count * a1.count)
    for k in a1 {
      let column = k * d
      let scale = d1[k]
      for i in a2 { innerStorage.append(w1s[column + i] * scale) }
    }
    inner = Matrix(rows: a2.count, columns: a1.count, storage: innerStorage)
    let w2s = w2.storage
    var outerStorage = [Double]()
    outerStorage.reserveCapacity(d * a2.count)
    for k in a2 {
      let scale = d2[k]
      for i in (k * d)..<((k + 1) * d) { outerStorage.append(w2s[i] * scale) }
    }
    outer = Matrix(rows: d, columns: a2.count, storage: outerStorage)
  }

  public var rows: Int { dimension }
  public var columns: Int { dimension }

  /// J restricted to its nonzero columns A1: a D×|A1| matrix K with J = K·Pᵀ, P the D×|A1|
  /// selection of A1. J and K have the same nonzero singular values and left vectors.
  public var compressed: Matrix<Double> { outer * inner }

  /// J·X = outer·(inner·X[A1, :]).
  public func apply(_ x: Matrix<Double>) -> Matrix<Double> {
    precondition(x.rows == dimension, "block has \(x.rows) rows, expected \(dimension)")
    var storage = [Double]()
    storage.reserveCapacity(activeInputs.count * x.columns)
    let xs = x.storage
    for j in 0..<x.columns {
      for k in activeInputs { storage.append(xs[k + j * dimension]) }
    }
    let selected = Matrix(rows: activeInputs.count, columns: x.columns, storage: storage)
    return outer * (inner * selected)
  }

  /// Jᵀ·X: innerᵀ·(outerᵀ·X), scattered back to the rows A1.
  public func applyTransposed(_ x: Matrix<Double>) -> Matrix<Double> {
    precondition(x.rows == dimension, "block has \(x.rows) rows, expected \(dimension)")
    let y = inner.multiplied(
      by: outer.multiplied(by: x, transposingSelf: true), transposingSelf: true)
    var out = Matrix<Double>(rows: dimension, columns: x.columns)
    for j in 0..<x.columns {
      for (i, k) in activeInputs.enumerated() { out[k, j] = y[i, j] }
    }
    return out
  }

  /// The D×D matrix J.
  public func materialized() -> Matrix<Double> { scatterRows(compressed.transposed).transposed }

  /// The top `rank` singular triplets of J from `compressed` (same singular values and U; V
  /// scattered back to D rows), with the error report: by Algorithm 971, or by the dense SVD
  /// when `RandomizedSVD.denseIsCheaper` says so for the shape of the nonzero part. The power
  /// iterations run in `precision`: `.double` by default, because trained Jacobians have
  /// steep spectra on which `.mixed` misses the 1e-8 agreement with the dense SVD (see
  /// `RandomizedSVD.Precision`).
  public func topSingularTriplets<G: RandomNumberGenerator>(
    rank: Int, oversampling: Int = RandomizedSVD.defaultOversampling,
    powerIterations: Int = RandomizedSVD.defaultPowerIterations,
    errorEstimateIterations: Int = SpectralNorm.defaultIterations,
    precision: RandomizedSVD.Precision = .double, using generator: inout G
  ) throws(LAPACKError) -> RandomizedSVDResult<Double> {
    precondition(rank >= 1 && rank <= dimension, "rank \(rank) not in 1...\(dimension)")
    let k = compressed
    let available = min(k.rows, k.columns)
    let kept = min(rank, available)
    var result: RandomizedSVDResult<Double>
    if kept == 0 {
      result = RandomizedSVDResult(
        decomposition: SingularValueDecomposition(
          u: Matrix(rows: dimension, columns: 0), singularValues: [],
          v: Matrix(rows: 0, columns: 0)),
        error: SpectralNormReport(estimate: 0, bound: 0, iterations: 0, probes: 0),
        method: .dense)
    } else if RandomizedSVD.denseIsCheaper(
      rows: k.rows, columns: k.columns, rank: kept, oversampling: oversampling,
      powerIterations: powerIterations, precision: precision)
    {
      // Exact, and cheaper than Algorithm 971 when few inputs are active.
      let full = try k.singularValueDecomposition()
      let next = kept < full.singularValues.count ? full.singularValues[kept] : 0
      result = RandomizedSVDResult(
        decomposition: full.truncated(to: kept).signCanonical(),
        error: errorEstimateIterations > 0
          ? SpectralNormReport(estimate: next, bound: next, iterations: 0, probes: 0) : nil,
        method: .dense)
    } else {
      result = try RandomizedSVD.svd(
        of: k, rank: kept, oversampling: oversampling, powerIterations: powerIterations,
        errorEstimateIterations: errorEstimateIterations, precision: precision,
        using: &generator)
    }
    // Pad with zero singular values (J has rank ≤ |A1|) and unit vectors outside the span.
    var d = result.decomposition
    var v = scatterRows(d.v)
    var u = d.u
    if kept < rank {
      let pad = rank - kept
      d.singularValues += [Double](repeating: 0, count: pad)
      let extra = try Self.orthonormalComplement(of: u, count: pad)
      u = Matrix(rows: dimension, columns: rank, storage: u.storage + extra.storage)
      let extraV = try Self.orthonormalComplement(of: v, count: pad)
      v = Matrix(rows: dimension, columns: rank, storage: v.storage + extraV.storage)
    }
    result.decomposition = SingularValueDecomposition(u: u, singularValues: d.singularValues, v: v)
    return result
  }

  /// An |A1|×b matrix's rows placed at the rows A1 of a D×b matrix of zeros.
  private func scatterRows(_ m: Matrix<Double>) -> Matrix<Double> {
    var out = Matrix<Double>(rows: dimension, columns: m.columns)
    for j in 0..<m.columns {
      for (i, k) in activeInputs.enumerated() { out[k, j] = m[i, j] }
    }
    return out
  }

  /// `count` orthonormal vectors orthogonal to the columns of `q` (orthonormal, D×r).
  private static func orthonormalComplement(of q: Matrix<Double>, count: Int)
    throws(LAPACKError) -> Matrix<Double>
  {
    let d = q.rows
    // The full Q of [q | I] spans ℝᴰ with q first; take the next columns whose R-diagonal is
    // not zero: by construction of Householder QR these complete q to an orthonormal basis.
    var storage = q.storage
    storage += Matrix<Double>.identity(d).storage
    let full = try Matrix(rows: d, columns: q.columns + d, storage: storage)
      .leadingColumns(d).orthonormalized()
    return Matrix(
      rows: d, columns: count,
      storage: Array(full.storage[(q.columns * d)..<((q.columns + count) * d)]))
  }
}
