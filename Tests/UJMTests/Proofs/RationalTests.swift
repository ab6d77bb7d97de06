import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

@Suite("Exact rationals are reduced fractions with field arithmetic")
struct RationalTests {
  @Test func fractionsAreReducedWithSignInNumerator() {
    let x = Rational(6, -4)
    #expect(x.numerator == -3)
    #expect(x.denominator == 2)
    #expect(Rational(0, -7) == .zero)
    #expect(Rational(0, -7).denominator == 1)
    #expect(Rational(10, 5).isInteger)
    #expect(Set([Rational(1, 2), Rational(2, 4), Rational(-3, -6)]).count == 1)
  }

  @Test func fieldAxiomsHoldOnSeededCases() {
    var rng = testGenerator(1)
    for _ in 0..<300 {
      let a = Rational.random(numerators: -50...50, denominators: 1...30, using: &rng)
      let b = Rational.random(numerators: -50...50, denominators: 1...30, using: &rng)
      let c = Rational.random(numerators: -50...50, denominators: 1...30, using: &rng)
      #expect(a + b == b + a)
      #expect((a + b) + c == a + (b + c))
      #expect(a * (b + c) == a * b + a * c)
      #expect(a - a == .zero)
      if !b.isZero { #expect((a / b) * b == a) }
      #expect((a < b) == (a.doubleValue < b.doubleValue) || a == b)
      // Always reduced.
      let s = a * b + c
      #expect(Rational(s.numerator, s.denominator).numerator == s.numerator)
      #expect(s.denominator > 0)
    }
  }

  @Test func doublesConvertExactly() {
    #expect(Rational(0.75) == Rational(3, 4))
    #expect(Rational(-2.5) == Rational(-5, 2))
    #expect(Rational(1e300).doubleValue == 1e300)
    #expect(Rational(Double.leastNonzeroMagnitude).doubleValue == Double.leastNonzeroMagnitude)
    #expect(Rational(1, 3).doubleValue == 1.0 / 3.0)
    let big = Rational(2).power(3000) / (Rational(2).power(3000) * 3)
    #expect(big.doubleValue == 1.0 / 3.0)
  }

  @Test func squareRootsAreExactOrAbsent() {
    #expect(Rational(9, 4).exactSquareRoot() == Rational(3, 2))
    #expect(Rational(2).exactSquareRoot() == nil)
    #expect(Rational(-4).exactSquareRoot() == nil)
    #expect(Rational(5, 4).power(-3) == Rational(64, 125))
  }

  @Test func gaussJordanInverseIsExact() {
    var rng = testGenerator(2)
    for n in 1...5 {
      let a = RationalMatrix.random(
        rows: n, columns: n, numerators: -4...4, denominators: 1...3, using: &rng)
      guard let inverse = a.inverse() else { continue }
      #expect(a * inverse == RationalMatrix.identity(n))
      #expect(inverse * a == RationalMatrix.identity(n))
    }
    let singular = RationalMatrix(rowMajor: [[1, 2], [2, 4]])
    #expect(singular.inverse() == nil)
  }

  @Test func cayleyTransformsAreRationalRotations() throws {
    var rng = testGenerator(3)
    for n in [2, 3, 5] {
      let q = RationalMatrix.randomRotation(n, using: &rng)
      #expect(q.transposed * q == RationalMatrix.identity(n))
      #expect(try q.doubleMatrix.determinant() > 0.999_999)
      #expect(q.entries.contains { !$0.isInteger })
    }
  }

  @Test func determinantMatchesAKnownValue() throws {
    let a = Matrix<Double>(rowMajor: [[0, 2, 1], [1, 1, 0], [3, 0, 1]])
    // det = 0·(1·1−0·0) − 2·(1·1−0·3) + 1·(1·0−1·3) = −5
    #expect(abs(try a.determinant() + 5) < 1e-12)
    #expect(try a.determinantSign() == -1)
    #expect(try Matrix<Double>(rowMajor: [[1, 2], [2, 4]]).determinantSign() == 0)
  }
}
