// Safe Swift over the BLAS kernels of `BLASScalar`: matrix products, matrix–vector products and
// vector arithmetic. Shapes are programmer errors (`precondition`); BLAS itself cannot fail.

extension Matrix {
  /// `op(A)·op(B)`, where op is the transpose when the flag is set. The BLAS routine is `?gemm`.
  public func multiplied(
    by b: Matrix, transposingSelf: Bool = false, transposingOther: Bool = false
  ) -> Matrix {
    let m = transposingSelf ? columns : rows
    let k = transposingSelf ? rows : columns
    let kb = transposingOther ? b.columns : b.rows
    let n = transposingOther ? b.rows : b.columns
    precondition(k == kb, "inner dimensions differ: \(k) and \(kb)")
    if m == 0 || n == 0 || k == 0 { return Matrix(rows: m, columns: n) }
    // With β = 0, gemm writes C without reading it ("C need not be set on input"): no zero fill,
    // which in this generic context costs a value-witness call per entry.
    let product = [Scalar](unsafeUninitializedCapacity: m * n) { cc, count in
      withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { bb in
          Scalar._gemm(
            transA: transposingSelf, transB: transposingOther, m: m, n: n, k: k, alpha: 1,
            a: a.baseAddress!, lda: Swift.max(1, rows), b: bb.baseAddress!,
            ldb: Swift.max(1, b.rows), beta: 0, c: cc.baseAddress!, ldc: m)
        }
      }
      count = m * n
    }
    return Matrix(rows: m, columns: n, storage: product)
  }

  /// The matrix product `A·B`. The corresponding BLAS routine is `?gemm`.
  public static func * (a: Matrix, b: Matrix) -> Matrix { a.multiplied(by: b) }

  /// `op(A)·x`. The corresponding BLAS routine is `?gemv`.
  public func multiplied(by x: [Scalar], transposed: Bool = false) -> [Scalar] {
    let inCount = transposed ? rows : columns
    let outCount = transposed ? columns : rows
    precondition(x.count == inCount, "vector has \(x.count) entries, expected \(inCount)")
    var y = [Scalar](repeating: 0, count: outCount)
    if outCount == 0 || inCount == 0 { return y }
    withUnsafeBufferPointer { a in
      x.withUnsafeBufferPointer { xx in
        y.withUnsafeMutableBufferPointer { yy in
          Scalar._gemv(
            trans: transposed, m: rows, n: columns, alpha: 1, a: a.baseAddress!,
            lda: Swift.max(1, rows), x: xx.baseAddress!, beta: 0, y: yy.baseAddress!)
        }
      }
    }
    return y
  }

  /// `A·x`. The corresponding BLAS routine is `?gemv`.
  public static func * (a: Matrix, x: [Scalar]) -> [Scalar] { a.multiplied(by: x) }

  /// `A ← A + α·x·yᵀ`. The corresponding BLAS routine is `?ger`.
  public mutating func addOuterProduct(_ x: [Scalar], _ y: [Scalar], scaledBy alpha: Scalar = 1) {
    precondition(x.count == rows && y.count == columns, "outer product shape mismatch")
    if rows == 0 || columns == 0 { return }
    let lda = rows
    x.withUnsafeBufferPointer { xx in
      y.withUnsafeBufferPointer { yy in
        withUnsafeMutableBufferPointer { a in
          Scalar._ger(
            m: xx.count, n: yy.count, alpha: alpha, x: xx.baseAddress!, y: yy.baseAddress!,
            a: a.baseAddress!, lda: lda)
        }
      }
    }
  }

  /// `C ← C + α·op(A)·op(B)` in place, where op is the transpose when the flag is set: a product
  /// accumulated without a temporary. The corresponding BLAS routine is `?gemm` (β = 1).
  public mutating func addProduct(
    _ a: Matrix, _ b: Matrix, transposingFirst: Bool = false, transposingSecond: Bool = false,
    scaledBy alpha: Scalar = 1
  ) {
    let m = transposingFirst ? a.columns : a.rows
    let k = transposingFirst ? a.rows : a.columns
    let kb = transposingSecond ? b.columns : b.rows
    let n = transposingSecond ? b.rows : b.columns
    precondition(k == kb, "inner dimensions differ: \(k) and \(kb)")
    precondition(m == rows && n == columns, "product is \(m)×\(n), target \(rows)×\(columns)")
    if m == 0 || n == 0 || k == 0 { return }
    let ldc = rows
    a.withUnsafeBufferPointer { aa in
      b.withUnsafeBufferPointer { bb in
        withUnsafeMutableBufferPointer { cc in
          Scalar._gemm(
            transA: transposingFirst, transB: transposingSecond, m: m, n: n, k: k,
            alpha: alpha, a: aa.baseAddress!, lda: Swift.max(1, a.rows), b: bb.baseAddress!,
            ldb: Swift.max(1, b.rows), beta: 1, c: cc.baseAddress!, ldc: ldc)
        }
      }
    }
  }

  /// `C ← C + α·A·Aᵀ` (`C + α·Aᵀ·A` when `transposing`) on the upper triangle of the square `C`
  /// only, the strictly lower triangle left as it was: half of a product's work. Follow with
  /// `copyUpperTriangleToLower()` for the whole symmetric matrix. The corresponding BLAS
  /// routine is `?syrk`.
  public mutating func addGramUpperTriangle(
    of a: Matrix, transposing: Bool = false, scaledBy alpha: Scalar = 1
  ) {
    let n = transposing ? a.columns : a.rows
    let k = transposing ? a.rows : a.columns
    precondition(rows == n && columns == n, "Gram matrix is \(n)×\(n), target \(rows)×\(columns)")
    if n == 0 || k == 0 { return }
    a.withUnsafeBufferPointer { aa in
      withUnsafeMutableBufferPointer { cc in
        Scalar._syrk(
          trans: transposing, n: n, k: k, alpha: alpha, a: aa.baseAddress!,
          lda: Swift.max(1, a.rows), beta: 1, c: cc.baseAddress!, ldc: n)
      }
    }
  }

  /// Mirrors the upper triangle of a square matrix into its strictly lower triangle.
  public mutating func copyUpperTriangleToLower() {
    precondition(rows == columns, "not square: \(rows)×\(columns)")
    let n = rows
    for j in 0..<n {
      for i in (j + 1)..<n { self[i, j] = self[j, i] }
    }
  }

  /// `A ← A + α·B`. The corresponding BLAS routine is `?axpy`.
  public mutating func add(_ b: Matrix, scaledBy alpha: Scalar = 1) {
    precondition(rows == b.rows && columns == b.columns, "shape mismatch in add")
    if storage.isEmpty { return }
    let n = storage.count
    b.withUnsafeBufferPointer { x in
      withUnsafeMutableBufferPointer {
        Scalar._axpy(n: n, alpha: alpha, x: x.baseAddress!, y: $0.baseAddress!)
      }
    }
  }
}

extension Array where Element: BLASScalar {
  /// The inner product xᵀy. The corresponding BLAS routine is `?dot`.
  public func dot(_ y: [Element]) -> Element {
    precondition(count == y.count, "dot of vectors of lengths \(count) and \(y.count)")
    if isEmpty { return 0 }
    return withUnsafeBufferPointer { x in
      y.withUnsafeBufferPointer { Element._dot(n: count, x: x.baseAddress!, y: $0.baseAddress!) }
    }
  }

  /// ‖x‖₂, computed without overflow. The corresponding BLAS routine is `?nrm2`.
  public var euclideanNorm: Element {
    if isEmpty { return 0 }
    return withUnsafeBufferPointer { Element._nrm2(n: count, x: $0.baseAddress!) }
  }

  /// `self ← self + α·x`. The corresponding BLAS routine is `?axpy`.
  public mutating func add(_ x: [Element], scaledBy alpha: Element = 1) {
    precondition(count == x.count, "axpy of vectors of lengths \(x.count) and \(count)")
    if isEmpty { return }
    let n = count
    x.withUnsafeBufferPointer { xx in
      withUnsafeMutableBufferPointer {
        Element._axpy(n: n, alpha: alpha, x: xx.baseAddress!, y: $0.baseAddress!)
      }
    }
  }

  /// A copy with every entry multiplied by `factor`.
  public func scaled(by factor: Element) -> [Element] { map { $0 * factor } }

  /// x / ‖x‖₂ (unchanged when x = 0).
  public var normalized: [Element] {
    let n = euclideanNorm
    return n > 0 ? scaled(by: 1 / n) : self
  }
}
