// Goals, in order of priority: the Residual Jacobian of a convolutional block exactly as the
// network evaluates it (evaluation mode, Float64 from the Float32 weights) without ever forming
// it (16,384 × 16,384 is 2 GB: section 2.4, footnote 2); J·V and Jᵀ·U for a block of vectors
// at once, as a batch of perturbation images through the linearised branch, on dgemm.

import LinearAlgebra

/// The Residual Jacobian J = ∂F/∂h of one convolutional pre-activation block at h, matrix-free:
///
///     J·v = c·conv2(d2 ∘ conv1(d1 ∘ v)),      Jᵀ·u = d1 ∘ conv1ᵀ(d2 ∘ conv2ᵀ(c·u)),
///
/// with d1 = ReLU'(s1∘h + t1)∘s1 and d2 = ReLU'(s2∘conv1(ReLU(s1∘h + t1)) + t2)∘s2 per pixel and
/// channel (BatchNorm's evaluation-mode scale s and shift t per channel; ReLU'(0) = 0 as in
/// PyTorch), c = 1 − p the stochastic-depth scale of the branch. convᵀ is the adjoint of the
/// convolution (the gradient of its input). The skip (identity, or the projection of a
/// downsampling block) is not part of F: for Type 3's block 9, J is 8192 × 16384.
///
/// Paper: the Residual Jacobian J_i = ∂F_i/∂h at h_i (section 1); the randomized SVD needs only
/// these products (section 2.4). Vectors are NHWC images flattened (`ConvolutionalWorkspace`).
/// A product with b vectors costs 2·(C_out·9·C_in·S_out² + C_out·9·C_out·S_out²)·b flops.
public struct ConvolutionalResidualJacobian: BlockLinearOperator, @unchecked Sendable {
  public typealias Scalar = Double
  let conv1: Convolution<Double>
  let conv2: Convolution<Double>
  /// d1 (C_in·S_in²), c·d2 (C_out·S_out²).
  let inner: [Double]
  let outer: [Double]
  /// S_in, S_out.
  let inSide: Int
  let outSide: Int
  /// Patches of one chunk of images; products run one at a time.
  private let scratch: ScratchBox

  final class ScratchBox: @unchecked Sendable {
    var lowering: LoweringScratch<Double>?
    func get(_ convs: [Convolution<Double>], _ sides: [Int], images: Int) -> LoweringScratch<Double>
    {
      let need = LoweringScratch.capacity(for: convs, sides: sides, images: images)
      if let l = lowering, l.buffer.count >= need { return l }
      let l = LoweringScratch<Double>(capacity: need)
      lowering = l
      return l
    }
  }

  /// J of `block` (Float64) at its input h (NHWC, C_in·S²), its branch scaled by `branchScale`.
  public init(block: ConvolutionalBlock<Double>, side: Int, at h: [Double], branchScale: Double = 1)
  {
    let cin = block.inChannels
    precondition(h.count == cin * side * side, "h has \(h.count) entries, expected C·S²")
    conv1 = block.conv1
    conv2 = block.conv2
    inSide = side
    outSide = block.conv1.outputSide(side)
    scratch = ScratchBox()
    let (s1, t1) = evaluationAffine(block.bn1)
    let (s2, t2) = evaluationAffine(block.bn2)
    var d1 = [Double](repeating: 0, count: h.count)
    var a1 = [Double](repeating: 0, count: h.count)
    for k in h.indices {
      let c = k % cin
      let pre = s1[c] * h[k] + t1[c]
      d1[k] = pre > 0 ? s1[c] : 0
      a1[k] = max(pre, 0)
    }
    let cout = block.outChannels
    var z = [Double](repeating: 0, count: cout * outSide * outSide)
    let lowering = scratch.get([conv1], [side], images: 1)
    a1.withUnsafeBufferPointer { x in
      z.withUnsafeMutableBufferPointer { y in
        convolutionForward(
          block.conv1, x.baseAddress!, side: side, images: 1, into: y.baseAddress!,
          scratch: lowering)
      }
    }
    var d2 = z
    for k in z.indices {
      let c = k % cout
      d2[k] = s2[c] * z[k] + t2[c] > 0 ? branchScale * s2[c] : 0
    }
    inner = d1
    outer = d2
  }

  /// C_out·S_out².
  public var rows: Int { outer.count }
  /// C_in·S_in².
  public var columns: Int { inner.count }

  /// J·X: the b columns of X as b images through the linearised branch.
  public func apply(_ x: Matrix<Double>) -> Matrix<Double> {
    precondition(x.rows == columns, "block has \(x.rows) rows, expected \(columns)")
    let b = x.columns
    let lowering = scratch.get([conv1, conv2], [inSide, outSide], images: b)
    let u = scaledImages(x.storage, by: inner)
    let z = scaledImages(
      conv1.applied(to: u, side: inSide, images: b, scratch: lowering), by: outer)
    let out = conv2.applied(to: z, side: outSide, images: b, scratch: lowering)
    return Matrix(rows: rows, columns: b, storage: out)
  }

  /// Jᵀ·X: the adjoints in reverse order.
  public func applyTransposed(_ x: Matrix<Double>) -> Matrix<Double> {
    precondition(x.rows == rows, "block has \(x.rows) rows, expected \(rows)")
    let b = x.columns
    let lowering = scratch.get([conv1, conv2], [inSide, outSide], images: b)
    let z = scaledImages(
      conv2.adjointApplied(to: x.storage, side: outSide, images: b, scratch: lowering),
      by: outer)
    let out = conv1.adjointApplied(to: z, side: inSide, images: b, scratch: lowering)
    return Matrix(rows: columns, columns: b, storage: scaledImages(out, by: inner))
  }

  /// Floating-point operations of one product with `columns` vectors (J·V or Jᵀ·U): the two
  /// convolutions' multiply-adds, 2 per pair.
  public func flops(vectors: Int) -> Double {
    let out2 = Double(outSide * outSide)
    return 2 * Double(vectors) * out2
      * Double(conv1.outChannels * conv1.patchSize + conv2.outChannels * conv2.patchSize)
  }
}
