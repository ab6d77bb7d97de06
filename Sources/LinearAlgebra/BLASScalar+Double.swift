import CLAPACKE
import COpenBLAS

private func transpose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }
private let colMajor = LAPACK_COL_MAJOR
private func job(_ c: Character) -> CChar { CChar(UInt8(ascii: c.unicodeScalars.first!)) }

extension Double: BLASScalar {
  public static let blasRoutines = BLASRoutines<Double>(
    routinePrefix: "d", gemm: DoubleRoutines.gemm, gemv: DoubleRoutines.gemv,
    ger: DoubleRoutines.ger, syrk: DoubleRoutines.syrk,
    dot: DoubleRoutines.dot, axpy: DoubleRoutines.axpy, nrm2: DoubleRoutines.nrm2,
    gesdd: DoubleRoutines.gesdd, gesddValues: DoubleRoutines.gesddValues,
    geqrf: DoubleRoutines.geqrf,
    orgqr: DoubleRoutines.orgqr, getrf: DoubleRoutines.getrf, syevd: DoubleRoutines.syevd,
    gesv: DoubleRoutines.gesv)
}

/// The `d` routines of OpenBLAS and LAPACKE with Swift integer arguments.
private enum DoubleRoutines {

  static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dgemm(
      CblasColMajor, transpose(transA), transpose(transB), blasint(m), blasint(n), blasint(k),
      alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  static func gemv(
    trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
  ) {
    cblas_dgemv(
      CblasColMajor, transpose(trans), blasint(m), blasint(n), alpha, a, blasint(lda), x, 1, beta,
      y, 1)
  }

  static func ger(
    m: Int, n: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafePointer<Double>,
    a: UnsafeMutablePointer<Double>, lda: Int
  ) {
    cblas_dger(CblasColMajor, blasint(m), blasint(n), alpha, x, 1, y, 1, a, blasint(lda))
  }

  static func syrk(
    trans: Bool, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int, beta: Double,
    c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    cblas_dsyrk(
      CblasColMajor, CblasUpper, transpose(trans), blasint(n), blasint(k), alpha, a,
      blasint(lda), beta, c, blasint(ldc))
  }

  static func dot(n: Int, x: UnsafePointer<Double>, y: UnsafePointer<Double>) -> Double {
    cblas_ddot(blasint(n), x, 1, y, 1)
  }

  static func axpy(n: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>)
  {
    cblas_daxpy(blasint(n), alpha, x, 1, y, 1)
  }

  static func nrm2(n: Int, x: UnsafePointer<Double>) -> Double {
    cblas_dnrm2(blasint(n), x, 1)
  }

  static func gesdd(
    m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int, s: UnsafeMutablePointer<Double>,
    u: UnsafeMutablePointer<Double>, ldu: Int, vt: UnsafeMutablePointer<Double>, ldvt: Int
  ) -> Int {
    Int(
      LAPACKE_dgesdd(
        colMajor, job("S"), Int32(m), Int32(n), a, Int32(lda), s, u, Int32(ldu), vt, Int32(ldvt)))
  }

  static func gesddValues(
    m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int, s: UnsafeMutablePointer<Double>
  ) -> Int {
    var dummyU: Double = 0
    var dummyV: Double = 0
    return Int(
      LAPACKE_dgesdd(
        colMajor, job("N"), Int32(m), Int32(n), a, Int32(lda), s, &dummyU, 1, &dummyV, 1))
  }

  static func geqrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int, tau: UnsafeMutablePointer<Double>
  ) -> Int {
    Int(LAPACKE_dgeqrf(colMajor, Int32(m), Int32(n), a, Int32(lda), tau))
  }

  static func orgqr(
    m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Double>, lda: Int, tau: UnsafePointer<Double>
  ) -> Int {
    Int(LAPACKE_dorgqr(colMajor, Int32(m), Int32(n), Int32(k), a, Int32(lda), tau))
  }

  static func getrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Double>, lda: Int, ipiv: UnsafeMutablePointer<Int32>
  ) -> Int {
    Int(LAPACKE_dgetrf(colMajor, Int32(m), Int32(n), a, Int32(lda), ipiv))
  }

  static func syevd(
    n: Int, a: UnsafeMutablePointer<Double>, lda: Int, w: UnsafeMutablePointer<Double>
  ) -> Int {
    Int(LAPACKE_dsyevd(colMajor, job("V"), job("U"), Int32(n), a, Int32(lda), w))
  }

  static func gesv(
    n: Int, nrhs: Int, a: UnsafeMutablePointer<Double>, lda: Int,
    ipiv: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Double>, ldb: Int
  ) -> Int {
    Int(LAPACKE_dgesv(colMajor, Int32(n), Int32(nrhs), a, Int32(lda), ipiv, b, Int32(ldb)))
  }
}

extension BLASKernels {
  /// `C ← α·op(A)·op(B) + β·C` in double precision, column-major: `cblas_dgemm` called directly.
  ///
  /// The generic `gemm` reaches BLAS through `Double.blasRoutines`, a table of closures that is
  /// copied (and every closure retained and released) on each call; at the multi-class model's
  /// sizes (D = 12, N = 6: nine products per evaluation) that copy costs as much as the product.
  @inline(__always)
  package static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension")
    precondition(
      lda >= max(1, transA ? k : m) && ldb >= max(1, transB ? n : k) && ldc >= max(1, m),
      "gemm: leading dimension smaller than the rows")
    DoubleRoutines.gemm(
      transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
      ldb: ldb, beta: beta, c: c, ldc: ldc)
  }

  /// `y ← α·op(A)·x + β·y` in double precision, unit strides: `cblas_dgemv` called directly
  /// (for the reason given at `gemm`).
  @inline(__always)
  package static func gemv(
    trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
    x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>
  ) {
    precondition(m >= 0 && n >= 0 && lda >= max(1, m), "gemv: bad dimensions")
    DoubleRoutines.gemv(
      trans: trans, m: m, n: n, alpha: alpha, a: a, lda: lda, x: x, beta: beta, y: y)
  }
}
