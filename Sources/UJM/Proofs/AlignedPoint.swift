/// An exact point of the Unconstrained Jacobians Model whose Jacobians share their singular
/// vectors with Δx wᵀ (the aligned point of Theorem 3.3's proof), built from a rational rotation
/// Q so that every singular vector is rational.
///
/// Δx = r·q₁, w = c·y·Δx, J_i = Q S_i Qᵀ with S_i diagonal, non-negative and non-increasing;
/// then Δx wᵀ = c·y·r²·q₁q₁ᵀ has the single singular value |c|·r² with singular vectors ±q₁.
struct AlignedPoint {
  var q: RationalMatrix
  var dx: [Rational]
  var w: [Rational]
  var y: Rational
  /// The diagonals of S₁…S_L.
  var singularValues: [[Rational]]
  var jacobians: [RationalMatrix]

  /// A random aligned point with D = `d`, L = `l`, label `y`, w = c·y·Δx.
  static func random<G: RandomNumberGenerator>(
    d: Int, l: Int, y: Int, using generator: inout G
  ) -> AlignedPoint {
    let q = RationalMatrix.randomRotation(d, using: &generator)
    let r = ExactSampling.positive(using: &generator)
    let c = ExactSampling.positive(using: &generator)
    let dx = q.column(0).scaled(by: r)
    let w = dx.scaled(by: c * Rational(y))
    let singularValues = (0..<l).map { _ in
      (0..<d).map { _ in ExactSampling.positive(using: &generator) }.sorted(by: >)
    }
    let jacobians = singularValues.map { s in q * RationalMatrix.diagonal(s) * q.transposed }
    return AlignedPoint(
      q: q, dx: dx, w: w, y: Rational(y), singularValues: singularValues, jacobians: jacobians)
  }

  /// The logit wᵀ(I + J_L)⋯(I + J₁)Δx by the forward pass, exactly.
  static func logit(w: [Rational], jacobians: [RationalMatrix], dx: [Rational]) -> Rational {
    var h = dx
    for j in jacobians { h = h.adding(j * h) }
    return w.dot(h)
  }
}
