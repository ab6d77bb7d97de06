// Goals, in order of priority: the convolutional conformer of `MeasurableResidualNetwork` — the
// evaluation-mode forward pass in Float64 from the Float32 weights (the same workspace as
// training, keeping only two representations alive), the matrix-free Residual Jacobians, and
// Algorithm 971 on their products.

import LinearAlgebra

/// A convolutional ResNet (Types 2, 3, 5a, 5b) in evaluation mode, in Float64.
///
/// Layers: h₁…h_{L+1} are NHWC images flattened (D = C·S², 16,384 for 64 channels at 16×16);
/// layer L+2 is the classifier's input, the globally average-pooled ReLU(BN_f(h_{L+1})).
/// J_i is `ConvolutionalResidualJacobian`; its top triplets come from Algorithm 971 on the
/// products alone (T = 20), never from a formed matrix.
public struct ConvolutionalEvaluationNetwork: Sendable, MeasurableResidualNetwork {
  /// The network, every weight and statistic widened to Float64.
  public let model: ConvolutionalNetwork<Double>
  /// The network in Float32 (the checkpoint's own weights) for `singlePrecisionForward()`.
  public let singlePrecisionModel: ConvolutionalNetwork<Float>
  private let shapes: [(channels: Int, side: Int)]

  /// The network of a trained (Float32) checkpoint.
  public init(_ model: ConvolutionalNetwork<Float>) {
    self.model = model.converted(to: Double.self)
    singlePrecisionModel = model
    shapes = model.representationShapes
  }

  public init(_ model: ConvolutionalNetwork<Double>) {
    self.model = model
    singlePrecisionModel = model.converted(to: Float.self)
    shapes = model.representationShapes
  }

  public var depth: Int { model.depth }
  public var classCount: Int { model.classCount }
  public var inputSize: Int { model.inputSize }
  public var classifierWeights: Matrix<Double> { model.cls }

  public func representationSize(at layer: Int) -> Int {
    precondition(layer >= 1 && layer <= depth + 2, "layer \(layer) not in 1...L+2")
    if layer == depth + 2 { return shapes[depth].channels }
    let s = shapes[layer - 1]
    return s.channels * s.side * s.side
  }

  @discardableResult
  public func forward(
    batch x: Matrix<Double>, visit: (Int, Matrix<Double>) -> Void = { _, _ in }
  ) -> Matrix<Double> {
    precondition(x.rows == inputSize, "inputs have \(x.rows) entries, expected \(inputSize)")
    let b = x.columns
    if b == 0 { return Matrix(rows: classCount, columns: 0) }
    let workspace = ConvolutionalWorkspace(model: model, capacity: b, keepsActivations: false)
    return workspace.evaluate(model, batch: x, visit: visit)
  }

  /// The same pass in Float32 on sgemm, on the training code's workspace (kept from batch to
  /// batch, grown when a batch is larger).
  public func singlePrecisionForward() -> SinglePrecisionForward {
    let model = singlePrecisionModel
    let classes = classCount
    let inputs = inputSize
    final class Slot: @unchecked Sendable { var workspace: ConvolutionalWorkspace<Float>? }
    let slot = Slot()
    return { x, visit in
      precondition(x.rows == inputs, "inputs have \(x.rows) entries, expected \(inputs)")
      let b = x.columns
      if b == 0 { return Matrix(rows: classes, columns: 0) }
      if (slot.workspace?.capacity ?? 0) < b {
        slot.workspace = nil
        slot.workspace = ConvolutionalWorkspace(model: model, capacity: b, keepsActivations: false)
      }
      return slot.workspace!.evaluate(model, batch: x, visit: visit)
    }
  }

  /// F_i(h) (block i, 0-based) in evaluation mode: the branch alone, without the skip.
  public func branch(block i: Int, at h: [Double]) -> [Double] {
    // The linearisation point's forward pass: F(h) = c·conv2(ReLU(BN2(conv1(ReLU(BN1(h)))))).
    let block = model.blocks[i]
    let side = shapes[i].side
    let outSide = shapes[i + 1].side
    let (s1, t1) = evaluationAffine(block.bn1)
    let (s2, t2) = evaluationAffine(block.bn2)
    let cin = block.inChannels
    let cout = block.outChannels
    let a1 = h.indices.map { max(s1[$0 % cin] * h[$0] + t1[$0 % cin], 0) }
    let scratch = LoweringScratch<Double>(
      capacity: LoweringScratch.capacity(
        for: [block.conv1, block.conv2], sides: [side, outSide], images: 1))
    var z = [Double](repeating: 0, count: cout * outSide * outSide)
    a1.withUnsafeBufferPointer { x in
      z.withUnsafeMutableBufferPointer { y in
        convolutionForward(
          block.conv1, x.baseAddress!, side: side, images: 1, into: y.baseAddress!,
          scratch: scratch)
      }
    }
    let a2 = z.indices.map { max(s2[$0 % cout] * z[$0] + t2[$0 % cout], 0) }
    var f = [Double](repeating: 0, count: z.count)
    a2.withUnsafeBufferPointer { x in
      f.withUnsafeMutableBufferPointer { y in
        convolutionForward(
          block.conv2, x.baseAddress!, side: outSide, images: 1, into: y.baseAddress!,
          alpha: branchScale(i), scratch: scratch)
      }
    }
    return f
  }

  /// c = 1 − p for a branch trained with stochastic depth p (1 for a downsampling block).
  func branchScale(_ i: Int) -> Double { model.droppable(i) ? 1 - model.dropPath : 1 }

  public func residualJacobian(block i: Int, at h: [Double]) -> ConvolutionalResidualJacobian {
    ConvolutionalResidualJacobian(
      block: model.blocks[i], side: shapes[i].side, at: h, branchScale: branchScale(i))
  }
}

extension ConvolutionalWorkspace {
  /// The evaluation-mode forward pass of the b columns of `x` (one precision's pass, written
  /// once for Float64 and Float32): `visit(i, H_i)` sees each representation as a matrix (one
  /// column per image), and the logits (C×b) are returned.
  fileprivate func evaluate(
    _ model: ConvolutionalNetwork<Scalar>, batch x: Matrix<Scalar>,
    visit: (Int, Matrix<Scalar>) -> Void
  ) -> Matrix<Scalar> {
    let b = x.columns
    var logits = Matrix<Scalar>(rows: classCount, columns: b)
    x.storage.withUnsafeBufferPointer { loadInput($0.baseAddress!, count: b) }
    forward(model, training: false) { layer, h, rows in
      let values = Array(UnsafeBufferPointer(start: h, count: rows * b))
      visit(layer, Matrix(rows: rows, columns: b, storage: values))
    }
    logits.mutableStorage.withUnsafeMutableBufferPointer {
      $0.baseAddress!.update(from: self.logits.pointer, count: classCount * b)
    }
    return logits
  }
}
