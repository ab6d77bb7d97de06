// Safe Swift over the LAPACK routines of `BLASScalar`. Each wrapper copies its input (LAPACK
// overwrites it), checks `info` and throws a `LAPACKError` that names the routine.

/// A thin singular value decomposition A = U·diag(σ)·Vᵀ with σ₁ ≥ σ₂ ≥ … ≥ 0.
public struct SingularValueDecomposition<Scalar: BLASScalar>: Sendable, Equatable {
  /// Left singular vectors, m × min(m, n) (or fewer when truncated).
  public var u: Matrix<Scalar>
  /// Singular values in decreasing order.
  public var singularValues: [Scalar]
  /// Right singular vectors as the columns of V, n × min(m, n) (not Vᵀ).
  public var v: Matrix<Scalar>

  public init(u: Matrix<Scalar>, singularValues: [Scalar], v: Matrix<Scalar>) {
    self.u = u
    self.singularValues = singularValues
    self.v = v
  }

  /// U·diag(σ)·Vᵀ.
  public var reconstructed: Matrix<Scalar> {
    var us = u
    for j in 0..<singularValues.count {
      for i in 0..<us.rows { us[i, j] *= singularValues[j] }
    }
    return us.multiplied(by: v, transposingOther: true)
  }

  /// The leading `rank` triplets.
  public func truncated(to rank: Int) -> SingularValueDecomposition {
    let r = Swift.min(rank, singularValues.count)
    return SingularValueDecomposition(
      u: u.leadingColumns(r), singularValues: Array(singularValues.prefix(r)),
      v: v.leadingColumns(r))
  }

  /// Flips the sign of each pair (uⱼ, vⱼ) so that the largest-magnitude entry of uⱼ is
  /// positive: a canonical choice, so that results compare across runs and algorithms.
  public func signCanonical() -> SingularValueDecomposition {
    var out = self
    for j in 0..<singularValues.count {
      var best = 0
      var bestAbs: Scalar = -1
      for i in 0..<u.rows where abs(u[i, j]) > bestAbs {
        bestAbs = abs(u[i, j])
        best = i
      }
      if u.rows > 0 && u[best, j] < 0 {
        for i in 0..<u.rows { out.u[i, j] = -u[i, j] }
        for i in 0..<v.rows { out.v[i, j] = -v[i, j] }
      }
    }
    return out
  }
}

extension Matrix {
  /// The thin SVD. The corresponding LAPACK routine is `?gesdd`.
  // swift-format 6.3 would write `@_specialize(exported:true,where …)`.
  // swift-format-ignore
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func singularValueDecomposition() throws(LAPACKError)
    -> SingularValueDecomposition<Scalar>
  {
    let k = Swift.min(rows, columns)
    var a = self
    var s = [Scalar](repeating: 0, count: k)
    var u = Matrix(rows: rows, columns: k)
    var vt = Matrix(rows: k, columns: columns)
    if k == 0 { return SingularValueDecomposition(u: u, singularValues: s, v: vt.transposed) }
    guard isFinite else { throw .nonFinite("the matrix", routine: Scalar._routinePrefix + "gesdd") }
    let (m, n) = (rows, columns)
    let info = a.withUnsafeMutableBufferPointer { aa in
      s.withUnsafeMutableBufferPointer { ss in
        u.withUnsafeMutableBufferPointer { uu in
          vt.withUnsafeMutableBufferPointer { vv in
            Scalar._gesdd(
              m: m, n: n, a: aa.baseAddress!, lda: m, s: ss.baseAddress!, u: uu.baseAddress!,
              ldu: m, vt: vv.baseAddress!, ldvt: k)
          }
        }
      }
    }
    try LAPACKError.check(
      info, routine: Scalar._routinePrefix + "gesdd", positive: "the SVD did not converge")
    return SingularValueDecomposition(u: u, singularValues: s, v: vt.transposed)
  }

  /// The singular values only, in decreasing order. The LAPACK routine is `?gesdd`.
  // swift-format 6.3 would write `@_specialize(exported:true,where …)`.
  // swift-format-ignore
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  public func singularValues() throws(LAPACKError) -> [Scalar] {
    let k = Swift.min(rows, columns)
    if k == 0 { return [] }
    guard isFinite else { throw .nonFinite("the matrix", routine: Scalar._routinePrefix + "gesdd") }
    var a = self
    var s = [Scalar](repeating: 0, count: k)
    let (m, n) = (rows, columns)
    let info = a.withUnsafeMutableBufferPointer { aa in
      s.withUnsafeMutableBufferPointer { ss in
        Scalar._gesddValues(m: m, n: n, a: aa.baseAddress!, lda: m, s: ss.baseAddress!)
      }
    }
    try LAPACKError.check(
      info, routine: Scalar._routinePrefix + "gesdd", positive: "the SVD did not converge")
    return s
  }

  /// The thin QR factorisation A = Q·R of an m×n matrix with m ≥ n: Q is m×n with orthonormal
  /// columns, R is n×n upper triangular. The LAPACK routines are `?geqrf` and `?orgqr`.
  public func qrDecomposition() throws(LAPACKError) -> (q: Matrix, r: Matrix) {
    precondition(rows >= columns, "thin QR needs rows ≥ columns (\(rows)×\(columns))")
    let (m, n) = (rows, columns)
    if n == 0 { return (Matrix(rows: m, columns: 0), Matrix(rows: 0, columns: 0)) }
    var a = self
    var tau = [Scalar](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { aa in
      tau.withUnsafeMutableBufferPointer { tt in
        Scalar._geqrf(m: m, n: n, a: aa.baseAddress!, lda: m, tau: tt.baseAddress!)
      }
    }
    try LAPACKError.check(info, routine: Scalar._routinePrefix + "geqrf", positive: "failed")
    var r = Matrix(rows: n, columns: n)
    for j in 0..<n { for i in 0...j { r[i, j] = a[i, j] } }
    let info2 = a.withUnsafeMutableBufferPointer { aa in
      tau.withUnsafeBufferPointer { tt in
        Scalar._orgqr(m: m, n: n, k: n, a: aa.baseAddress!, lda: m, tau: tt.baseAddress!)
      }
    }
    try LAPACKError.check(info2, routine: Scalar._routinePrefix + "orgqr", positive: "failed")
    return (a, r)
  }

  /// An orthonormal basis of the column space (the Q of the thin QR).
  public func orthonormalized() throws(LAPACKError) -> Matrix { try qrDecomposition().q }

  /// The unit-lower-triangular factor L of the pivoted LU factorisation P·A = L·U of an m×n
  /// matrix with m ≥ n, as an m×n matrix with rows in A's order (so L·U = A up to the
  /// permutation folded into L). This is the normaliser of Algorithm 971's power iterations.
  /// The corresponding LAPACK routine is `?getrf`.
  public func luNormalized() throws(LAPACKError) -> Matrix {
    precondition(rows >= columns, "LU normalisation needs rows ≥ columns")
    let (m, n) = (rows, columns)
    if n == 0 { return self }
    var a = self
    var ipiv = [Int32](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { aa in
      ipiv.withUnsafeMutableBufferPointer { pp in
        Scalar._getrf(m: m, n: n, a: aa.baseAddress!, lda: m, ipiv: pp.baseAddress!)
      }
    }
    // info > 0 means U is exactly singular; L is still well defined, as in fbpca.
    if info < 0 {
      try LAPACKError.check(info, routine: Scalar._routinePrefix + "getrf", positive: "")
    }
    var l = Matrix(rows: m, columns: n)
    for j in 0..<n {
      l[j, j] = 1
      for i in (j + 1)..<m { l[i, j] = a[i, j] }
    }
    // Undo the row interchanges, last first, so that rows match A's order.
    for k in stride(from: n - 1, through: 0, by: -1) {
      let p = Int(ipiv[k]) - 1
      if p != k {
        for j in 0..<n {
          let t = l[k, j]
          l[k, j] = l[p, j]
          l[p, j] = t
        }
      }
    }
    return l
  }

  /// Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix; only the
  /// upper triangle is read. The corresponding LAPACK routine is `?syevd`.
  public func symmetricEigendecomposition() throws(LAPACKError)
    -> (values: [Scalar], vectors: Matrix)
  {
    precondition(rows == columns, "eigendecomposition needs a square matrix")
    let n = rows
    if n == 0 { return ([], self) }
    guard isFinite else { throw .nonFinite("the matrix", routine: Scalar._routinePrefix + "syevd") }
    var a = self
    var w = [Scalar](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { aa in
      w.withUnsafeMutableBufferPointer { ww in
        Scalar._syevd(n: n, a: aa.baseAddress!, lda: n, w: ww.baseAddress!)
      }
    }
    try LAPACKError.check(
      info, routine: Scalar._routinePrefix + "syevd", positive: "the algorithm did not converge")
    return (w, a)
  }

  /// Solves A·X = B for square, non-singular A. The corresponding LAPACK routine is `?gesv`.
  public func solving(_ b: Matrix) throws(LAPACKError) -> Matrix {
    precondition(rows == columns && b.rows == rows, "solve needs square A and matching B")
    let n = rows
    if n == 0 || b.columns == 0 { return b }
    var a = self
    var x = b
    var ipiv = [Int32](repeating: 0, count: n)
    let nrhs = b.columns
    let info = a.withUnsafeMutableBufferPointer { aa in
      x.withUnsafeMutableBufferPointer { xx in
        ipiv.withUnsafeMutableBufferPointer { pp in
          Scalar._gesv(
            n: n, nrhs: nrhs, a: aa.baseAddress!, lda: n, ipiv: pp.baseAddress!,
            b: xx.baseAddress!, ldb: n)
        }
      }
    }
    try LAPACKError.check(
      info, routine: Scalar._routinePrefix + "gesv", positive: "the matrix is exactly singular")
    return x
  }
}
