import Dispatch

/// A dense matrix stored column-major, as LAPACK expects: entry (i, j) is `storage[i + j*rows]`.
///
/// A value type: copies are independent (copy-on-write through the array). No paper concepts
/// live here; `Matrix` is the currency of the BLAS/LAPACK wrappers.
public struct Matrix<Scalar: BLASScalar>: Sendable, Equatable, Codable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let columns: Int
  /// The entries, column by column.
  public private(set) var storage: [Scalar]

  /// A `rows × columns` matrix with every entry `value`.
  public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
    precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.columns = columns
    self.storage = Array(repeating: value, count: rows * columns)
  }

  /// A matrix over column-major `storage`.
  public init(rows: Int, columns: Int, storage: [Scalar]) {
    precondition(
      storage.count == rows * columns,
      "storage has \(storage.count) entries, "
        + "expected \(rows)×\(columns)")
    self.rows = rows
    self.columns = columns
    self.storage = storage
  }

  /// A matrix from its rows, written as they read: `Matrix(rowMajor: [[1, 2], [3, 4]])`.
  public init(rowMajor rowsOfEntries: [[Scalar]]) {
    let m = rowsOfEntries.count
    let n = rowsOfEntries.first?.count ?? 0
    precondition(rowsOfEntries.allSatisfy { $0.count == n }, "rows have different lengths")
    self.init(rows: m, columns: n)
    for i in 0..<m { for j in 0..<n { self[i, j] = rowsOfEntries[i][j] } }
  }

  /// A matrix whose entries are `entry(i, j)`.
  public init(rows: Int, columns: Int, entry: (Int, Int) -> Scalar) {
    self.init(rows: rows, columns: columns)
    for j in 0..<columns { for i in 0..<rows { storage[i + j * rows] = entry(i, j) } }
  }

  /// The n×n identity.
  public static func identity(_ n: Int) -> Matrix {
    var m = Matrix(rows: n, columns: n)
    for i in 0..<n { m.storage[i + i * n] = 1 }
    return m
  }

  /// A diagonal matrix with `diagonal` on its diagonal (square unless `rows`/`columns` given).
  public static func diagonal(_ diagonal: [Scalar], rows: Int? = nil, columns: Int? = nil)
    -> Matrix
  {
    let m = rows ?? diagonal.count
    let n = columns ?? diagonal.count
    var d = Matrix(rows: m, columns: n)
    for (i, v) in diagonal.enumerated() where i < m && i < n { d[i, i] = v }
    return d
  }

  /// The outer product `x·yᵀ`.
  public static func outer(_ x: [Scalar], _ y: [Scalar]) -> Matrix {
    Matrix(rows: x.count, columns: y.count) { i, j in x[i] * y[j] }
  }

  /// Entry (i, j).
  @inlinable
  public subscript(i: Int, j: Int) -> Scalar {
    get { storage[i + j * rows] }
    set { setEntry(at: i + j * rows, to: newValue) }
  }

  /// `storage[k] = value`: the subscript's setter, out of line because `storage`'s setter is
  /// private (specialised for both scalars, so that callers in other modules stay fast).
  // swift-format 6.3 would write `@_specialize(exported:true,where …)`.
  // swift-format-ignore
  @usableFromInline
  @_specialize(exported: true, where Scalar == Float)
  @_specialize(exported: true, where Scalar == Double)
  mutating func setEntry(at k: Int, to value: Scalar) { storage[k] = value }

  /// Column `j` as an array.
  public func column(_ j: Int) -> [Scalar] {
    Array(storage[(j * rows)..<((j + 1) * rows)])
  }

  /// Row `i` as an array.
  public func row(_ i: Int) -> [Scalar] {
    (0..<columns).map { self[i, $0] }
  }

  /// Replaces column `j`.
  public mutating func setColumn(_ j: Int, to values: [Scalar]) {
    precondition(values.count == rows, "column has \(values.count) entries, expected \(rows)")
    storage.replaceSubrange((j * rows)..<((j + 1) * rows), with: values)
  }

  /// The first `count` columns.
  public func leadingColumns(_ count: Int) -> Matrix {
    precondition(count <= columns, "asked for \(count) of \(columns) columns")
    return Matrix(rows: rows, columns: count, storage: Array(storage[0..<(rows * count)]))
  }

  /// The transpose.
  ///
  /// Inlinable, so that it is specialised to the scalar: the generic copy through a closure cost
  /// more than the small SVDs of the multi-class checks it fed.
  @inlinable public var transposed: Matrix {
    let (m, n) = (rows, columns)
    var out = [Scalar]()
    out.reserveCapacity(m * n)
    // Column i of the transpose is row i of self.
    for i in 0..<m { for j in 0..<n { out.append(storage[i + j * m]) } }
    return Matrix(rows: n, columns: m, storage: out)
  }

  /// The diagonal entries.
  public var diagonalEntries: [Scalar] {
    (0..<Swift.min(rows, columns)).map { self[$0, $0] }
  }

  /// The trace Σᵢ Aᵢᵢ.
  public var trace: Scalar { diagonalEntries.reduce(0, +) }

  /// The Frobenius norm ‖A‖_F = √(Σ Aᵢⱼ²), without overflow.
  public var frobeniusNorm: Scalar { storage.euclideanNorm }

  /// True when every entry is finite.
  ///
  /// Inlinable, so that it is specialised to the scalar: the generic loop (with a key path) cost
  /// more than the SVDs it guards at small sizes.
  @inlinable public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }

  /// The largest |Aᵢⱼ − Bᵢⱼ|.
  public func maxAbsDifference(_ other: Matrix) -> Scalar {
    precondition(rows == other.rows && columns == other.columns, "shape mismatch")
    var m: Scalar = 0
    for k in storage.indices { m = Swift.max(m, abs(storage[k] - other.storage[k])) }
    return m
  }

  /// Multiplies every entry by `factor` in place.
  public mutating func scale(by factor: Scalar) {
    for k in storage.indices { storage[k] *= factor }
  }

  /// A copy with every entry multiplied by `factor`.
  public func scaled(by factor: Scalar) -> Matrix {
    var m = self
    m.scale(by: factor)
    return m
  }

  /// The matrix converted to another scalar type (rounded to nearest when narrowing).
  // swift-format 6.3 would write `@_specialize(exported:true,where …)`.
  // swift-format-ignore
  @_specialize(exported: true, where Scalar == Double, Other == Float)
  @_specialize(exported: true, where Scalar == Float, Other == Double)
  @_specialize(exported: true, where Scalar == Double, Other == Double)
  public func converted<Other: BLASScalar>(to: Other.Type = Other.self) -> Matrix<Other> {
    // A plain loop over buffers vectorises (`map` did not); large matrices are converted in
    // one chunk per BLAS thread, because first-touch page faults of the new buffer dominate.
    let total = storage.count
    let chunks = total >= 1 << 20 ? BLASEnvironment.current.threads : 1
    let converted = [Other](unsafeUninitializedCapacity: total) { out, count in
      storage.withUnsafeBufferPointer { source in
        let target = UncheckedSendable(out)
        let input = UncheckedSendable(source)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
          let range = (total * chunk / chunks)..<(total * (chunk + 1) / chunks)
          for k in range { target.value.initializeElement(at: k, to: Other(input.value[k])) }
        }
      }
      count = total
    }
    return Matrix<Other>(rows: rows, columns: columns, storage: converted)
  }

  public static func + (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.rows == b.rows && a.columns == b.columns, "shape mismatch in +")
    var c = a
    for k in c.storage.indices { c.storage[k] += b.storage[k] }
    return c
  }

  public static func - (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.rows == b.rows && a.columns == b.columns, "shape mismatch in -")
    var c = a
    for k in c.storage.indices { c.storage[k] -= b.storage[k] }
    return c
  }

  public static func * (s: Scalar, a: Matrix) -> Matrix { a.scaled(by: s) }

  /// The entries, column by column, writable in place by this package's own kernels and
  /// optimisers (`package` access: outside the package, `storage` is read-only).
  package var mutableStorage: [Scalar] {
    get { storage }
    _modify { yield &storage }
  }

  /// Read access to the column-major storage for the C wrappers.
  package func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R)
    rethrows -> R
  {
    try storage.withUnsafeBufferPointer(body)
  }

  /// Write access to the column-major storage for the C wrappers.
  package mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
  ) rethrows -> R {
    try storage.withUnsafeMutableBufferPointer(body)
  }
}

extension Matrix: CustomStringConvertible {
  public var description: String {
    (0..<rows).map { i in (0..<columns).map { "\(self[i, $0])" }.joined(separator: " ") }
      .joined(separator: "\n")
  }
}

/// A buffer handed to `concurrentPerform`'s workers, each of which touches a disjoint range.
private struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
