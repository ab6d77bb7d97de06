import LinearAlgebra
import TestSupport
import Testing

@Suite("Seeded generator and Gaussian sampling")
struct RandomTests {
  @Test func sameSeedGivesSameStreamAndDifferentSeedsDiffer() {
    var a = SeededGenerator(seed: 42)
    var b = SeededGenerator(seed: 42)
    var c = SeededGenerator(seed: 43)
    let xa = (0..<8).map { _ in a.next() }
    #expect(xa == (0..<8).map { _ in b.next() })
    #expect(xa != (0..<8).map { _ in c.next() })
  }

  @Test func savedStateResumesTheStream() {
    var a = SeededGenerator(seed: 7)
    _ = a.next()
    var b = SeededGenerator(state: a.state)
    #expect(a.next() == b.next())
  }

  @Test func gaussianMomentsAreCloseToStandardNormal() {
    var rng = testGenerator(5)
    let n = 200_000
    let x: [Double] = Gaussian.sample(n, standardDeviation: 2, using: &rng)
    let mean = x.reduce(0, +) / Double(n)
    let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
    // Standard errors: 2/√n ≈ 0.0045 for the mean, 4·√(2/n) ≈ 0.0126 for the variance.
    #expect(abs(mean) < 0.02)
    #expect(abs(variance - 4) < 0.06)
  }

  @Test func haarOrthogonalMatrixIsOrthogonal() throws {
    var rng = testGenerator(6)
    let q: Matrix<Double> = try Gaussian.orthogonalMatrix(6, using: &rng)
    #expect(relativeError(q.multiplied(by: q, transposingSelf: true), .identity(6)) < 1e-13)
  }
}
