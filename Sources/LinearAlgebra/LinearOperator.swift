// Goals, in order of priority: let the SVD engine run on matrices that are never formed (the
// Residual Jacobian of a convolutional block is 16384×16384); keep the dense path as fast as
// BLAS; keep the protocol small enough that a closure or a network block can conform.

/// A linear map A: ℝⁿ → ℝᵐ known only through its products A·v and Aᵀ·v.
///
/// Used for the Residual Jacobians J_i = ∂F_i/∂h of the paper (section 2.4 explains why the
/// randomized SVD must not form them when they are large). `Matrix` conforms through BLAS.
///
/// The block products act on every column of an n×b (resp. m×b) matrix at once; the default
/// implementations call the vector products column by column, and conforming types that can do
/// better (a matrix, a batched network pass) should override them.
public protocol LinearOperator<Scalar> {
  associatedtype Scalar: BLASScalar

  /// m, the dimension of the output of A·v.
  var rows: Int { get }
  /// n, the dimension of the input of A·v.
  var columns: Int { get }

  /// A·v for v ∈ ℝⁿ.
  func apply(_ v: [Scalar]) -> [Scalar]
  /// Aᵀ·v for v ∈ ℝᵐ.
  func applyTransposed(_ v: [Scalar]) -> [Scalar]

  /// A·X for an n×b matrix X.
  func apply(_ x: Matrix<Scalar>) -> Matrix<Scalar>
  /// Aᵀ·X for an m×b matrix X.
  func applyTransposed(_ x: Matrix<Scalar>) -> Matrix<Scalar>

  /// A as a dense m×n matrix (A·I by default; costs n products).
  func materialized() -> Matrix<Scalar>
}

extension LinearOperator {
  public func apply(_ x: Matrix<Scalar>) -> Matrix<Scalar> {
    precondition(x.rows == columns, "operator has \(columns) columns, block has \(x.rows) rows")
    var out = Matrix<Scalar>(rows: rows, columns: x.columns)
    for j in 0..<x.columns { out.setColumn(j, to: apply(x.column(j))) }
    return out
  }

  public func applyTransposed(_ x: Matrix<Scalar>) -> Matrix<Scalar> {
    precondition(x.rows == rows, "operator has \(rows) rows, block has \(x.rows) rows")
    var out = Matrix<Scalar>(rows: columns, columns: x.columns)
    for j in 0..<x.columns { out.setColumn(j, to: applyTransposed(x.column(j))) }
    return out
  }

  public func materialized() -> Matrix<Scalar> { apply(Matrix<Scalar>.identity(columns)) }

  /// The operator Aᵀ, as a view (no copy).
  public var transposedOperator: TransposedOperator<Self> { TransposedOperator(base: self) }
}

/// A linear operator computed on blocks of columns (a batched network pass, a deflated
/// operator): its vector products are its block products on one column.
///
/// A conforming type implements `apply(_:)` and `applyTransposed(_:)` on `Matrix` blocks.
public protocol BlockLinearOperator<Scalar>: LinearOperator {}

extension BlockLinearOperator {
  /// A·v, as the block product on the one column v.
  public func apply(_ v: [Scalar]) -> [Scalar] {
    apply(Matrix(rows: v.count, columns: 1, storage: v)).storage
  }

  /// Aᵀ·v, as the block product on the one column v.
  public func applyTransposed(_ v: [Scalar]) -> [Scalar] {
    applyTransposed(Matrix(rows: v.count, columns: 1, storage: v)).storage
  }
}

extension Matrix: LinearOperator {
  /// A·v. The corresponding BLAS routine is `?gemv`.
  public func apply(_ v: [Scalar]) -> [Scalar] { multiplied(by: v) }

  /// Aᵀ·v. The corresponding BLAS routine is `?gemv`.
  public func applyTransposed(_ v: [Scalar]) -> [Scalar] { multiplied(by: v, transposed: true) }

  /// A·X. The corresponding BLAS routine is `?gemm`.
  public func apply(_ x: Matrix<Scalar>) -> Matrix<Scalar> { multiplied(by: x) }

  /// Aᵀ·X, without forming Aᵀ. The corresponding BLAS routine is `?gemm`.
  public func applyTransposed(_ x: Matrix<Scalar>) -> Matrix<Scalar> {
    multiplied(by: x, transposingSelf: true)
  }

  /// The matrix itself.
  public func materialized() -> Matrix<Scalar> { self }
}

/// Aᵀ for an operator A: swaps the products and the dimensions.
public struct TransposedOperator<Base: LinearOperator>: LinearOperator {
  public typealias Scalar = Base.Scalar
  /// The operator A whose transpose this is.
  public var base: Base

  public init(base: Base) { self.base = base }

  public var rows: Int { base.columns }
  public var columns: Int { base.rows }
  public func apply(_ v: [Scalar]) -> [Scalar] { base.applyTransposed(v) }
  public func applyTransposed(_ v: [Scalar]) -> [Scalar] { base.apply(v) }
  public func apply(_ x: Matrix<Scalar>) -> Matrix<Scalar> { base.applyTransposed(x) }
  public func applyTransposed(_ x: Matrix<Scalar>) -> Matrix<Scalar> { base.apply(x) }
  public func materialized() -> Matrix<Scalar> { base.materialized().transposed }
}

/// A linear operator given by two closures, for operators that exist only as code (a network
/// block's Jacobian–vector products) and for tests.
public struct FunctionOperator<Scalar: BLASScalar>: LinearOperator {
  public let rows: Int
  public let columns: Int
  private let product: ([Scalar]) -> [Scalar]
  private let transposedProduct: ([Scalar]) -> [Scalar]

  /// An m×n operator with A·v = `apply(v)` and Aᵀ·v = `applyTransposed(v)`.
  public init(
    rows: Int, columns: Int, apply: @escaping ([Scalar]) -> [Scalar],
    applyTransposed: @escaping ([Scalar]) -> [Scalar]
  ) {
    self.rows = rows
    self.columns = columns
    self.product = apply
    self.transposedProduct = applyTransposed
  }

  public func apply(_ v: [Scalar]) -> [Scalar] {
    precondition(v.count == columns, "operator has \(columns) columns, vector has \(v.count)")
    return product(v)
  }

  public func applyTransposed(_ v: [Scalar]) -> [Scalar] {
    precondition(v.count == rows, "operator has \(rows) rows, vector has \(v.count)")
    return transposedProduct(v)
  }
}
