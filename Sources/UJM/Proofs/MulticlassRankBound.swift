/// Beyond the paper: stationarity of the multi-class UJM implies rank Jᵢ ≤ C − 1 and 1ᵀW = 0.
///
/// The model is `MulticlassUnconstrainedJacobiansModel` (Definition 3.2 of Li & Papyan 2023 with
/// N inputs and C classes). Its gradient is ∂F/∂Jᵢ = BᵢAᵢ₋₁ᵀ + λJᵢ, ∂F/∂W = G·A_Lᵀ + λW with
/// Aᵢ = (I+Jᵢ)⋯(I+J₁)X, B_L = WᵀG, Bᵢ₋₁ = (I+Jᵢ)ᵀBᵢ and G the per-example loss gradients. So a
/// stationary point satisfies λJᵢ = −BᵢAᵢ₋₁ᵀ and λW = −G·A_Lᵀ. For the cross-entropy each column
/// of G is softmax(z) − e_y, whose entries sum to zero; then
///
///   (a) 1ᵀ(G·A_Lᵀ) = (1ᵀG)·A_Lᵀ = 0, hence 1ᵀW = 0;
///   (b) BᵢAᵢ₋₁ᵀ = (I+J_{i+1})ᵀ⋯(I+J_L)ᵀ·Wᵀ·G·Aᵢ₋₁ᵀ has rank ≤ rank G ≤ C − 1, hence
///       rank Jᵢ ≤ C − 1.
///
/// The check builds, for random rational X, labels, J₁…J_L and W, a G whose columns are a
/// probability vector minus a one-hot vector (the softmax is transcendental; the argument uses
/// only the column sums), and decides (a) and (b) exactly: a case fails when 1ᵀG·A_Lᵀ ≠ 0 or some
/// BᵢAᵢ₋₁ᵀ has rank ≥ C. Its counterexample is the squared error to one-hot targets,
/// G = (W·A_L − Y)/N, whose columns do not sum to zero: there both fail, and rank C is reached.
public enum MulticlassRankBoundCheck {
  public static let name = "multiclass.rank-bound"
  static let step = "1ᵀG = 0 ⇒ 1ᵀW = 0 and rank Jᵢ ≤ C−1 at stationarity"

  /// The loss whose per-example gradients form G.
  public enum Loss: Sendable {
    /// Cross-entropy: columns softmax − one-hot (sum zero).
    case crossEntropy
    /// Squared error to one-hot targets: columns z − e_y (the counterexample).
    case squaredError
  }

  /// Checks (a) and (b) on `cases` random rational instances: C = 2…4, D = C…C+1, N = C…C+1,
  /// L = 1…3.
  public static func verify<G: RandomNumberGenerator>(
    cases: Int, loss: Loss = .crossEntropy, using generator: inout G
  ) -> ProofCheck {
    var failures = 0
    var reachedC = 0
    var firstFailure: String? = nil
    for k in 0..<cases {
      let c = 2 + k % 3
      let d = c + (k / 3) % 2
      let n = c + (k / 6) % 2
      let l = 1 + (k / 12) % 3
      let x = RationalMatrix.random(
        rows: d, columns: n, numerators: -3...3, denominators: 1...3, using: &generator)
      let labels = (0..<n).map { e in e < c ? e : Int.random(in: 0..<c, using: &generator) }
      let jacobians = (0..<l).map { _ in ExactSampling.matrix(d, using: &generator) }
      let w = RationalMatrix.random(
        rows: c, columns: d, numerators: -3...3, denominators: 1...3, using: &generator)
      let identity = RationalMatrix.identity(d)
      var forward = [x]
      for j in jacobians { forward.append((identity + j) * forward.last!) }
      var g = RationalMatrix(rows: c, columns: n)
      switch loss {
      case .crossEntropy:
        for col in 0..<n {
          // A random rational probability vector q/Σq, q_r ∈ 1…5, minus e_y.
          let q = (0..<c).map { _ in Int.random(in: 1...5, using: &generator) }
          let total = q.reduce(0, +)
          for row in 0..<c {
            g[row, col] = Rational(q[row], total) - (labels[col] == row ? .one : .zero)
          }
        }
      case .squaredError:
        let z = w * forward[l]
        let scale = Rational(1, n)
        for col in 0..<n {
          for row in 0..<c {
            g[row, col] = scale * (z[row, col] - (labels[col] == row ? .one : .zero))
          }
        }
      }
      var failed = false
      // (a) 1ᵀ(G·A_Lᵀ) = 0.
      let classifierTerm = g * forward[l].transposed
      for col in 0..<d {
        var sum = Rational.zero
        for row in 0..<c { sum += classifierTerm[row, col] }
        if !sum.isZero { failed = true }
      }
      // (b) rank BᵢAᵢ₋₁ᵀ ≤ C − 1.
      var b = w.transposed * g
      var maxRank = 0
      for i in stride(from: l - 1, through: 0, by: -1) {
        let term = b * forward[i].transposed
        maxRank = max(maxRank, term.rank)
        b = (identity + jacobians[i]).transposed * b
      }
      if maxRank > c - 1 { failed = true }
      if maxRank >= c { reachedC += 1 }
      if failed {
        failures += 1
        if firstFailure == nil {
          firstFailure = "first failure: C = \(c), D = \(d), N = \(n), L = \(l), rank \(maxRank)"
        }
      }
    }
    let label =
      loss == .crossEntropy
      ? "cross-entropy G (columns p − e_y, p a random rational probability vector)"
      : "squared error to one-hot targets, G = (W·A_L − Y)/N (columns need not sum to zero)"
    return .exact(
      name: name, theorem: "multiclass", step: step, cases: cases, failures: failures,
      note: "\(label); C = 2…4, D, N = C…C+1, L = 1…3, random rationals; rank C reached in "
        + "\(reachedC) of \(cases)" + (firstFailure.map { "; " + $0 } ?? ""))
  }
}

extension RationalMatrix {
  /// The rank, by Gaussian elimination in exact arithmetic.
  public var rank: Int {
    var m = (0..<rows).map { r in (0..<columns).map { c in self[r, c] } }
    var rank = 0
    var pivotRow = 0
    for col in 0..<columns where pivotRow < rows {
      guard let p = (pivotRow..<rows).first(where: { !m[$0][col].isZero }) else { continue }
      m.swapAt(pivotRow, p)
      let pivot = m[pivotRow][col]
      for r in (pivotRow + 1)..<rows where !m[r][col].isZero {
        let factor = m[r][col] / pivot
        for k in col..<columns { m[r][k] -= factor * m[pivotRow][k] }
      }
      pivotRow += 1
      rank += 1
    }
    return rank
  }
}
