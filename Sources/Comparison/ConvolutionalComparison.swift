// Goals, in order of priority: the convolutional conformer of `ComparableResidualNetwork` — the
// two-class view, w = ∂z/∂h_{L+1} through BN_f, the ReLU mask and the global average pool
// exactly as the evaluation-mode forward pass computes z, ‖J_i‖_F estimated matrix-free (the
// 16,384 × 16,384 Jacobian is never formed), and Jacobians kept without their work space.

import Empirical
import LinearAlgebra

extension ConvolutionalEvaluationNetwork: ComparableResidualNetwork {
  public var skips: Bool { model.skips }

  /// The two-class view: the classifier rows and biases of `negative` (y = −1) and `positive`
  /// (y = +1) only, so that the margin is z = logit[positive] − logit[negative].
  public func binary(negative: Int, positive: Int) -> ConvolutionalEvaluationNetwork {
    precondition(
      negative != positive && (0..<classCount).contains(negative)
        && (0..<classCount).contains(positive), "two different classes of \(classCount)")
    var m = model
    let channels = model.cls.columns
    var rows = Matrix<Double>(rows: 2, columns: channels)
    for k in 0..<channels {
      rows[0, k] = model.cls[negative, k]
      rows[1, k] = model.cls[positive, k]
    }
    m.cls = rows
    m.clsBias = [model.clsBias[negative], model.clsBias[positive]]
    return ConvolutionalEvaluationNetwork(m)
  }

  /// w = ∂z/∂h_{L+1} at h = h_{L+1} (NHWC: entry q·C + k is channel k of pixel q):
  ///
  ///     z = (c₁ − c₀)ᵀ·(1/S²)·Σ_q ReLU(s_f∘h_q + t_f) + b₁ − b₀
  ///     w_{q,k} = (c₁ − c₀)_k · s_f,k · 1[s_f,k·h_{q,k} + t_f,k > 0] / S²
  ///
  /// with (s_f, t_f) BN_f in evaluation mode per channel; ReLU'(0) = 0, as in PyTorch.
  /// Paper: the UJM's w (Definition 3.2).
  public func classifierJacobian(at h: [Double]) -> [Double] {
    precondition(classCount == 2, "the margin is defined for two classes (got \(classCount))")
    let channels = model.cls.columns
    precondition(h.count == representationSize(at: depth + 1), "h is not h_{L+1}")
    let (s, t) = evaluationAffine(model.bnf)
    let pixels = Double(h.count / channels)
    return h.indices.map { index in
      let k = index % channels
      let active = s[k] * h[index] + t[k] > 0
      return active ? (model.cls[1, k] - model.cls[0, k]) * s[k] / pixels : 0
    }
  }

  /// ‖J‖_F estimated matrix-free (`FrobeniusNorm.estimate`, deflated by the triplets' V).
  public func frobeniusNorm<G: RandomNumberGenerator>(
    of jacobian: ConvolutionalResidualJacobian, triplets: SingularValueDecomposition<Double>,
    using generator: inout G
  ) throws(LAPACKError) -> FrobeniusNorm {
    try FrobeniusNorm.estimate(jacobian, rightVectors: triplets.v, using: &generator)
  }

  /// A fresh operator at the same point: the same products, without the patches the SVD's
  /// block products left behind (megabytes per Jacobian, for every block of every pair).
  public func keptJacobian(_ jacobian: ConvolutionalResidualJacobian, block: Int, at h: [Double])
    -> ConvolutionalResidualJacobian
  {
    residualJacobian(block: block, at: h)
  }

  /// The projection shortcut's Jacobian at h (`ProjectionSkipJacobian`) for a downsampling
  /// block; nil for an identity skip.
  public func skipJacobian(block: Int, at h: [Double]) -> (any LinearOperator<Double> & Sendable)? {
    guard model.blocks[block].shortcut != nil else { return nil }
    return ProjectionSkipJacobian(
      block: model.blocks[block], side: model.representationShapes[block].side, at: h)
  }
}
