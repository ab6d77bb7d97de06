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
    var c = Matrix(rows: m, columns: n)
    if m == 0 || n == 0 { return c }
    if k == 0 { return c }
    withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { bb in
        c.withUnsafeMutableBufferPointer { cc in
          Scalar._gemm(
            transA: transposingSelf, transB: transposingOther, m: m, n: n, k: k, alpha: 1,
            a: a.baseAddress!, lda: Swift.max(1, rows), b: bb.baseAddress!,
            ldb: Swift.max(1, b.rows), beta: 0, c: cc.baseAddress!, ldc: Swift.max(1, m))
        }
      }
    }
    return c
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
