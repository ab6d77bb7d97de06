/// Seeded random rationals for the exact proof checks: small numerators and denominators, so
/// that exact products stay cheap while the matrices are generic (non-commuting, full rank).
enum ExactSampling {
  /// A vector with entries p/q, |p| ≤ 5, 1 ≤ q ≤ 4.
  static func vector<G: RandomNumberGenerator>(_ n: Int, using generator: inout G) -> [Rational] {
    (0..<n).map { _ in Rational.random(numerators: -5...5, denominators: 1...4, using: &generator) }
  }

  /// A square matrix with entries p/q, |p| ≤ 3, 1 ≤ q ≤ 4.
  static func matrix<G: RandomNumberGenerator>(_ n: Int, using generator: inout G)
    -> RationalMatrix
  {
    RationalMatrix.random(
      rows: n, columns: n, numerators: -3...3, denominators: 1...4, using: &generator)
  }

  /// A non-negative value p/q, 0 ≤ p ≤ 6, 1 ≤ q ≤ 4.
  static func nonNegative<G: RandomNumberGenerator>(using generator: inout G) -> Rational {
    Rational.random(numerators: 0...6, denominators: 1...4, using: &generator)
  }

  /// A positive value p/q, 1 ≤ p ≤ 6, 1 ≤ q ≤ 4.
  static func positive<G: RandomNumberGenerator>(using generator: inout G) -> Rational {
    Rational.random(numerators: 1...6, denominators: 1...4, using: &generator)
  }
}
