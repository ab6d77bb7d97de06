/// Theorem 3.3, step 2: the product of residual blocks expands over the power set,
/// (I + J_L)⋯(I + J₁) = Σ_{s ∈ P(L)} ∏_{i∈s} J_i, each product ordered (largest index left).
///
/// Appendix B, second display of the proof. The check enumerates all 2^L subsets by a
/// depth-first walk that extends each ordered product by one factor (2^L − 1 exact products),
/// sums them, and compares with the product of the blocks, for L = 1…10.
public enum PowerSetExpansionCheck {
  public static let name = "thm3.3.power-set"
  static let step = "∏(I+J_i) = Σ_{s∈P(L)} ∏_{i∈s} J_i"

  /// How the subset terms are formed.
  public enum Expansion: Sendable {
    /// Every subset, each product ordered J_{i_k}⋯J_{i_1} (the paper's).
    case ordered
    /// The full subset {1…L} left out of the sum (a counterexample).
    case oneTermLeftOut
    /// Every subset, each product taken in the wrong order J_{i_1}⋯J_{i_k} (a counterexample).
    case unordered

    var label: String {
      switch self {
      case .ordered: return "ordered products"
      case .oneTermLeftOut: return "term J_L⋯J₁ left out"
      case .unordered: return "products in increasing order"
      }
    }
  }

  /// Checks the expansion on `cases` random rational J₁…J_L with L = 2, 3, …, 10, 1, 2, …
  /// (L = 1 last, where the order of a product cannot matter) and D = 2 or 3.
  public static func verify<G: RandomNumberGenerator>(
    cases: Int, expansion: Expansion = .ordered, using generator: inout G
  ) -> ProofCheck {
    var failures = 0
    for c in 0..<cases {
      let l = 1 + (c + 1) % 10
      let d = 2 + (c / 10) % 2
      let jacobians = (0..<l).map { _ in ExactSampling.matrix(d, using: &generator) }
      let identity = RationalMatrix.identity(d)
      var product = identity
      for j in jacobians { product = (identity + j) * product }
      let sum = subsetSum(jacobians, dimension: d, expansion: expansion)
      if sum != product { failures += 1 }
    }
    return .exact(
      name: name, theorem: "3.3", step: step, cases: cases, failures: failures,
      note: "\(expansion.label), L = \(cases >= 10 ? "1" : "2")…\(min(cases + 1, 10)), "
        + "D = 2, 3, random rationals")
  }

  /// Σ over subsets of the products of `jacobians`, formed as `expansion` says.
  static func subsetSum(
    _ jacobians: [RationalMatrix], dimension d: Int, expansion: Expansion
  ) -> RationalMatrix {
    var sum = RationalMatrix(rows: d, columns: d)
    let l = jacobians.count
    // Depth-first over i = 0..<L: leave J_i out, or put it in (to the left of the factors
    // already chosen, which have smaller indices).
    func walk(_ i: Int, _ current: RationalMatrix, _ size: Int) {
      if i == l {
        if expansion == .oneTermLeftOut && size == l { return }
        sum = sum + current
        return
      }
      walk(i + 1, current, size)
      let extended = expansion == .unordered ? current * jacobians[i] : jacobians[i] * current
      walk(i + 1, extended, size + 1)
    }
    walk(0, RationalMatrix.identity(d), 0)
    return sum
  }
}
