import Foundation
import LinearAlgebra
import TestSupport
import Testing

@Suite("LinearOperator: a matrix and its closure wrapper give the same products", .serialized)
struct LinearOperatorTests {
  @Test func matrixProductsMatchTheTripleLoop() {
    var rng = testGenerator(1)
    let a: Matrix<Double> = Gaussian.matrix(rows: 7, columns: 4, using: &rng)
    let x: Matrix<Double> = Gaussian.matrix(rows: 4, columns: 3, using: &rng)
    let y: Matrix<Double> = Gaussian.matrix(rows: 7, columns: 3, using: &rng)
    #expect(relativeError(a.apply(x), naiveProduct(a, x)) < 1e-14)
    #expect(relativeError(a.applyTransposed(y), naiveProduct(a.transposed, y)) < 1e-14)
    #expect(relativeError(a.apply(x.column(0)), naiveProduct(a, x).column(0)) < 1e-14)
    #expect(
      relativeError(a.applyTransposed(y.column(1)), naiveProduct(a.transposed, y).column(1))
        < 1e-14)
  }

  @Test func blockDefaultsEqualColumnByColumnProducts() {
    var rng = testGenerator(2)
    let a: Matrix<Double> = Gaussian.matrix(rows: 6, columns: 5, using: &rng)
    let op = FunctionOperator<Double>(
      rows: 6, columns: 5, apply: { a * $0 }, applyTransposed: { a.applyTransposed($0) })
    let x: Matrix<Double> = Gaussian.matrix(rows: 5, columns: 4, using: &rng)
    let y: Matrix<Double> = Gaussian.matrix(rows: 6, columns: 4, using: &rng)
    #expect(relativeError(op.apply(x), a * x) < 1e-14)
    #expect(relativeError(op.applyTransposed(y), a.applyTransposed(y)) < 1e-14)
    #expect(relativeError(op.materialized(), a) < 1e-15)
  }

  @Test func transposedOperatorSwapsProductsAndShape() {
    var rng = testGenerator(3)
    let a: Matrix<Double> = Gaussian.matrix(rows: 6, columns: 3, using: &rng)
    let t = a.transposedOperator
    #expect(t.rows == 3 && t.columns == 6)
    #expect(relativeError(t.materialized(), a.transposed) == 0)
    let v: [Double] = Gaussian.sample(6, using: &rng)
    #expect(relativeError(t.apply(v), a.applyTransposed(v)) == 0)
  }

  @Test func aWrongOperatorIsDetected() {
    // Counterexample: an operator whose transpose product is not Aᵀ must not match A's.
    var rng = testGenerator(4)
    let a: Matrix<Double> = Gaussian.matrix(rows: 5, columns: 5, using: &rng)
    let wrong = FunctionOperator<Double>(
      rows: 5, columns: 5, apply: { a * $0 }, applyTransposed: { a * $0 })
    let y: Matrix<Double> = Gaussian.matrix(rows: 5, columns: 2, using: &rng)
    #expect(relativeError(wrong.applyTransposed(y), a.applyTransposed(y)) > 1e-2)
  }
}

@Suite("NumPyArchive: .npz files that numpy.load reads")
struct NumPyArchiveTests {
  @Test func crc32MatchesTheStandardCheckValue() {
    #expect(CRC32.checksum(Data("123456789".utf8)) == 0xCBF4_3926)
    #expect(CRC32.checksum(Data("123456780".utf8)) != 0xCBF4_3926)
  }

  @Test func archiveStoresEachArrayVerbatimAfterItsHeader() {
    let a = NumPyArray(vector: [1, 2, 3])
    let data = NumPyArchive(arrays: [("s", a)]).npzData
    #expect(data.starts(with: [0x50, 0x4B, 0x03, 0x04]))
    #expect(data.range(of: a.npyData) != nil)
    // End-of-central-directory record: one entry.
    #expect(data.suffix(22).starts(with: [0x50, 0x4B, 0x05, 0x06]))
  }
}

@Suite("luNormalize: Algorithm 971's in-place LU normaliser")
struct LUNormalizeTests {
  @Test func equalsLUNormalizedAndSpansTheSameColumns() throws {
    var rng = testGenerator(5)
    try withEvery("shape", in: [(9, 4), (5, 5), (40, 7)]) { shape, label in
      let a: Matrix<Double> = Gaussian.matrix(rows: shape.0, columns: shape.1, using: &rng)
      var l = a
      try l.luNormalize()
      #expect(l == (try a.luNormalized()), "\(label)")
      // A = L·U: the columns of A lie in span L, so projecting A onto it changes nothing.
      let q = try l.orthonormalized()
      let projected = q * q.multiplied(by: a, transposingSelf: true)
      #expect(relativeError(projected, a) <= 1e-12, "\(label)")
    }
  }

  @Test func theSpanCheckRejectsAFactorThatIgnoresA() throws {
    // Counterexample for the check above: the first columns of the identity do not span A.
    var rng = testGenerator(6)
    let a: Matrix<Double> = Gaussian.matrix(rows: 8, columns: 3, using: &rng)
    let q = Matrix<Double>.identity(8).leadingColumns(3)
    let projected = q * q.multiplied(by: a, transposingSelf: true)
    #expect(relativeError(projected, a) > 0.1)
  }
}
