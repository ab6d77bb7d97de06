// Goals, in order of priority: the fully-connected conformer of `ComparableResidualNetwork` — the
// two-class view, the margin's gradient with respect to the last representation exactly as the
// evaluation-mode forward pass computes it, and the exact ‖J_i‖_F of the compressed Jacobian.

import Empirical
import LinearAlgebra

extension EvaluationNetwork: ComparableResidualNetwork {
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

  /// The two-class view of a C-class network for the classes `negative` (y = −1) and
  /// `positive` (y = +1), indices into the logits: the same network with the classifier rows and
  /// biases of those two classes only, so that its margin is z = logit[positive] −
  /// logit[negative] and w = ∂z/∂h_{L+1} is that margin's gradient.
  ///
  /// Paper: the UJM is binary (Definition 3.2); on a C-class network it describes one pair of
  /// classes, whose boundary z = 0 may lie where a third class wins (`dominantOtherClass`).
  public func binary(negative: Int, positive: Int) -> EvaluationNetwork {
    precondition(
      negative != positive && (0..<classCount).contains(negative)
        && (0..<classCount).contains(positive), "two different classes of \(classCount)")
    var rows = Matrix<Double>(rows: 2, columns: width)
    for k in 0..<width {
      rows[0, k] = classifier[negative, k]
      rows[1, k] = classifier[positive, k]
    }
    var out = self
    out.classifier = rows
    out.classifierBias = [classifierBias[negative], classifierBias[positive]]
    return out
  }

  /// ‖J‖_F exact: the Frobenius norm of J's nonzero columns (`ResidualJacobian.compressed`).
  public func frobeniusNorm<G: RandomNumberGenerator>(
    of jacobian: ResidualJacobian, triplets: SingularValueDecomposition<Double>,
    using generator: inout G
  ) -> FrobeniusNorm {
    FrobeniusNorm(exact: jacobian.compressed.frobeniusNorm)
  }
}
