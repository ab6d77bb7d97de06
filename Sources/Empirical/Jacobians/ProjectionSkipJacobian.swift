// Goals, in order of priority: the skip Jacobian S = ∂(skip)/∂h of a downsampling convolutional
// block exactly as the network evaluates its projection shortcut (evaluation mode, Float64),
// matrix-free, with its adjoint; so that a perturbation can be propagated through a block that
// changes the representation's size as (S + J)·δ and a gradient as (S + J)ᵀ·g.

import LinearAlgebra

/// The skip Jacobian of a downsampling pre-activation block at h, matrix-free:
///
///     S·v = conv_s(d1 ∘ v),      Sᵀ·u = d1 ∘ conv_sᵀ(u),
///
/// where the projection shortcut conv_s (1×1, stride 2) reads the block's first activation
/// ReLU(s1∘h + t1) (BatchNorm bn1 in evaluation mode) and d1 = ReLU'(s1∘h + t1)∘s1 per pixel and
/// channel (ReLU'(0) = 0 as in PyTorch). The block's Jacobian is S + J with J its Residual
/// Jacobian (`ConvolutionalResidualJacobian`); S is not the identity, so the UJM's I + J_i does
/// not describe the block.
///
/// Paper: the Residual Jacobian J_i = ∂F_i/∂h (section 1) is the branch alone; this is the other
/// term of ∂h_{i+1}/∂h_i for Type 3's block 9. Vectors are NHWC images flattened.
public struct ProjectionSkipJacobian: BlockLinearOperator, @unchecked Sendable {
  public typealias Scalar = Double
  let shortcut: Convolution<Double>
  /// d1 (C_in·S_in²).
  let inner: [Double]
  let inSide: Int
  let outSide: Int

  /// S of `block` (Float64, with a shortcut) at its input h (NHWC, C_in·S²).
  public init(block: ConvolutionalBlock<Double>, side: Int, at h: [Double]) {
    precondition(block.shortcut != nil, "the block has no projection shortcut")
    let cin = block.inChannels
    precondition(h.count == cin * side * side, "h has \(h.count) entries, expected C·S²")
    shortcut = block.shortcut!
    inSide = side
    outSide = block.shortcut!.outputSide(side)
    let (s1, t1) = evaluationAffine(block.bn1)
    inner = h.indices.map { k in s1[k % cin] * h[k] + t1[k % cin] > 0 ? s1[k % cin] : 0 }
  }

  /// C_out·S_out².
  public var rows: Int { shortcut.outChannels * outSide * outSide }
  /// C_in·S_in².
  public var columns: Int { inner.count }

  /// S·X: the b columns of X as b images through d1 and the shortcut.
  public func apply(_ x: Matrix<Double>) -> Matrix<Double> {
    precondition(x.rows == columns, "block has \(x.rows) rows, expected \(columns)")
    let b = x.columns
    let out = shortcut.applied(
      to: scaledImages(x.storage, by: inner), side: inSide, images: b,
      scratch: lowering(images: b))
    return Matrix(rows: rows, columns: b, storage: out)
  }

  /// Sᵀ·X: the shortcut's adjoint, then d1.
  public func applyTransposed(_ x: Matrix<Double>) -> Matrix<Double> {
    precondition(x.rows == rows, "block has \(x.rows) rows, expected \(rows)")
    let b = x.columns
    let out = shortcut.adjointApplied(
      to: x.storage, side: inSide, images: b, scratch: lowering(images: b))
    return Matrix(rows: columns, columns: b, storage: scaledImages(out, by: inner))
  }

  /// Patches of the shortcut on `images` images.
  private func lowering(images: Int) -> LoweringScratch<Double> {
    LoweringScratch(
      capacity: LoweringScratch.capacity(for: [shortcut], sides: [inSide], images: images))
  }
}
