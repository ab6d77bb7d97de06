// Goals, in order of priority: exact linear algebra for the proof checks (products, traces,
// inverses decided without rounding); the same shape conventions as `LinearAlgebra.Matrix`
// (column-major, entry (i, j) at `entries[i + j*rows]`); clarity over speed.

import LinearAlgebra

/// A dense matrix of exact rationals, stored column-major like `Matrix`.
///
/// The exact counterpart of `Matrix<Double>` for the executable proofs of appendices A and B:
/// products of residual blocks (I + J_i), traces tr{Δx wᵀ ∏(I + J_i)}, and rational orthogonal
/// matrices from the Cayley transform.
public struct RationalMatrix: Sendable, Hashable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let columns: Int
  /// The entries, column by column.
  public var entries: [Rational]

  /// A `rows × columns` matrix with every entry `value`.
  public init(rows: Int, columns: Int, repeating value: Rational = .zero) {
    precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.columns = columns
    self.entries = Array(repeating: value, count: rows * columns)
  }

  /// A matrix whose entries are `entry(i, j)`.
  public init(rows: Int, columns: Int, entry: (Int, Int) -> Rational) {
    self.init(rows: rows, columns: columns)
    for j in 0..<columns { for i in 0..<rows { entries[i + j * rows] = entry(i, j) } }
  }

  /// A matrix from its rows, written as they read.
  public init(rowMajor rowsOfEntries: [[Rational]]) {
    let m = rowsOfEntries.count
    let n = rowsOfEntries.first?.count ?? 0
    precondition(rowsOfEntries.allSatisfy { $0.count == n }, "rows have different lengths")
    self.init(rows: m, columns: n) { i, j in rowsOfEntries[i][j] }
  }

  /// The n×n identity.
  public static func identity(_ n: Int) -> RationalMatrix {
    RationalMatrix(rows: n, columns: n) { i, j in i == j ? .one : .zero }
  }

  /// The square diagonal matrix diag(d₁, …, d_n).
  public static func diagonal(_ d: [Rational]) -> RationalMatrix {
    RationalMatrix(rows: d.count, columns: d.count) { i, j in i == j ? d[i] : .zero }
  }

  /// The outer product x·yᵀ.
  public static func outer(_ x: [Rational], _ y: [Rational]) -> RationalMatrix {
    RationalMatrix(rows: x.count, columns: y.count) { i, j in x[i] * y[j] }
  }

  /// Entry (i, j).
  public subscript(i: Int, j: Int) -> Rational {
    get { entries[i + j * rows] }
    set { entries[i + j * rows] = newValue }
  }

  /// Column j.
  public func column(_ j: Int) -> [Rational] {
    Array(entries[(j * rows)..<((j + 1) * rows)])
  }

  /// The transpose.
  public var transposed: RationalMatrix {
    RationalMatrix(rows: columns, columns: rows) { i, j in self[j, i] }
  }

  /// The trace Σᵢ Aᵢᵢ.
  public var trace: Rational {
    (0..<Swift.min(rows, columns)).map { self[$0, $0] }.sum()
  }

  /// The squared Frobenius norm ‖A‖²_F = Σ Aᵢⱼ², exactly.
  public var frobeniusNormSquared: Rational {
    entries.map { $0 * $0 }.sum()
  }

  /// True when every entry is zero.
  public var isZero: Bool { entries.allSatisfy(\.isZero) }

  /// The nearest `Matrix<Double>`.
  public var doubleMatrix: Matrix<Double> {
    Matrix(rows: rows, columns: columns, storage: entries.map(\.doubleValue))
  }

  public static func + (a: RationalMatrix, b: RationalMatrix) -> RationalMatrix {
    precondition(a.rows == b.rows && a.columns == b.columns, "shape mismatch in +")
    var c = a
    for k in c.entries.indices { c.entries[k] += b.entries[k] }
    return c
  }

  public static func - (a: RationalMatrix, b: RationalMatrix) -> RationalMatrix {
    precondition(a.rows == b.rows && a.columns == b.columns, "shape mismatch in -")
    var c = a
    for k in c.entries.indices { c.entries[k] -= b.entries[k] }
    return c
  }

  /// The scalar multiple s·A.
  public static func * (s: Rational, a: RationalMatrix) -> RationalMatrix {
    var c = a
    for k in c.entries.indices { c.entries[k] = s * c.entries[k] }
    return c
  }

  /// The matrix product A·B, exactly.
  public static func * (a: RationalMatrix, b: RationalMatrix) -> RationalMatrix {
    precondition(a.columns == b.rows, "inner dimension mismatch \(a.columns) vs \(b.rows)")
    var c = RationalMatrix(rows: a.rows, columns: b.columns)
    for j in 0..<b.columns {
      for k in 0..<a.columns {
        let bkj = b[k, j]
        if bkj.isZero { continue }
        for i in 0..<a.rows {
          let aik = a[i, k]
          if aik.isZero { continue }
          c[i, j] += aik * bkj
        }
      }
    }
    return c
  }

  /// The matrix–vector product A·x, exactly.
  public static func * (a: RationalMatrix, x: [Rational]) -> [Rational] {
    precondition(a.columns == x.count, "inner dimension mismatch \(a.columns) vs \(x.count)")
    var y = [Rational](repeating: .zero, count: a.rows)
    for k in 0..<a.columns where !x[k].isZero {
      for i in 0..<a.rows {
        let aik = a[i, k]
        if !aik.isZero { y[i] += aik * x[k] }
      }
    }
    return y
  }

  /// A⁻¹ by Gauss–Jordan elimination in exact arithmetic, or nil when A is singular.
  ///
  /// Exact arithmetic needs no pivoting for stability: the first non-zero entry of each
  /// column serves as the pivot.
  public func inverse() -> RationalMatrix? {
    precondition(rows == columns, "inverse needs a square matrix")
    let n = rows
    var a = self
    var inv = RationalMatrix.identity(n)
    for col in 0..<n {
      guard let pivotRow = (col..<n).first(where: { !a[$0, col].isZero }) else { return nil }
      if pivotRow != col {
        for j in 0..<n {
          a.entries.swapAt(col + j * n, pivotRow + j * n)
          inv.entries.swapAt(col + j * n, pivotRow + j * n)
        }
      }
      let scale = a[col, col].reciprocal
      for j in 0..<n {
        a[col, j] *= scale
        inv[col, j] *= scale
      }
      for i in 0..<n where i != col && !a[i, col].isZero {
        let factor = a[i, col]
        for j in 0..<n {
          a[i, j] -= factor * a[col, j]
          inv[i, j] -= factor * inv[col, j]
        }
      }
    }
    return inv
  }

  /// The Cayley transform Q = (I − A)(I + A)⁻¹ of a skew-symmetric A (Aᵀ = −A).
  ///
  /// Q is orthogonal with det Q = +1 and has rational entries when A does, so it gives exact
  /// rotations U₀ for the proofs. I + A is always invertible for skew-symmetric A (its
  /// eigenvalues are 1 + iθ).
  public static func cayleyTransform(of a: RationalMatrix) -> RationalMatrix {
    precondition(a.rows == a.columns, "Cayley transform needs a square matrix")
    precondition(a.transposed == -1 * a, "Cayley transform needs a skew-symmetric matrix")
    let i = RationalMatrix.identity(a.rows)
    guard let inverse = (i + a).inverse() else {
      preconditionFailure("I + A is singular for a skew-symmetric A: impossible")
    }
    return (i - a) * inverse
  }
}

extension RationalMatrix {
  /// A random matrix with entries p/q, p from `numerators`, q from `denominators`.
  public static func random<G: RandomNumberGenerator>(
    rows: Int, columns: Int, numerators: ClosedRange<Int>, denominators: ClosedRange<Int>,
    using generator: inout G
  ) -> RationalMatrix {
    var m = RationalMatrix(rows: rows, columns: columns)
    for k in m.entries.indices {
      m.entries[k] = .random(
        numerators: numerators, denominators: denominators, using: &generator)
    }
    return m
  }

  /// A random rational rotation: the Cayley transform of a random skew-symmetric matrix with
  /// entries p/q (|p| ≤ 3, 1 ≤ q ≤ 3). Orthogonal with determinant +1, exactly.
  public static func randomRotation<G: RandomNumberGenerator>(
    _ n: Int, using generator: inout G
  ) -> RationalMatrix {
    var a = RationalMatrix(rows: n, columns: n)
    for j in 0..<n {
      for i in 0..<j {
        let v = Rational.random(numerators: -3...3, denominators: 1...3, using: &generator)
        a[i, j] = v
        a[j, i] = -v
      }
    }
    return cayleyTransform(of: a)
  }
}

extension Array where Element == Rational {
  /// The exact inner product xᵀy.
  public func dot(_ other: [Rational]) -> Rational {
    precondition(count == other.count, "length mismatch \(count) vs \(other.count)")
    var s = Rational.zero
    for k in indices { s += self[k] * other[k] }
    return s
  }

  /// x + y, exactly.
  public func adding(_ other: [Rational]) -> [Rational] {
    precondition(count == other.count, "length mismatch \(count) vs \(other.count)")
    return indices.map { self[$0] + other[$0] }
  }

  /// x − y, exactly.
  public func subtracting(_ other: [Rational]) -> [Rational] {
    precondition(count == other.count, "length mismatch \(count) vs \(other.count)")
    return indices.map { self[$0] - other[$0] }
  }

  /// s·x, exactly.
  public func scaled(by s: Rational) -> [Rational] { map { s * $0 } }
}
