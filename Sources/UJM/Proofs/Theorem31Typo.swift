/// What appendix A's "S_{i,1} = 1/4" gives instead of 1/i: spacings that grow by 5/4 per block.
///
/// Appendix A writes S_{i,1} = 1/4 but the product that follows, ∏(1 + 1/i) = k, needs 1/i.
/// With a constant 1/4, h_k = (5/4)^{k−1}·uuᵀh₁ + (I − uuᵀ)h₁, so the steps
/// d_k = h_{k+1} − h_k = (1/4)(5/4)^{k−1}·uuᵀh₁ grow geometrically: points on a line but not
/// equispaced (exponential spacing, as the paper itself observes near the decision boundary).
///
/// The check passes when the typo's consequence is reproduced exactly: d_{k+1} = ρ·d_k with the
/// claimed ratio ρ = 5/4 for every k, and h_k equals the closed form. Its counterexample is the
/// claim ρ = 1 (equal spacing).
public enum AppendixTypoCheck {
  public static let name = "thm3.1.typo"
  static let step = "S_{i,1} = 1/4 gives steps ×5/4"
  public static let dimensions = [2, 3, 5]

  /// Runs a stream of depth `depth` with S_i = diag(1/4, 0, …) for each D and checks the
  /// closed form and d_{k+1} = `ratio`·d_k at every k.
  public static func verify<G: RandomNumberGenerator>(
    depth: Int, ratio: Rational = Rational(5, 4), using generator: inout G
  ) -> ProofCheck {
    let quarter = Rational(1, 4)
    var failures = 0
    var firstFailure: String?
    for d in dimensions {
      let u0 = RationalMatrix.randomRotation(d, using: &generator)
      let u = u0.column(0)
      let h1 = (0..<d).map { _ in
        Rational.random(numerators: -9...9, denominators: 1...5, using: &generator)
      }
      let projection = u.scaled(by: u.dot(h1))
      let orthogonal = h1.subtracting(projection)
      var h = h1
      var previousStep: [Rational]?
      var growth = Rational.one
      var failedAt: Int?
      for k in 2...max(2, depth) where depth >= 2 {
        let next = h.adding(u.scaled(by: quarter * u.dot(h)))
        let step = next.subtracting(h)
        h = next
        growth *= 1 + quarter
        if h != orthogonal.adding(projection.scaled(by: growth)) {
          failedAt = k
          break
        }
        if let p = previousStep, step != p.scaled(by: ratio) {
          failedAt = k
          break
        }
        previousStep = step
      }
      if let k = failedAt {
        failures += 1
        if firstFailure == nil { firstFailure = "D = \(d) fails at k = \(k)" }
      }
    }
    let note =
      "S_{i,1} = 1/4, claimed step ratio \(ratio), "
      + "D ∈ \(RAImpliesRA1Check.setLabel(dimensions)), k ≤ \(depth): "
      + (firstFailure ?? "h_k = (5/4)^{k−1}uuᵀh₁ + (I−uuᵀ)h₁, steps grow ×\(ratio)")
    return .exact(
      name: name, theorem: "3.1", step: step, cases: dimensions.count, failures: failures,
      note: note)
  }
}
