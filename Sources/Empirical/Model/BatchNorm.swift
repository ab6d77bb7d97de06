import LinearAlgebra

/// Batch normalisation over features, as PyTorch's `BatchNorm1d` (Ioffe & Szegedy, 2015).
///
/// In training, each feature d of a batch x_{d,1…B} is normalised by the batch mean μ_d and the
/// biased batch variance σ²_d: y = γ_d·(x − μ_d)/√(σ²_d + ε) + β_d, and the running statistics move
/// by `momentum`: m ← (1 − 0.1)·m + 0.1·μ, v ← (1 − 0.1)·v + 0.1·σ²·B/(B − 1) (unbiased). In
/// evaluation the running statistics replace the batch's. ε = 1e-5.
///
/// The paper's blocks (Section 2: pre-activation fully-connected residual networks) apply it
/// before every ReLU.
public struct BatchNorm<Scalar: BLASScalar>: Sendable, Equatable {
  /// γ, the scale (PyTorch's `weight`), initially 1.
  public var weight: [Scalar]
  /// β, the shift (PyTorch's `bias`), initially 0.
  public var bias: [Scalar]
  /// The running mean, initially 0.
  public var runningMean: [Scalar]
  /// The running (unbiased) variance, initially 1.
  public var runningVariance: [Scalar]
  /// Training batches seen (PyTorch's `num_batches_tracked`).
  public var batchesTracked: Int64

  /// ε in the denominator.
  public static var epsilon: Scalar { 1e-5 }
  /// The weight of the newest batch in the running statistics.
  public static var momentum: Scalar { 0.1 }

  /// PyTorch's initial state for `features` features.
  public init(features: Int) {
    weight = Array(repeating: 1, count: features)
    bias = Array(repeating: 0, count: features)
    runningMean = Array(repeating: 0, count: features)
    runningVariance = Array(repeating: 1, count: features)
    batchesTracked = 0
  }

  public init(
    weight: [Scalar], bias: [Scalar], runningMean: [Scalar], runningVariance: [Scalar],
    batchesTracked: Int64
  ) {
    self.weight = weight
    self.bias = bias
    self.runningMean = runningMean
    self.runningVariance = runningVariance
    self.batchesTracked = batchesTracked
  }

  /// The number of features.
  public var features: Int { weight.count }

  /// The affine map of evaluation mode, y = s·x + t, per feature:
  /// s = γ/√(v + ε), t = β − m·s.
  public var evaluationScaleAndShift: (scale: [Scalar], shift: [Scalar]) {
    var scale = weight
    var shift = bias
    for d in weight.indices {
      scale[d] = weight[d] / (runningVariance[d] + Self.epsilon).squareRoot()
      shift[d] = bias[d] - runningMean[d] * scale[d]
    }
    return (scale, shift)
  }
}
