/// Theorem 3.1 end to end: (RA2) + (RA3) + (RA4) ⇒ (RA1), in exact arithmetic.
///
/// Appendix A: with exact linearisations h_{i+1} = (I + J_i)h_i and J_i = U₀S_iU₀ᵀ,
/// S_i = diag(1/i, 0, …, 0), the representations are
///   h_k = (k − 1)·uuᵀh₁ + h₁     (u the first column of U₀),
/// equispaced on a line. The check runs the residual stream in rationals from a rational
/// rotation U₀ (a Cayley transform) and a random rational h₁ and compares every h_k with the
/// formula and every step h_{k+1} − h_k with the first one.
///
/// Caveat shown by the check: singular values 1/(i + a) for any a > −1 also give equispaced
/// points on the line, with spacing 1/(1 + a); RA4's exact constant is not needed.
public enum RAImpliesRA1Check {
  public static let name = "thm3.1.implication"
  static let step = "RA2+RA3+RA4 ⇒ h_k = (k−1)uuᵀh₁ + h₁"
  /// The dimensions D of the streams.
  public static let dimensions = [2, 3, 5, 8]

  /// Which residual blocks the stream is built from.
  public enum Blocks: Sendable, Equatable {
    /// J_i = U₀ diag(1/(i + a), 0, …)U₀ᵀ; a = 0 is the paper's (RA4). The claim checked is
    /// h_k = (k − 1)/(1 + a)·uuᵀh₁ + h₁.
    case aligned(shift: Rational)
    /// A different rotation U_i per block (no RA2).
    case rotationPerBlock
    /// S_i = diag(1/i, 1/(2i), 0, …): rank two with unequal schedules (no RA3).
    case rankTwo
    /// S_i = diag(2/i, 0, …): not RA4's values (not equispaced).
    case doubled

    var label: String {
      switch self {
      case .aligned(let a):
        if a.isZero { return "s_i = 1/i" }
        return a < .zero ? "s_i = 1/(i − \(-a))" : "s_i = 1/(i + \(a))"
      case .rotationPerBlock: return "own U_i per block"
      case .rankTwo: return "S_i = diag(1/i, 1/(2i))"
      case .doubled: return "s_i = 2/i"
      }
    }
  }

  /// Runs `repeats` streams of depth `depth` for each D in `dimensions` and checks the claim at
  /// every k ≤ depth. A stream counts as one failed case at its first mismatch.
  public static func verify<G: RandomNumberGenerator>(
    depth: Int, repeats: Int = 1, blocks: Blocks = .aligned(shift: .zero),
    dimensions: [Int] = dimensions, using generator: inout G
  ) -> ProofCheck {
    var failures = 0
    var cases = 0
    var firstFailure: String?
    for d in dimensions {
      for _ in 0..<repeats {
        cases += 1
        if let k = firstMismatch(d: d, depth: depth, blocks: blocks, using: &generator) {
          failures += 1
          if firstFailure == nil { firstFailure = "D = \(d) fails at k = \(k)" }
        }
      }
    }
    let spacing: Rational
    if case .aligned(let a) = blocks { spacing = (1 + a).reciprocal } else { spacing = .one }
    let note =
      "\(blocks.label), D ∈ \(setLabel(dimensions)), k ≤ \(depth): "
      + (firstFailure ?? "equispaced on the line, spacing \(spacing)·uuᵀh₁")
    return .exact(
      name: name, theorem: "3.1", step: step, cases: cases, failures: failures, note: note)
  }

  /// The first k at which h_k differs from h₁ + (k − 1)/(1 + a)·uuᵀh₁ or the step h_k − h_{k−1}
  /// differs from h₂ − h₁; nil when none does up to `depth`.
  static func firstMismatch<G: RandomNumberGenerator>(
    d: Int, depth: Int, blocks: Blocks, using generator: inout G
  ) -> Int? {
    let u0 = RationalMatrix.randomRotation(d, using: &generator)
    let h1 = (0..<d).map { _ in
      Rational.random(numerators: -9...9, denominators: 1...5, using: &generator)
    }
    let u = u0.column(0)
    let projection = u.scaled(by: u.dot(h1))  // uuᵀh₁
    var spacing = Rational.one
    if case .aligned(let a) = blocks { spacing = (1 + a).reciprocal }
    var h = h1
    var firstStep: [Rational]?
    for k in 2...max(2, depth) where depth >= 2 {
      let i = k - 1
      // Block i: h ← h + U_i S_i U_iᵀ h, applied through the non-zero singular values only.
      let rotation =
        blocks == .rotationPerBlock && i > 1
        ? RationalMatrix.randomRotation(d, using: &generator) : u0
      var next = h
      for (j, s) in singularValues(block: i, blocks: blocks).enumerated() where !s.isZero {
        let uj = rotation.column(j)
        next = next.adding(uj.scaled(by: s * uj.dot(h)))
      }
      let stepVector = next.subtracting(h)
      h = next
      let claimed = h1.adding(projection.scaled(by: Rational(k - 1) * spacing))
      if h != claimed { return k }
      if let first = firstStep {
        if stepVector != first { return k }
      } else {
        firstStep = stepVector
      }
    }
    return nil
  }

  static func setLabel(_ values: [Int]) -> String {
    "{" + values.map(String.init).joined(separator: ", ") + "}"
  }

  /// The non-zero leading diagonal of S_i.
  static func singularValues(block i: Int, blocks: Blocks) -> [Rational] {
    switch blocks {
    case .aligned(let a): return [(Rational(i) + a).reciprocal]
    case .rotationPerBlock: return [Rational(1, i)]
    case .rankTwo: return [Rational(1, i), Rational(1, 2 * i)]
    case .doubled: return [Rational(2, i)]
    }
  }
}
