import CLAPACKE
import COpenBLAS

private func transpose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }
private let colMajor = LAPACK_COL_MAJOR
private func job(_ c: Character) -> CChar { CChar(UInt8(ascii: c.unicodeScalars.first!)) }

extension Float: BLASScalar {
  public static let blasRoutines = BLASRoutines<Float>(
    routinePrefix: "s", gemm: FloatRoutines.gemm, gemv: FloatRoutines.gemv, ger: FloatRoutines.ger,
    syrk: FloatRoutines.syrk,
    dot: FloatRoutines.dot, axpy: FloatRoutines.axpy, nrm2: FloatRoutines.nrm2,
    gesdd: FloatRoutines.gesdd, gesddValues: FloatRoutines.gesddValues, geqrf: FloatRoutines.geqrf,
    orgqr: FloatRoutines.orgqr, getrf: FloatRoutines.getrf, syevd: FloatRoutines.syevd,
    gesv: FloatRoutines.gesv)
}

/// The `s` routines of OpenBLAS and LAPACKE with Swift integer arguments.
private enum FloatRoutines {

  static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_sgemm(
      CblasColMajor, transpose(transA), transpose(transB), blasint(m), blasint(n), blasint(k),
      alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  static func gemv(
    trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
  ) {
    cblas_sgemv(
      CblasColMajor, transpose(trans), blasint(m), blasint(n), alpha, a, blasint(lda), x, 1, beta,
      y, 1)
  }

  static func ger(
    m: Int, n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafePointer<Float>,
    a: UnsafeMutablePointer<Float>, lda: Int
  ) {
    cblas_sger(CblasColMajor, blasint(m), blasint(n), alpha, x, 1, y, 1, a, blasint(lda))
  }

  static func syrk(
    trans: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    cblas_ssyrk(
      CblasColMajor, CblasUpper, transpose(trans), blasint(n), blasint(k), alpha, a,
      blasint(lda), beta, c, blasint(ldc))
  }

  static func dot(n: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>) -> Float {
    cblas_sdot(blasint(n), x, 1, y, 1)
  }

  static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    cblas_saxpy(blasint(n), alpha, x, 1, y, 1)
  }

  static func nrm2(n: Int, x: UnsafePointer<Float>) -> Float {
    cblas_snrm2(blasint(n), x, 1)
  }

  static func gesdd(
    m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, s: UnsafeMutablePointer<Float>,
    u: UnsafeMutablePointer<Float>, ldu: Int, vt: UnsafeMutablePointer<Float>, ldvt: Int
  ) -> Int {
    Int(
      LAPACKE_sgesdd(
        colMajor, job("S"), Int32(m), Int32(n), a, Int32(lda), s, u, Int32(ldu), vt, Int32(ldvt)))
  }

  static func gesddValues(
    m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, s: UnsafeMutablePointer<Float>
  ) -> Int {
    var dummyU: Float = 0
    var dummyV: Float = 0
    return Int(
      LAPACKE_sgesdd(
        colMajor, job("N"), Int32(m), Int32(n), a, Int32(lda), s, &dummyU, 1, &dummyV, 1))
  }

  static func geqrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, tau: UnsafeMutablePointer<Float>
  ) -> Int {
    Int(LAPACKE_sgeqrf(colMajor, Int32(m), Int32(n), a, Int32(lda), tau))
  }

  static func orgqr(
    m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Float>, lda: Int, tau: UnsafePointer<Float>
  ) -> Int {
    Int(LAPACKE_sorgqr(colMajor, Int32(m), Int32(n), Int32(k), a, Int32(lda), tau))
  }

  static func getrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, ipiv: UnsafeMutablePointer<Int32>
  ) -> Int {
    Int(LAPACKE_sgetrf(colMajor, Int32(m), Int32(n), a, Int32(lda), ipiv))
  }

  static func syevd(
    n: Int, a: UnsafeMutablePointer<Float>, lda: Int, w: UnsafeMutablePointer<Float>
  ) -> Int {
    Int(LAPACKE_ssyevd(colMajor, job("V"), job("U"), Int32(n), a, Int32(lda), w))
  }

  static func gesv(
    n: Int, nrhs: Int, a: UnsafeMutablePointer<Float>, lda: Int,
    ipiv: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Float>, ldb: Int
  ) -> Int {
    Int(LAPACKE_sgesv(colMajor, Int32(n), Int32(nrhs), a, Int32(lda), ipiv, b, Int32(ldb)))
  }
}
