// Goals, in order of priority: the same factor as `luNormalized()`; no copies and no
// per-entry subscripting, because Algorithm 971 calls it 2·T times per SVD (with T = 20, the
// Swift loops of `luNormalized()` took 10× as long as the LAPACK call at 512×40).

extension Matrix {
  /// Replaces this m×n matrix (m ≥ n) by the unit-lower-trapezoidal factor L of its pivoted LU
  /// factorisation P·A = L·U, rows put back in A's order (Pᵀ·L): the normaliser of
  /// Algorithm 971's power iterations, in place. Same result as `luNormalized()`.
  ///
  /// An exactly singular U (LAPACK's info > 0) is not an error: L is still well defined, as in
  /// fbpca. The corresponding LAPACK routine is `?getrf`.
  // swift-format 6.3 would write `@_specialize(exported:true,where …)`.
  // swift-format-ignore
  @_specialize(exported: true, where Scalar == Double)
  @_specialize(exported: true, where Scalar == Float)
  public mutating func luNormalize() throws(LAPACKError) {
    precondition(rows >= columns, "LU normalisation needs rows ≥ columns")
    let (m, n) = (rows, columns)
    if n == 0 { return }
    var ipiv = [Int32](repeating: 0, count: n)
    let info = withUnsafeMutableBufferPointer { a in
      ipiv.withUnsafeMutableBufferPointer { p in
        Scalar._getrf(m: m, n: n, a: a.baseAddress!, lda: m, ipiv: p.baseAddress!)
      }
    }
    if info < 0 {
      throw LAPACKError(
        routine: Scalar._routinePrefix + "getrf", info: info,
        meaning: "argument \(-info) had an illegal value")
    }
    withUnsafeMutableBufferPointer { a in
      for j in 0..<n {
        let column = j * m
        for i in 0..<j { a[column + i] = 0 }
        a[column + j] = 1
      }
      // Undo the row interchanges, last first: row k was swapped with row ipiv[k] − 1.
      for k in stride(from: n - 1, through: 0, by: -1) {
        let p = Int(ipiv[k]) - 1
        if p == k { continue }
        for j in 0..<n { a.swapAt(k + j * m, p + j * m) }
      }
    }
  }
}
