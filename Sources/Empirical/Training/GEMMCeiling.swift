// Goals, in order of priority: exactly the sgemm calls of one training step (shapes, transposes,
// β) so that their time is the ceiling a trainer's step time is measured against; nothing else.

import LinearAlgebra

/// Seconds for the matrix products of one training step alone, back to back: the forward
/// products W₀x, W1·a, W2·a (every block), W_c·a_f and the backward products for every weight
/// gradient and every input gradient, as `NetworkWorkspace` issues them — ≈ 6·B·(n₀D + 2LD² +
/// DC) flops. One entry per repetition (after one warm-up step).
public func gemmOnlyStepSeconds(
  architecture: Architecture, inputSize: Int = 784, classCount: Int = 10, batchSize: Int = 128,
  repetitions: Int = 10
) -> [Double] {
  let d = architecture.width
  let n = batchSize
  let c = classCount
  let l = architecture.blocks
  var rng = SeededGenerator(seed: 1)
  func buffer(_ count: Int) -> ScalarBuffer<Float> {
    let b = ScalarBuffer<Float>(count: count)
    for k in 0..<count { b.pointer[k] = Float(uniform(0.05, &rng)) }
    return b
  }
  let input = buffer(inputSize * n)
  let w0 = buffer(d * inputSize)
  let blocks = (0..<(2 * l)).map { _ in buffer(d * d) }
  let wc = buffer(c * d)
  let activations = (0..<(2 * l + 2)).map { _ in buffer(d * n) }
  let out = buffer(d * n)
  let logits = buffer(c * n)
  let g0 = buffer(d * inputSize)
  let gBlocks = (0..<(2 * l)).map { _ in buffer(d * d) }
  let gc = buffer(c * d)
  func step() {
    gemm(false, false, m: d, n: n, k: inputSize, w0.pointer, lda: d, input.pointer, ldb: inputSize,
      activations[0].pointer, ldc: d)
    for j in 0..<(2 * l) {
      gemm(false, false, m: d, n: n, k: d, blocks[j].pointer, lda: d, activations[j].pointer,
        ldb: d, beta: j % 2 == 1 ? 1 : 0, activations[j + 1].pointer, ldc: d)
    }
    gemm(false, false, m: c, n: n, k: d, wc.pointer, lda: c, activations[2 * l].pointer, ldb: d,
      beta: 1, logits.pointer, ldc: c)
    gemm(false, true, m: c, n: d, k: n, logits.pointer, lda: c, activations[2 * l].pointer,
      ldb: d, gc.pointer, ldc: c)
    gemm(true, false, m: d, n: n, k: c, wc.pointer, lda: c, logits.pointer, ldb: c, out.pointer,
      ldc: d)
    for j in stride(from: 2 * l - 1, through: 0, by: -1) {
      gemm(false, true, m: d, n: d, k: n, out.pointer, lda: d, activations[j].pointer, ldb: d,
        gBlocks[j].pointer, ldc: d)
      gemm(true, false, m: d, n: n, k: d, blocks[j].pointer, lda: d, out.pointer, ldb: d,
        activations[2 * l + 1].pointer, ldc: d)
    }
    gemm(false, true, m: d, n: inputSize, k: n, out.pointer, lda: d, input.pointer,
      ldb: inputSize, g0.pointer, ldc: d)
  }
  step()
  let clock = ContinuousClock()
  return (0..<repetitions).map { _ in
    let start = clock.now
    step()
    return (clock.now - start).seconds
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
