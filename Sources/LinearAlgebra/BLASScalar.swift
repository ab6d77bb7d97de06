/// A floating-point type that OpenBLAS and LAPACKE compute with: `Double` or `Float`.
///
/// Generic code in this package is written once against this protocol; the two conformances
/// (`BLASScalar+Double.swift`, `BLASScalar+Float.swift`) are the only places that name the
/// `d`/`s` routines. The raw-pointer routines are not public API: call the safe API on `Matrix`
/// and `[Scalar]` instead.
public protocol BLASScalar: BinaryFloatingPoint, Sendable, Codable
where RawSignificand: FixedWidthInteger {
  /// This type's BLAS and LAPACK routines. Opaque outside LinearAlgebra, which alone can make
  /// one, so that no other type can conform.
  static var blasRoutines: BLASRoutines<Self> { get }
}

/// The raw-pointer OpenBLAS and LAPACKE routines of one scalar type (docs/C-INTEROP.md).
///
/// Its members are internal to LinearAlgebra: the rest of the package calls the safe API on
/// `Matrix` and `[Scalar]`, or the bounds-stated `BLASKernels` (package access).
public struct BLASRoutines<Scalar>: Sendable {
  typealias Pointer = UnsafePointer<Scalar>
  typealias MutablePointer = UnsafeMutablePointer<Scalar>
  typealias Pivots = UnsafeMutablePointer<Int32>

  /// The `d` or `s` prefix of this type's routine names, for error messages.
  let routinePrefix: String
  let gemm:
    @Sendable (
      Bool, Bool, Int, Int, Int, Scalar, Pointer, Int, Pointer, Int, Scalar, MutablePointer, Int
    ) -> Void
  let gemv:
    @Sendable (Bool, Int, Int, Scalar, Pointer, Int, Pointer, Scalar, MutablePointer) -> Void
  let ger: @Sendable (Int, Int, Scalar, Pointer, Pointer, MutablePointer, Int) -> Void
  let syrk: @Sendable (Bool, Int, Int, Scalar, Pointer, Int, Scalar, MutablePointer, Int) -> Void
  let dot: @Sendable (Int, Pointer, Pointer) -> Scalar
  let axpy: @Sendable (Int, Scalar, Pointer, MutablePointer) -> Void
  let nrm2: @Sendable (Int, Pointer) -> Scalar
  let gesdd:
    @Sendable (
      Int, Int, MutablePointer, Int, MutablePointer, MutablePointer, Int, MutablePointer, Int
    ) -> Int
  let gesddValues: @Sendable (Int, Int, MutablePointer, Int, MutablePointer) -> Int
  let geqrf: @Sendable (Int, Int, MutablePointer, Int, MutablePointer) -> Int
  let orgqr: @Sendable (Int, Int, Int, MutablePointer, Int, Pointer) -> Int
  let getrf: @Sendable (Int, Int, MutablePointer, Int, Pivots) -> Int
  let syevd: @Sendable (Int, MutablePointer, Int, MutablePointer) -> Int
  let gesv: @Sendable (Int, Int, MutablePointer, Int, Pivots, MutablePointer, Int) -> Int
}

// The routines under their BLAS/LAPACK argument names, for the wrapper files of this module.
extension BLASScalar {
  /// `C ← α·op(A)·op(B) + β·C`, column-major. The corresponding BLAS routine is `?gemm`.
  static func _gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
    a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
  ) {
    blasRoutines.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
  }
  /// `y ← α·op(A)·x + β·y`, column-major. The corresponding BLAS routine is `?gemv`.
  static func _gemv(
    trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
    x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>
  ) {
    blasRoutines.gemv(trans, m, n, alpha, a, lda, x, beta, y)
  }
  /// `A ← A + α·x·yᵀ`. The corresponding BLAS routine is `?ger`.
  static func _ger(
    m: Int, n: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafePointer<Self>,
    a: UnsafeMutablePointer<Self>, lda: Int
  ) {
    blasRoutines.ger(m, n, alpha, x, y, a, lda)
  }
  /// `C ← α·A·Aᵀ + β·C` (`α·Aᵀ·A + β·C` when `trans`) on the upper triangle of the n×n `C`,
  /// column-major; `A` is n×k (k×n when `trans`). The corresponding BLAS routine is `?syrk`.
  static func _syrk(
    trans: Bool, n: Int, k: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int, beta: Self,
    c: UnsafeMutablePointer<Self>, ldc: Int
  ) {
    blasRoutines.syrk(trans, n, k, alpha, a, lda, beta, c, ldc)
  }
  /// `xᵀy`. The corresponding BLAS routine is `?dot`.
  static func _dot(n: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self {
    blasRoutines.dot(n, x, y)
  }
  /// `y ← α·x + y`. The corresponding BLAS routine is `?axpy`.
  static func _axpy(n: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>) {
    blasRoutines.axpy(n, alpha, x, y)
  }
  /// `‖x‖₂` without overflow. The corresponding BLAS routine is `?nrm2`.
  static func _nrm2(n: Int, x: UnsafePointer<Self>) -> Self { blasRoutines.nrm2(n, x) }

  /// Thin SVD `A = U·diag(s)·Vᵀ`; `a` is overwritten. Returns LAPACK's `info`.
  /// The corresponding LAPACK routine is `?gesdd` (job `S`).
  static func _gesdd(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, s: UnsafeMutablePointer<Self>,
    u: UnsafeMutablePointer<Self>, ldu: Int, vt: UnsafeMutablePointer<Self>, ldvt: Int
  ) -> Int {
    blasRoutines.gesdd(m, n, a, lda, s, u, ldu, vt, ldvt)
  }
  /// Singular values only. The corresponding LAPACK routine is `?gesdd` (job `N`).
  static func _gesddValues(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, s: UnsafeMutablePointer<Self>
  ) -> Int {
    blasRoutines.gesddValues(m, n, a, lda, s)
  }
  /// Householder QR. The corresponding LAPACK routine is `?geqrf`.
  static func _geqrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, tau: UnsafeMutablePointer<Self>
  ) -> Int {
    blasRoutines.geqrf(m, n, a, lda, tau)
  }
  /// Forms the first `n` columns of Q from `?geqrf`'s output. The LAPACK routine is `?orgqr`.
  static func _orgqr(
    m: Int, n: Int, k: Int, a: UnsafeMutablePointer<Self>, lda: Int, tau: UnsafePointer<Self>
  ) -> Int {
    blasRoutines.orgqr(m, n, k, a, lda, tau)
  }
  /// LU with partial pivoting. The corresponding LAPACK routine is `?getrf`.
  static func _getrf(
    m: Int, n: Int, a: UnsafeMutablePointer<Self>, lda: Int, ipiv: UnsafeMutablePointer<Int32>
  ) -> Int {
    blasRoutines.getrf(m, n, a, lda, ipiv)
  }
  /// Symmetric eigendecomposition (ascending eigenvalues, vectors in `a`).
  /// The corresponding LAPACK routine is `?syevd`.
  static func _syevd(
    n: Int, a: UnsafeMutablePointer<Self>, lda: Int, w: UnsafeMutablePointer<Self>
  ) -> Int {
    blasRoutines.syevd(n, a, lda, w)
  }
  /// Solves `A·X = B` for square `A` by LU. The corresponding LAPACK routine is `?gesv`.
  static func _gesv(
    n: Int, nrhs: Int, a: UnsafeMutablePointer<Self>, lda: Int,
    ipiv: UnsafeMutablePointer<Int32>, b: UnsafeMutablePointer<Self>, ldb: Int
  ) -> Int {
    blasRoutines.gesv(n, nrhs, a, lda, ipiv, b, ldb)
  }

  /// The `d` or `s` prefix of this type's routine names, for error messages.
  static var _routinePrefix: String { blasRoutines.routinePrefix }
}
