import LinearAlgebra
import TestSupport
import Testing

@Suite("LAPACK wrappers: factorisations reconstruct their input; failures are typed", .serialized)
struct LAPACKTests {
  @Test(arguments: [(5, 3), (3, 5), (4, 4)])
  func svdReconstructsAndIsOrthonormal(shape: (Int, Int)) throws {
    var rng = testGenerator(10)
    let a: Matrix<Double> = Gaussian.matrix(rows: shape.0, columns: shape.1, using: &rng)
    let svd = try a.singularValueDecomposition()
    #expect(relativeError(svd.reconstructed, a) < 1e-13)
    let k = min(shape.0, shape.1)
    #expect(relativeError(svd.u.multiplied(by: svd.u, transposingSelf: true), .identity(k)) < 1e-13)
    #expect(relativeError(svd.v.multiplied(by: svd.v, transposingSelf: true), .identity(k)) < 1e-13)
    #expect(zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
    #expect(relativeError(try a.singularValues(), svd.singularValues) < 1e-13)
  }

  @Test func svdOfKnownMatrix() throws {
    // diag(3, 2) rotated: singular values 3 and 2 exactly.
    let c = 0.6
    let s = 0.8
    let r = Matrix<Double>(rowMajor: [[c, -s], [s, c]])
    let a = r * Matrix.diagonal([3, 2]) * r.transposed
    let sv = try a.singularValues()
    #expect(abs(sv[0] - 3) < 1e-14 && abs(sv[1] - 2) < 1e-14)
  }

  @Test func signCanonicalMakesLargestEntryOfEachLeftVectorPositive() throws {
    var rng = testGenerator(11)
    let a: Matrix<Double> = Gaussian.matrix(rows: 6, columns: 4, using: &rng)
    let svd = try a.singularValueDecomposition().signCanonical()
    for j in 0..<4 {
      let col = svd.u.column(j)
      let big = col.max(by: { abs($0) < abs($1) })!
      #expect(big > 0)
    }
    #expect(relativeError(svd.reconstructed, a) < 1e-13)
  }

  @Test func qrReconstructsWithOrthonormalQ() throws {
    var rng = testGenerator(12)
    let a: Matrix<Double> = Gaussian.matrix(rows: 7, columns: 3, using: &rng)
    let (q, r) = try a.qrDecomposition()
    #expect(relativeError(q * r, a) < 1e-13)
    #expect(relativeError(q.multiplied(by: q, transposingSelf: true), .identity(3)) < 1e-13)
    for j in 0..<3 { for i in (j + 1)..<3 { #expect(r[i, j] == 0) } }
  }

  @Test func luNormalisedFactorSpansTheSameColumnSpace() throws {
    var rng = testGenerator(13)
    let a: Matrix<Double> = Gaussian.matrix(rows: 8, columns: 3, using: &rng)
    let l = try a.luNormalized()
    // Projecting A onto span(L) leaves nothing: L = A·U⁻¹.
    let q = try l.orthonormalized()
    let residual = a - q * q.multiplied(by: a, transposingSelf: true)
    #expect(residual.frobeniusNorm / a.frobeniusNorm < 1e-13)
    // Entries of the unit-lower factor are bounded by 1 (partial pivoting).
    #expect(l.storage.allSatisfy { abs($0) <= 1 + 1e-15 })
  }

  @Test func symmetricEigendecompositionDiagonalises() throws {
    var rng = testGenerator(14)
    let g: Matrix<Double> = Gaussian.matrix(rows: 5, columns: 5, using: &rng)
    let a = g + g.transposed
    let (values, vectors) = try a.symmetricEigendecomposition()
    let rebuilt = vectors * Matrix.diagonal(values) * vectors.transposed
    #expect(relativeError(rebuilt, a) < 1e-13)
    #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
  }

  @Test func solveMatchesProductAndSingularMatrixThrowsNamedError() throws {
    var rng = testGenerator(15)
    let a: Matrix<Double> = Gaussian.matrix(rows: 4, columns: 4, using: &rng)
    let x: Matrix<Double> = Gaussian.matrix(rows: 4, columns: 2, using: &rng)
    #expect(relativeError(try a.solving(a * x), x) < 1e-12)
    let singular = Matrix<Double>(rowMajor: [[1, 2], [2, 4]])
    let error = #expect(throws: LAPACKError.self) { try singular.solving(.identity(2)) }
    #expect(error?.routine == "dgesv")
    #expect(error?.info ?? 0 > 0)
    #expect(error?.description.hasPrefix("dgesv: the matrix is exactly singular (info=") == true)
  }

  @Test func svdOfNonFiniteMatrixThrowsInsteadOfReturningGarbage() {
    let a = Matrix<Double>(rowMajor: [[1, .nan], [0, 1]])
    let error = #expect(throws: LAPACKError.self) { try a.singularValueDecomposition() }
    #expect(error?.routine == "dgesdd")
  }

  /// Issue 19 defect 5: a non-finite input is refused before LAPACK is called, with a sentence
  /// that says so (never "argument 5 had an illegal value"); a finite one is decomposed.
  @Test func aNonFiniteMatrixIsNamedNotAnIllegalArgument() throws {
    for bad in [Double.nan, .infinity, -.infinity] {
      let a = Matrix<Double>(rowMajor: [[1, bad], [bad, 1]])
      let attempts: [() throws -> Void] = [
        { _ = try a.singularValueDecomposition() }, { _ = try a.singularValues() },
        { _ = try a.symmetricEigendecomposition() },
      ]
      for attempt in attempts {
        let error = #expect(throws: LAPACKError.self) { try attempt() }
        let text = error.map { "\($0)" } ?? ""
        print(text)
        #expect(text.contains("non-finite") && !text.contains("illegal"))
      }
    }
    let fine = Matrix<Double>(rowMajor: [[2, 1], [1, 2]])
    let values = try fine.symmetricEigendecomposition().values
    #expect(abs(values[0] - 1) < 1e-12 && abs(values[1] - 3) < 1e-12)
  }
}
