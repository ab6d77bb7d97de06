import LinearAlgebra
import TestSupport
import Testing

@Suite("BLAS wrappers agree with naive loops", .serialized)
struct BLASTests {
  @Test func matrixProductMatchesTripleLoopForEveryTransposeCombination() {
    var rng = testGenerator(1)
    let a: Matrix<Double> = Gaussian.matrix(rows: 7, columns: 5, using: &rng)
    let b: Matrix<Double> = Gaussian.matrix(rows: 5, columns: 4, using: &rng)
    #expect(relativeError(a * b, naiveProduct(a, b)) < 1e-14)
    let at = a.transposed
    let bt = b.transposed
    #expect(relativeError(at.multiplied(by: b, transposingSelf: true), naiveProduct(a, b)) < 1e-14)
    #expect(relativeError(a.multiplied(by: bt, transposingOther: true), naiveProduct(a, b)) < 1e-14)
    #expect(
      relativeError(
        at.multiplied(by: bt, transposingSelf: true, transposingOther: true),
        naiveProduct(a, b)) < 1e-14)
  }

  @Test func floatProductMatchesTripleLoop() {
    var rng = testGenerator(2)
    let a: Matrix<Float> = Gaussian.matrix(rows: 6, columns: 9, using: &rng)
    let b: Matrix<Float> = Gaussian.matrix(rows: 9, columns: 3, using: &rng)
    #expect(relativeError(a * b, naiveProduct(a, b)) < 1e-5)
  }

  @Test func matrixVectorProductsMatchNaiveSums() {
    var rng = testGenerator(3)
    let a: Matrix<Double> = Gaussian.matrix(rows: 6, columns: 4, using: &rng)
    let x: [Double] = Gaussian.sample(4, using: &rng)
    let y: [Double] = Gaussian.sample(6, using: &rng)
    let ax = (0..<6).map { i in (0..<4).reduce(0.0) { $0 + a[i, $1] * x[$1] } }
    let aty = (0..<4).map { j in (0..<6).reduce(0.0) { $0 + a[$1, j] * y[$1] } }
    #expect(relativeError(a * x, ax) < 1e-14)
    #expect(relativeError(a.multiplied(by: y, transposed: true), aty) < 1e-14)
  }

  @Test func vectorKernelsMatchDefinitions() {
    let x: [Double] = [3, -4, 12]
    let y: [Double] = [1, 2, 3]
    #expect(x.dot(y) == 3 - 8 + 36)
    #expect(x.euclideanNorm == 13)
    var z = y
    z.add(x, scaledBy: 2)
    #expect(z == [7, -6, 27])
    // nrm2 does not overflow where the naive sum of squares would.
    #expect([1e200, 1e200].euclideanNorm == 1e200 * 2.0.squareRoot())
  }

  @Test func accumulatedProductMatchesTripleLoopForEveryTransposeCombination() {
    var rng = testGenerator(4)
    let a: Matrix<Double> = Gaussian.matrix(rows: 7, columns: 5, using: &rng)
    let b: Matrix<Double> = Gaussian.matrix(rows: 5, columns: 4, using: &rng)
    let c0: Matrix<Double> = Gaussian.matrix(rows: 7, columns: 4, using: &rng)
    var expected = naiveProduct(a, b).scaled(by: -2)
    expected.add(c0)
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
      var c = c0
      c.addProduct(
        ta ? a.transposed : a, tb ? b.transposed : b, transposingFirst: ta,
        transposingSecond: tb, scaledBy: -2)
      let error = relativeError(c, expected)
      print(
        "C − 2·op(A)·op(B), transposes (\(ta), \(tb)): relative error \(error), tolerance 1e-14")
      #expect(error < 1e-14)
    }
  }

  @Test func gramUpdateOnTheUpperTriangleMatchesTheFullProduct() {
    var rng = testGenerator(5)
    let a: Matrix<Double> = Gaussian.matrix(rows: 6, columns: 9, using: &rng)
    let c0: Matrix<Double> = Gaussian.matrix(rows: 6, columns: 6, using: &rng)
    let symmetric = c0 + c0.transposed
    for transposing in [false, true] {
      let x = transposing ? a.transposed : a
      var c = symmetric
      c.addGramUpperTriangle(of: x, transposing: transposing, scaledBy: 0.5)
      // The strictly lower triangle is untouched until it is mirrored.
      #expect(c[3, 1] == symmetric[3, 1])
      c.copyUpperTriangleToLower()
      var expected = naiveProduct(a, a.transposed).scaled(by: 0.5)
      expected.add(symmetric)
      let error = relativeError(c, expected)
      print(
        "C + ½·A·Aᵀ by syrk (transposing \(transposing)): relative error \(error), "
          + "tolerance 1e-14")
      #expect(error < 1e-14)
    }
    // A wrong triangle is caught: without the mirror, the matrix is not the product.
    var unmirrored = Matrix<Double>(rows: 6, columns: 6)
    unmirrored.addGramUpperTriangle(of: a)
    #expect(relativeError(unmirrored, naiveProduct(a, a.transposed)) > 0.1)
  }

  @Test func outerProductUpdateMatchesDefinition() {
    var a = Matrix<Double>(rows: 2, columns: 3, repeating: 1)
    a.addOuterProduct([1, 2], [1, 0, -1], scaledBy: 2)
    #expect(a == Matrix(rowMajor: [[3, 1, -1], [5, 1, -3]]))
  }

  @Test func emptyShapesAreHandled() {
    let a = Matrix<Double>(rows: 0, columns: 3)
    let b = Matrix<Double>(rows: 3, columns: 2)
    #expect((a * b).rows == 0)
    #expect([Double]().euclideanNorm == 0)
  }
}
