// Goals, in order of priority: the buffers and the passes that every pre-activation network's
// workspace has (the activations of Section 2's forward pass, the batch statistics, BN-ReLU, the
// classifier head and its loss) written once for the fully-connected and the convolutional
// workspaces, bit for bit what each did before; the layers' own products (sgemm, lowered
// convolutions) stay in each workspace.

import LinearAlgebra

/// Preallocated buffers of one pre-activation network shape on batches of up to `capacity`
/// examples, for the forward pass
///
///     z₀ = W₀x,  h₁ = ReLU(BN₀(z₀)),  a1_i = ReLU(BN1(h_i)),  z1_i = W1·a1_i,
///     a2_i = ReLU(BN2(z1_i)),  h_{i+1} = h_i + W2·a2_i,  a_f = ReLU(BN_f(h_{L+1})),
///
/// and its backward pass, with the gradients of the last backward pass. Activations are
/// column-major, one column per feature vector: D×B for a fully-connected network (`NetworkWorkspace`),
/// C×(W·H·B) in NHWC for a convolutional one (`ConvolutionalWorkspace`).
class PreActivationBuffers<Network: PreActivationParameters>: @unchecked Sendable
where Network.Scalar: KernelScalar {
  typealias Scalar = Network.Scalar
  let capacity: Int
  let depth: Int
  let classCount: Int
  /// Examples in the current batch.
  var count = 0

  let input: ScalarBuffer<Scalar>
  let z0: ScalarBuffer<Scalar>
  /// h₁…h_{L+1}.
  let hidden: [ScalarBuffer<Scalar>]
  let a1: [ScalarBuffer<Scalar>]
  let z1: [ScalarBuffer<Scalar>]
  let a2: [ScalarBuffer<Scalar>]
  let af: ScalarBuffer<Scalar>
  let logits: ScalarBuffer<Scalar>
  let logitsGradient: ScalarBuffer<Scalar>
  let scratchA: ScalarBuffer<Scalar>
  let scratchB: ScalarBuffer<Scalar>
  /// Batch statistics: BN₀, then per block BN1, BN2, then BN_f.
  let statistics: [BatchStatistics<Scalar>]
  /// Which blocks the last training forward pass dropped.
  var dropped: [Bool]
  /// Gradients of the last backward pass (running statistics unused).
  var gradients: Network
  /// How the elementwise and reduction passes split across cores (the serial result at any
  /// split).
  var parallelism: Parallelism
  /// Per-pass times of the passes that follow, when set.
  var profile: PassProfile?

  /// Buffers for `model` with `inputCount` input scalars; h_i (i = 1…L+1, index i − 1) has
  /// `sizes[i − 1]` scalars in `features[i − 1]` rows. Without `keepsActivations`, the blocks
  /// share two representations and one set of branch buffers (evaluation only).
  init(
    model: Network, capacity: Int, classCount: Int, inputCount: Int, sizes: [Int],
    features: [Int], keepsActivations: Bool, parallelism: Parallelism
  ) {
    let depth = model.blocks.count
    self.capacity = capacity
    self.depth = depth
    self.classCount = classCount
    input = ScalarBuffer(count: inputCount)
    z0 = ScalarBuffer(count: sizes[0])
    let largest = sizes.max()!
    if keepsActivations {
      hidden = sizes.map { ScalarBuffer(count: $0) }
      a1 = (0..<depth).map { ScalarBuffer(count: sizes[$0]) }
      z1 = (0..<depth).map { ScalarBuffer(count: sizes[$0 + 1]) }
      a2 = (0..<depth).map { ScalarBuffer(count: sizes[$0 + 1]) }
    } else {
      let pair = [ScalarBuffer<Scalar>(count: largest), ScalarBuffer<Scalar>(count: largest)]
      hidden = sizes.indices.map { pair[$0 % 2] }
      let (x, y, z) = (
        ScalarBuffer<Scalar>(count: largest), ScalarBuffer<Scalar>(count: largest),
        ScalarBuffer<Scalar>(count: largest)
      )
      a1 = Array(repeating: x, count: depth)
      z1 = Array(repeating: y, count: depth)
      a2 = Array(repeating: z, count: depth)
    }
    af = ScalarBuffer(count: sizes[depth])
    logits = ScalarBuffer(count: classCount * capacity)
    logitsGradient = ScalarBuffer(count: classCount * capacity)
    scratchA = ScalarBuffer(count: keepsActivations ? largest : 1)
    scratchB = ScalarBuffer(count: keepsActivations ? largest : 1)
    func makeStatistics(_ i: Int) -> BatchStatistics<Scalar> {
      BatchStatistics(features: features[i], columns: sizes[i] / Swift.max(features[i], 1))
    }
    var stats = [makeStatistics(0)]
    for i in 0..<depth {
      stats.append(makeStatistics(i))
      stats.append(makeStatistics(i + 1))
    }
    stats.append(makeStatistics(depth))
    statistics = stats
    dropped = Array(repeating: false, count: depth)
    gradients = model.zeroedParameters
    self.parallelism = parallelism
  }

  /// a = ReLU(BN(x)) of the BatchNorm `index` on `count` columns of `features` rows: batch
  /// statistics in training (kept for the backward pass and the running statistics), running
  /// statistics in evaluation. With `copy`, the pass that reads x for a also copies x there (the
  /// residual stream h_{i+1} ← h_i, fused into BN1's pass).
  func normReLU(
    _ norm: BatchNorm<Scalar>, _ index: Int, _ x: UnsafePointer<Scalar>,
    into a: UnsafeMutablePointer<Scalar>, features: Int, count: Int, training: Bool,
    copy: UnsafeMutablePointer<Scalar>? = nil
  ) {
    if training {
      norm.weight.withUnsafeBufferPointer { w in
        norm.bias.withUnsafeBufferPointer { b in
          profile.time(.batchNormReLUForward) {
            batchNormReLUTraining(
              x, into: a, features: features, count: count, weight: w.baseAddress!,
              bias: b.baseAddress!, stats: statistics[index], parallelism: parallelism,
              copy: copy)
          }
        }
      }
    } else {
      let (scale, shift) = norm.evaluationScaleAndShift
      scale.withUnsafeBufferPointer { s in
        shift.withUnsafeBufferPointer { t in
          let (s, t) = (s.baseAddress!, t.baseAddress!)
          parallelism.forEachRange(count, minimumPerPart: 64) { r in
            let offset = r.lowerBound * features
            affineReLU(
              x + offset, into: a + offset, features: features, count: r.count, scale: s,
              shift: t, copy: copy.map { $0 + offset })
          }
        }
      }
    }
  }

  /// logits = W_c·x + b_c for the batch's `count` columns x of `features` rows (a_f, or its
  /// average over the pixels).
  func classify(_ model: Network, _ x: UnsafePointer<Scalar>, features: Int) {
    let (c, n) = (classCount, count)
    profile.time(.head) {
      for b in 0..<n { (logits.pointer + b * c).update(from: model.clsBias, count: c) }
      model.classifierWeight.withUnsafeBufferPointer { w in
        gemm(
          false, false, m: c, n: n, k: features, w.baseAddress!, lda: c, x, ldb: features,
          beta: 1, logits.pointer, ldc: c)
      }
    }
  }

  /// Mean cross-entropy and correct predictions of the last forward pass; with
  /// `withGradient`, also ∂loss/∂logits for `backward`.
  func loss(labels: UnsafePointer<Int32>, withGradient: Bool) -> (loss: Double, correct: Int) {
    profile.time(.head) {
      crossEntropy(
        logits: logits.pointer, labels: labels, classes: classCount, count: count,
        gradient: withGradient ? logitsGradient.pointer : nil)
    }
  }

  /// The classifier's backward pass from ∂logits: ∂W_c = ∂logits·xᵀ, ∂b_c = Σ_b ∂logits into
  /// `gradients`, and ∂x = W_cᵀ·∂logits into `scratchA` (`features` rows).
  func classifierBackward(_ model: Network, _ x: UnsafePointer<Scalar>, features: Int) {
    let (c, n) = (classCount, count)
    let dLogits = logitsGradient.pointer
    gradients.classifierWeight.withUnsafeMutableBufferPointer { g in
      gemm(
        false, true, m: c, n: features, k: n, dLogits, lda: c, x, ldb: features,
        g.baseAddress!, ldc: c)
    }
    gradients.clsBias.withUnsafeMutableBufferPointer { g in
      for j in 0..<c { g[j] = 0 }
      for b in 0..<n { for j in 0..<c { g[j] += dLogits[b * c + j] } }
    }
    model.classifierWeight.withUnsafeBufferPointer { w in
      gemm(
        true, false, m: features, n: n, k: c, w.baseAddress!, lda: c, dLogits, ldb: c,
        scratchA.pointer, ldc: features)
    }
  }
}
