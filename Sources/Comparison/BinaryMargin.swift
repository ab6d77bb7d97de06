// Goals, in order of priority: the margin z(x) of a binary network and its gradient with respect
// to the last representation, exactly as the evaluation-mode forward pass computes them.

import Empirical
import LinearAlgebra

extension EvaluationNetwork {
  /// The margin z(x) = logit₁(x) − logit₀(x) of a binary network (class index 1 is the second
  /// listed class; y = +1 for it, −1 for the first).
  ///
  /// Paper: the UJM's logit y·wᵀ(h_{L+1}) (Definition 3.2, appendix B) is the margin of a
  /// two-class network expanded around a point on its decision boundary, where z = 0.
  public func margin(_ x: [Double]) -> Double {
    precondition(classCount == 2, "the margin is defined for two classes (got \(classCount))")
    let logits = forward(batch: Matrix(rows: x.count, columns: 1, storage: x))
    return logits[1, 0] - logits[0, 0]
  }

  /// z for every column of `inputs` (n₀×b), in one batched forward pass.
  public func margins(_ inputs: Matrix<Double>) -> [Double] {
    precondition(classCount == 2, "the margin is defined for two classes (got \(classCount))")
    let logits = forward(batch: inputs)
    return (0..<inputs.columns).map { logits[1, $0] - logits[0, $0] }
  }

  /// The classifier Jacobian w = ∂z/∂h_{L+1} at the last representation h = h_{L+1}:
  ///
  ///     z = (c₁ − c₀)ᵀ·ReLU(s_f∘h + t_f) + b₁ − b₀
  ///     w_k = (c₁ − c₀)_k · s_f,k · 1[s_f,k·h_k + t_f,k > 0]
  ///
  /// with c₀, c₁ the rows of W_c and (s_f, t_f) BN_f in evaluation mode; ReLU'(0) = 0, as in
  /// `ResidualBranch.jacobian(at:)` and PyTorch. Paper: the UJM's w (Definition 3.2), which
  /// Theorem 3.3 puts at w = y·t*·u with u ∝ Δx.
  public func classifierJacobian(at h: [Double]) -> [Double] {
    precondition(classCount == 2, "the margin is defined for two classes (got \(classCount))")
    precondition(h.count == width, "h has \(h.count) entries, expected \(width)")
    return (0..<width).map { k in
      let active = finalScale[k] * h[k] + finalShift[k] > 0
      return active ? (classifier[1, k] - classifier[0, k]) * finalScale[k] : 0
    }
  }
}
