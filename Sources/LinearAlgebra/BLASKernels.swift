// Goals, in order of priority: the package's own hot loops (training workspaces, the structured
// L-BFGS basis) reach `?gemm`/`?gemv` on buffers they own, without any raw-pointer API in the
// public interface of LinearAlgebra.

/// Matrix products on column-major buffers for the kernels of this package (`package` access:
/// not public API).
///
/// As for BLAS itself, the caller guarantees that every pointer addresses the entries its
/// dimensions and leading dimension imply: `a` holds `lda × (columns of op(A) before transposing)`
/// entries, and so on. Shapes are checked to be non-negative with leading dimensions ≥ the rows.
package enum BLASKernels {
  /// `C ← α·op(A)·op(B) + β·C`, column-major. The BLAS routine is `?gemm`.
  @inline(__always)
  package static func gemm<Scalar: BLASScalar>(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Scalar,
    a: UnsafePointer<Scalar>, lda: Int, b: UnsafePointer<Scalar>, ldb: Int,
    beta: Scalar, c: UnsafeMutablePointer<Scalar>, ldc: Int
  ) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension")
    precondition(
      lda >= max(1, transA ? k : m) && ldb >= max(1, transB ? n : k) && ldc >= max(1, m),
      "gemm: leading dimension smaller than the rows")
    Scalar._gemm(
      transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
      ldb: ldb, beta: beta, c: c, ldc: ldc)
  }

  /// `y ← α·op(A)·x + β·y` for the m×n column-major A, unit strides. The BLAS routine is `?gemv`.
  @inline(__always)
  package static func gemv<Scalar: BLASScalar>(
    trans: Bool, m: Int, n: Int, alpha: Scalar, a: UnsafePointer<Scalar>, lda: Int,
    x: UnsafePointer<Scalar>, beta: Scalar, y: UnsafeMutablePointer<Scalar>
  ) {
    precondition(m >= 0 && n >= 0 && lda >= max(1, m), "gemv: bad dimensions")
    Scalar._gemv(trans: trans, m: m, n: n, alpha: alpha, a: a, lda: lda, x: x, beta: beta, y: y)
  }
}
