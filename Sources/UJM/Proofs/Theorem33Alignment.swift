/// Theorem 3.3, step 4: at the aligned point the Miranda–Thompson bound is attained term by
/// term, y·tr{Δx wᵀ∏_{i∈s}J_i} = tr{S_{L+1}∏_{i∈s}S_i}, and the terms sum to
/// tr{S_{L+1}∏(I + S_i)}.
///
/// Appendix B: "the inequality becomes equality once the singular vectors of all the Jacobians
/// align with those of Δx wᵀ and once the vector w is chosen to be proportional to Δx".
/// Checked exactly with rational orthogonal bases (Cayley transforms), w = c·y·Δx with c > 0,
/// and S_{L+1} = diag(‖Δx‖‖w‖, 0, …) computed as the exact square root of ‖Δx‖²‖w‖².
public enum AlignmentAttainsBoundCheck {
  public static let name = "thm3.3.alignment"
  static let step = "aligned J_i, w ∝ yΔx ⇒ equality term by term"

  /// Which point is checked.
  public enum Variant: Sendable {
    /// w = c·y·Δx with c > 0 and every J_i = Q S_i Qᵀ (the premise).
    case aligned
    /// w = c·y·Δx with c < 0 (a counterexample).
    case negativeMultiple
    /// J₁ with its own basis Q'S₁Q'ᵀ, q'₁ ≠ ±q₁ and s_{1,1} strictly largest (a counterexample).
    case ownBasis

    var label: String {
      switch self {
      case .aligned: return "aligned, c > 0"
      case .negativeMultiple: return "w = c·y·Δx with c < 0"
      case .ownBasis: return "J₁ with its own basis"
      }
    }
  }

  /// Checks every subset term and the sum on `cases` random aligned points, D = 2…4, L = 1…4,
  /// y = ±1.
  public static func verify<G: RandomNumberGenerator>(
    cases: Int, variant: Variant = .aligned, using generator: inout G
  ) -> ProofCheck {
    var failures = 0
    var terms = 0
    for c in 0..<cases {
      let d = 2 + c % 3
      let l = 1 + (c / 3) % 4
      let y = c % 2 == 0 ? 1 : -1
      var point = AlignedPoint.random(d: d, l: l, y: y, using: &generator)
      switch variant {
      case .aligned: break
      case .negativeMultiple: point.w = point.w.scaled(by: -1)
      case .ownBasis:
        // A genuinely misaligned J₁: a strictly largest s_{1,1} and a top singular vector q'₁
        // other than ±q₁ (the small Cayley draws in D = 2 can repeat Q, so redraw then).
        let q1 = point.q.column(0)
        var other = RationalMatrix.randomRotation(d, using: &generator)
        while other.column(0) == q1 || other.column(0) == q1.scaled(by: -1) {
          other = RationalMatrix.randomRotation(d, using: &generator)
        }
        point.singularValues[0][0] += 1
        point.jacobians[0] =
          other * RationalMatrix.diagonal(point.singularValues[0]) * other.transposed
      }
      // S_{L+1}: the one singular value of the rank-one Δx wᵀ.
      let normProduct = point.dx.dot(point.dx) * point.w.dot(point.w)
      guard let top = normProduct.exactSquareRoot() else {
        preconditionFailure("‖Δx‖‖w‖ is rational by construction")
      }
      let outer = RationalMatrix.outer(point.dx, point.w)
      var ok = true
      var sum = Rational.zero
      // Walk the subsets, carrying ∏_{i∈s}J_i and ∏_{i∈s}s_{i,1}.
      func walk(_ i: Int, _ product: RationalMatrix, _ diagonalProduct: Rational) {
        if i == l {
          let term = point.y * (outer * product).trace
          terms += 1
          if term != top * diagonalProduct { ok = false }
          sum += term
          return
        }
        walk(i + 1, product, diagonalProduct)
        walk(
          i + 1, point.jacobians[i] * product, diagonalProduct * point.singularValues[i][0])
      }
      walk(0, RationalMatrix.identity(d), .one)
      let bound = top * point.singularValues.map { 1 + $0[0] }.product()  // tr{S_{L+1}∏(I+S_i)}
      if sum != bound { ok = false }
      if !ok { failures += 1 }
    }
    return .exact(
      name: name, theorem: "3.3", step: step, cases: cases, failures: failures,
      note: "\(variant.label), D = 2…4, L = 1…4, y = ±1, \(terms) subset terms")
  }
}
