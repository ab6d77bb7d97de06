// Goals, in order of priority: exactly the sgemm calls of one training step (shapes, transposes,
// β) so that their time is the ceiling a trainer's step time is measured against; nothing else.

import LinearAlgebra

/// The matrix products of one training step alone, back to back: the forward products W₀x,
/// W1·a, W2·a (every block), W_c·a_f and the backward products for every weight gradient and
/// every input gradient, as `NetworkWorkspace` issues them — ≈ 6·B·(n₀D + 2LD² + DC) flops —
/// on preallocated buffers. `step()` times one such step: the ceiling for a training step.
public final class GEMMCeiling: GEMMStepCeiling {
  let d: Int
  let n: Int
  let c: Int
  let l: Int
  let inputSize: Int
  let input, w0, wc, out, logits, g0, gc: ScalarBuffer<Float>
  let blocks, activations, gBlocks: [ScalarBuffer<Float>]

  public init(
    architecture: Architecture, inputSize: Int = 784, classCount: Int = 10, batchSize: Int = 128
  ) {
    let (d, n, c, l) = (architecture.width, batchSize, classCount, architecture.blocks)
    (self.d, self.n, self.c, self.l) = (d, n, c, l)
    self.inputSize = inputSize
    var rng = SeededGenerator(seed: 1)
    func buffer(_ count: Int) -> ScalarBuffer<Float> { .ceilingOperand(count, using: &rng) }
    input = buffer(inputSize * n)
    w0 = buffer(d * inputSize)
    blocks = (0..<(2 * l)).map { _ in buffer(d * d) }
    wc = buffer(c * d)
    activations = (0..<(2 * l + 2)).map { _ in buffer(d * n) }
    out = buffer(d * n)
    logits = buffer(c * n)
    g0 = buffer(d * inputSize)
    gBlocks = (0..<(2 * l)).map { _ in buffer(d * d) }
    gc = buffer(c * d)
    runProducts()
  }

  /// Issues one step's products once.
  public func runProducts() {
    gemm(
      false, false, m: d, n: n, k: inputSize, w0.pointer, lda: d, input.pointer, ldb: inputSize,
      activations[0].pointer, ldc: d)
    for j in 0..<(2 * l) {
      gemm(
        false, false, m: d, n: n, k: d, blocks[j].pointer, lda: d, activations[j].pointer,
        ldb: d, beta: j % 2 == 1 ? 1 : 0, activations[j + 1].pointer, ldc: d)
    }
    gemm(
      false, false, m: c, n: n, k: d, wc.pointer, lda: c, activations[2 * l].pointer, ldb: d,
      beta: 1, logits.pointer, ldc: c)
    gemm(
      false, true, m: c, n: d, k: n, logits.pointer, lda: c, activations[2 * l].pointer,
      ldb: d, gc.pointer, ldc: c)
    gemm(
      true, false, m: d, n: n, k: c, wc.pointer, lda: c, logits.pointer, ldb: c, out.pointer,
      ldc: d)
    for j in stride(from: 2 * l - 1, through: 0, by: -1) {
      gemm(
        false, true, m: d, n: d, k: n, out.pointer, lda: d, activations[j].pointer, ldb: d,
        gBlocks[j].pointer, ldc: d)
      gemm(
        true, false, m: d, n: n, k: d, blocks[j].pointer, lda: d, out.pointer, ldb: d,
        activations[2 * l + 1].pointer, ldc: d)
    }
    gemm(
      false, true, m: d, n: inputSize, k: n, out.pointer, lda: d, input.pointer,
      ldb: inputSize, g0.pointer, ldc: d)
  }
}

/// Floating-point operations of one training step's matrix products: 6·B·(n₀D + 2LD² + DC)
/// minus the input gradient of the stem (not computed): 2·B·n₀·D.
public func gemmFlopsPerStep(
  architecture: Architecture, inputSize: Int = 784, classCount: Int = 10, batchSize: Int = 128
) -> Double {
  let d = Double(architecture.width)
  let b = Double(batchSize)
  let perSample =
    6 * (Double(inputSize) * d + 2 * Double(architecture.blocks) * d * d + d * Double(classCount))
    - 2 * Double(inputSize) * d
  return b * perSample
}
