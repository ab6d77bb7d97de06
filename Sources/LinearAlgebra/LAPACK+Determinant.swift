// Determinants of small square matrices through the LU factorisation (the sign of det decides
// the last term of Miranda and Thompson's trace bound).

extension Matrix {
  /// The determinant det A = (−1)^(row interchanges)·∏ U_ii from the pivoted LU factorisation
  /// P·A = L·U. Exactly 0 when U has a zero pivot; otherwise accurate to a few ulps of
  /// ∏|U_ii| for well-conditioned A (it may overflow or underflow for large n).
  ///
  /// The corresponding LAPACK routine is `?getrf`.
  public func determinant() throws(LAPACKError) -> Scalar {
    precondition(rows == columns, "determinant needs a square matrix (\(rows)×\(columns))")
    let n = rows
    if n == 0 { return 1 }
    var a = self
    var ipiv = [Int32](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { aa in
      ipiv.withUnsafeMutableBufferPointer { pp in
        Scalar._getrf(m: n, n: n, a: aa.baseAddress!, lda: n, ipiv: pp.baseAddress!)
      }
    }
    // info > 0: U_ii = 0 exactly for i = info, so the determinant is 0.
    if info > 0 { return 0 }
    try LAPACKError.check(info, routine: Scalar._routinePrefix + "getrf", positive: "")
    var det: Scalar = 1
    for i in 0..<n {
      det *= a[i, i]
      if Int(ipiv[i]) - 1 != i { det = -det }
    }
    return det
  }

  /// The sign of det A: −1, 0 or +1. The corresponding LAPACK routine is `?getrf`.
  public func determinantSign() throws(LAPACKError) -> Scalar {
    let d = try determinant()
    return d == 0 ? 0 : (d < 0 ? -1 : 1)
  }
}
