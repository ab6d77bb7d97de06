// Goals, in order of priority: one seam between the measurements (RA1–RA4, Neural Collapse) and
// the networks they measure, so that a Jacobian's origin (a fully-connected or a convolutional
// block) is invisible to them; each network keeps its own fast path for the singular triplets
// (compressed dense Jacobians for the fully-connected blocks, matrix-free products for the
// convolutional ones).

import LinearAlgebra

/// A residual network whose Residual Jacobians we measure, in evaluation mode and in Float64.
///
/// Paper: section 1, h_{i+1} = h_i + F_i(h_i) (h_{i+1} = F_i(h_i) without skips), i = 1…L; the
/// Residual Jacobian J_i = ∂F_i/∂h at h_i, whose singular values and vectors RA2–RA4 are about.
/// A representation h_i is a vector of `representationSize(at: i)` numbers (D = 512 for Type 1,
/// D = 64·16·16 = 16,384 for Type 2: footnote 2). Layers are numbered as in the figures:
/// 1…L+1 for h₁…h_{L+1}, L+2 for the classifier's input.
public protocol MeasurableResidualNetwork: Sendable {
  /// The operator J_i (usually matrix-free for convolutional blocks).
  associatedtype Jacobian: LinearOperator<Double>

  /// L, the number of residual blocks.
  var depth: Int { get }
  /// C, the number of classes.
  var classCount: Int { get }
  /// n₀, the size of one input (one column of `forward(batch:visit:)`'s argument).
  var inputSize: Int { get }
  /// The dimension of layer `layer` (1…L+2): of h_layer for layer ≤ L+1, of the classifier's
  /// input for L+2.
  func representationSize(at layer: Int) -> Int
  /// W_c (C × size of layer L+2), the classifier that NC2 and NC3 compare with the class means.
  var classifierWeights: Matrix<Double> { get }

  /// Runs a batch (the columns of `x`, n₀×b) through the network in evaluation mode, calling
  /// `visit(i, H_i)` with the representations of layer i (one column per input) for
  /// i = 1…L+2 in order; returns the C×b logits.
  @discardableResult
  func forward(batch x: Matrix<Double>, visit: (Int, Matrix<Double>) -> Void) -> Matrix<Double>

  /// The same evaluation-mode forward pass in Float32 (the checkpoint's own precision, on
  /// sgemm), for the streaming passes of Neural Collapse: call the result once per batch. The
  /// default runs the Float64 pass and rounds (correct, not faster).
  func singlePrecisionForward() -> SinglePrecisionForward

  /// J_i = ∂F_i/∂h at h = h_i of one input (`block` is i − 1, 0-based; `h` the block's input).
  func residualJacobian(block: Int, at h: [Double]) -> Jacobian

  /// The top `rank` singular triplets of `jacobian` (Algorithm 971 with T = `powerIterations`,
  /// the paper's 20 by default, or the network's cheaper exact path); vectors of length rows
  /// (U) and columns (V).
  func topSingularTriplets<G: RandomNumberGenerator>(
    of jacobian: Jacobian, rank: Int, powerIterations: Int, using generator: inout G
  ) throws(LAPACKError) -> RandomizedSVDResult<Double>
}

/// A forward pass in Float32: `forward(x, visit)` runs the batch x (n₀×b) through the network
/// in evaluation mode, calls `visit(i, H_i)` for i = 1…L+2, and returns the C×b logits.
public typealias SinglePrecisionForward =
  (Matrix<Float>, (Int, Matrix<Float>) -> Void) -> Matrix<Float>

extension MeasurableResidualNetwork {
  public func singlePrecisionForward() -> SinglePrecisionForward {
    { x, visit in
      forward(batch: x.converted(to: Double.self)) { visit($0, $1.converted(to: Float.self)) }
        .converted(to: Float.self)
    }
  }

  /// Algorithm 971 on the operator itself (products only), without the error estimate.
  public func topSingularTriplets<G: RandomNumberGenerator>(
    of jacobian: Jacobian, rank: Int, powerIterations: Int, using generator: inout G
  ) throws(LAPACKError) -> RandomizedSVDResult<Double> {
    try RandomizedSVD.svd(
      of: jacobian, rank: rank, powerIterations: powerIterations, errorEstimateIterations: 0,
      using: &generator)
  }

  /// h₁, …, h_{L+1} for one input x.
  public func trajectory(_ x: [Double]) -> [[Double]] {
    var points = [[Double]]()
    forward(batch: Matrix(rows: x.count, columns: 1, storage: x)) { layer, h in
      if layer <= depth + 1 { points.append(h.storage) }
    }
    return points
  }

  /// The predicted class (argmax of the logits) of each column.
  public static func predictions(_ logits: Matrix<Double>) -> [Int] {
    EvaluationNetwork.predictions(logits)
  }
}

/// The one conversion of a trained BatchNorm layer to its evaluation-mode affine map, in Float64
/// from the stored (Float32) statistics: s = γ/√(v + ε), t = β − m∘s, with PyTorch's ε = 1e-5
/// (`BatchNorm.epsilon`). Used by every evaluation-mode network and Jacobian, fully-connected
/// (BatchNorm1d) and convolutional (BatchNorm2d: one s, t per channel).
public func evaluationAffine<Scalar: BLASScalar>(_ bn: BatchNorm<Scalar>)
  -> (scale: [Double], shift: [Double])
{
  let epsilon = Double(BatchNorm<Double>.epsilon)
  var scale = [Double](repeating: 0, count: bn.features)
  var shift = [Double](repeating: 0, count: bn.features)
  for k in 0..<bn.features {
    scale[k] = Double(bn.weight[k]) / (Double(bn.runningVariance[k]) + epsilon).squareRoot()
    shift[k] = Double(bn.bias[k]) - Double(bn.runningMean[k]) * scale[k]
  }
  return (scale, shift)
}
