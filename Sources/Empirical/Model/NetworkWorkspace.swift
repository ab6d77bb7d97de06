// Goals, in order of priority: backpropagation exactly through the structure of
// `ResidualNetwork` (checked against finite differences); every matrix product one sgemm on
// preallocated buffers; no allocation per step. Activations are D×B column-major.

import LinearAlgebra

/// Preallocated buffers for forward and backward passes of one network shape on batches of up
/// to `capacity` examples, and the gradients of the last backward pass.
///
/// After `forward`, `trajectory(block:)` holds h₁…h_{L+1} of the batch (training or
/// evaluation mode) and `logits` the outputs.
final class NetworkWorkspace<Scalar: KernelScalar>: PreActivationBuffers<ResidualNetwork<Scalar>>,
  @unchecked Sendable
{
  let width: Int
  let inputSize: Int
  let hiddenGradient: ScalarBuffer<Scalar>

  init(model: ResidualNetwork<Scalar>, capacity: Int) {
    width = model.width
    inputSize = model.inputSize
    let activation = width * capacity
    hiddenGradient = ScalarBuffer(count: activation)
    super.init(
      model: model, capacity: capacity, classCount: model.classCount,
      inputCount: inputSize * capacity, sizes: Array(repeating: activation, count: model.depth + 1),
      features: Array(repeating: width, count: model.depth + 1), keepsActivations: true,
      parallelism: .matchingBLAS)
  }

  /// Copies `count` examples (n₀ features each, contiguous) into the input buffer.
  func loadInput(_ features: UnsafePointer<Scalar>, count: Int) {
    precondition(count >= 1 && count <= capacity, "batch of \(count) exceeds \(capacity)")
    input.pointer.update(from: features, count: count * inputSize)
    self.count = count
  }

  /// Gathers examples `indices` of `features` (n₀ per example) into the input buffer.
  func gatherInput(_ features: UnsafePointer<Float>, indices: ArraySlice<Int>) {
    precondition(indices.count >= 1 && indices.count <= capacity, "batch exceeds capacity")
    for (b, n) in indices.enumerated() {
      let source = features + n * inputSize
      let target = input.pointer + b * inputSize
      for f in 0..<inputSize { target[f] = Scalar(source[f]) }
    }
    count = indices.count
  }

  /// The forward pass on the loaded input. In training mode BatchNorm uses batch statistics and
  /// the blocks in `drop` (if any) are skipped (h_{i+1} = h_i); in evaluation mode BatchNorm uses
  /// running statistics and residual branches are scaled by 1 − p.
  func forward(_ model: ResidualNetwork<Scalar>, training: Bool, drop: [Bool]? = nil) {
    precondition(model.width == width && model.depth == depth, "model does not fit workspace")
    let d = width
    let n = count
    // Element by element, so that no array is allocated or shared with the caller's.
    for i in 0..<depth { dropped[i] = drop?[i] ?? false }
    model.fc0.storage.withUnsafeBufferPointer { w in
      gemm(
        false, false, m: d, n: n, k: inputSize, w.baseAddress!, lda: d, input.pointer,
        ldb: inputSize, z0.pointer, ldc: d)
    }
    normReLU(model.bn0, 0, z0.pointer, into: hidden[0].pointer, training: training)
    let branchScale = Scalar(training ? 1 : 1 - model.dropPath)
    for i in 0..<depth {
      let block = model.blocks[i]
      let h = hidden[i].pointer
      let next = hidden[i + 1].pointer
      if dropped[i] {
        profile.time(.residual) { next.update(from: h, count: d * n) }
        continue
      }
      // h_{i+1} ← h_i in BN1's pass over h_i; W2·a2 is added onto it.
      normReLU(
        block.bn1, 1 + 2 * i, h, into: a1[i].pointer, training: training,
        copy: model.skips ? next : nil)
      block.fc1.storage.withUnsafeBufferPointer { w in
        gemm(
          false, false, m: d, n: n, k: d, w.baseAddress!, lda: d, a1[i].pointer, ldb: d,
          z1[i].pointer, ldc: d)
      }
      normReLU(block.bn2, 2 + 2 * i, z1[i].pointer, into: a2[i].pointer, training: training)
      block.fc2.storage.withUnsafeBufferPointer { w in
        gemm(
          false, false, m: d, n: n, k: d, alpha: branchScale, w.baseAddress!, lda: d,
          a2[i].pointer, ldb: d, beta: model.skips ? 1 : 0, next, ldc: d)
      }
    }
    normReLU(model.bnf, 2 * depth + 1, hidden[depth].pointer, into: af.pointer, training: training)
    classify(model, af.pointer, features: d)
  }

  /// ReLU(BN(x)) on the batch's D×B activations.
  private func normReLU(
    _ norm: BatchNorm<Scalar>, _ index: Int, _ x: UnsafePointer<Scalar>,
    into a: UnsafeMutablePointer<Scalar>, training: Bool,
    copy: UnsafeMutablePointer<Scalar>? = nil
  ) {
    normReLU(
      norm, index, x, into: a, features: width, count: count, training: training, copy: copy)
  }

  /// Backpropagation of the last training forward pass and `loss(…, withGradient: true)` into
  /// `gradients`.
  func backward(_ model: ResidualNetwork<Scalar>) {
    let d = width
    let n = count
    let dh = hiddenGradient.pointer
    classifierBackward(model, af.pointer, features: d)
    normReLUBackward(
      model.bnf, 2 * depth + 1, x: hidden[depth].pointer, da: scratchA.pointer,
      dx: dh, features: d, count: n, accumulate: false, gradient: .head)
    for i in stride(from: depth - 1, through: 0, by: -1) {
      if dropped[i] {
        gradients.zeroBlockParameters(i)
        continue
      }
      let block = model.blocks[i]
      // dh is ∂loss/∂h_{i+1} = ∂loss/∂(branch output).
      gradients.blocks[i].fc2.withUnsafeMutableBufferPointer { g in
        gemm(
          false, true, m: d, n: d, k: n, dh, lda: d, a2[i].pointer, ldb: d, g.baseAddress!,
          ldc: d)
      }
      block.fc2.storage.withUnsafeBufferPointer { w in
        gemm(
          true, false, m: d, n: n, k: d, w.baseAddress!, lda: d, dh, ldb: d, scratchA.pointer,
          ldc: d)
      }
      normReLUBackward(
        block.bn2, 2 + 2 * i, x: z1[i].pointer, da: scratchA.pointer,
        dx: scratchB.pointer, features: d, count: n, accumulate: false, gradient: .second(i))
      gradients.blocks[i].fc1.withUnsafeMutableBufferPointer { g in
        gemm(
          false, true, m: d, n: d, k: n, scratchB.pointer, lda: d, a1[i].pointer, ldb: d,
          g.baseAddress!, ldc: d)
      }
      block.fc1.storage.withUnsafeBufferPointer { w in
        gemm(
          true, false, m: d, n: n, k: d, w.baseAddress!, lda: d, scratchB.pointer, ldb: d,
          scratchA.pointer, ldc: d)
      }
      normReLUBackward(
        block.bn1, 1 + 2 * i, x: hidden[i].pointer, da: scratchA.pointer,
        dx: dh, features: d, count: n, accumulate: model.skips, gradient: .first(i))
    }
    normReLUBackward(
      model.bn0, 0, x: z0.pointer, da: dh, dx: scratchB.pointer,
      features: d, count: n, accumulate: false, gradient: .stem)
    gradients.fc0.withUnsafeMutableBufferPointer { g in
      gemm(
        false, true, m: d, n: inputSize, k: n, scratchB.pointer, lda: d, input.pointer,
        ldb: inputSize, g.baseAddress!, ldc: d)
    }
  }
}
