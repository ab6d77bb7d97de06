/// A floating-point type that OpenBLAS and LAPACKE compute with: `Double` or `Float`.
///
/// Generic code in this package is written once against this protocol; the two conformances
/// (`BLASScalar+Double.swift`, `BLASScalar+Float.swift`) are the only places that name the
/// `d`/`s` routines. The underscored requirements take raw pointers and are an implementation
/// detail: call the safe API on `Matrix` and `[Scalar]` instead.
public protocol BLASScalar: BinaryFloatingPoint, Sendable, Codable
where RawSignificand: FixedWidthInteger {
  /// `C ← α·op(A)·op(B) + β·C`, column-major. The corresponding BLAS routine is `?gemm`.
  static func _gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
    a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
  /// `y ← α·op(A)·x + β·y`, column-major. The corresponding BLAS routine is `?gemv`.
  static func _gemv(
    trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)
  /// `A ← A + α·x·yᵀ`. The corresponding BLAS routine is `?ger`.
  static func _ger(
    m: Int, n: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafePointer<Self>,
    a: UnsafeMutablePointer<Self>, lda: Int)
  /// `C ← α·A·Aᵀ + β·C` (`α·Aᵀ·A + β·C` when `trans`) on the upper triangle of the n×n `C`,
  /// column-major; `A` is n×k (k×n when `trans`). The corresponding BLAS routine is `?syrk`.
  static func _syrk(
    trans: Bool, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int, beta: Self,
    c: UnsafeMutablePointer<Self>, ldc: Int)
  /// `xᵀy`. The corresponding BLAS routine is `?dot`.
  static func _dot(n: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self
  /// `y ← α·x + y`. The corresponding BLAS routine is `?axpy`.
  static func _axpy(n: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)
  /// `‖x‖₂` without overflow. The corresponding BLAS routine is `?nrm2`.
  static func _nrm2(n: Int, x: UnsafePointer<Self>) -> Self

  /// Thin SVD `A = U·diag(s)·Vᵀ`; `a` is overwritten. Returns LAPACK's `info`.
  /// The corresponding LAPACK routine is `?gesdd` (job `S`).
  static func _gesdd(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, s: UnsafeMutablePointer<Self>,
    u: UnsafeMutablePointer<Self>, ldu: Int, vt: UnsafeMutablePointer<Self>, ldvt: Int) -> Int
  /// Singular values only. The corresponding LAPACK routine is `?gesdd` (job `N`).
  static func _gesddValues(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, s: UnsafeMutablePointer<Self>) -> Int
  /// Householder QR. The corresponding LAPACK routine is `?geqrf`.
  static func _geqrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, tau: UnsafeMutablePointer<Self>)
    -> Int
  /// Forms the first `n` columns of Q from `?geqrf`'s output. The LAPACK routine is `?orgqr`.
  static func _orgqr(
    m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Self>, lda: Int, tau: UnsafePointer<Self>)
    -> Int
  /// LU with partial pivoting. The corresponding LAPACK routine is `?getrf`.
  static func _getrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, ipiv: UnsafeMutablePointer<Int32>)
    -> Int
  /// Symmetric eigendecomposition (ascending eigenvalues, vectors in `a`).
  /// The corresponding LAPACK routine is `?syevd`.
  static func _syevd(
    n: Int, a: UnsafeMutablePointer<Self>, lda: Int, w: UnsafeMutablePointer<Self>) -> Int
  /// Solves `A·X = B` for square `A` by LU. The corresponding LAPACK routine is `?gesv`.
  static func _gesv(
    n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, lda: Int,
    ipiv: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Self>, ldb: Int) -> Int

  /// The `d` or `s` prefix of this type's routine names, for error messages.
  static var _routinePrefix: String { get }
}
