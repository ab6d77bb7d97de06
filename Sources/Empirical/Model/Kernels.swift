// Goals, in order of priority: PyTorch's arithmetic for BatchNorm1d, ReLU and cross-entropy;
// loops over contiguous memory that the compiler vectorises (features innermost, so each pass
// over a D×B activation is a run of independent lanes, in a fixed order: deterministic); no
// allocation. Activations are D×B column-major: example b's features are contiguous.

import Foundation
import LinearAlgebra

/// A fixed-size buffer of scalars, allocated once and zeroed.
final class ScalarBuffer<Scalar: BLASScalar>: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Scalar>
  let count: Int

  init(count: Int) {
    self.count = count
    pointer = .allocate(capacity: Swift.max(count, 1))
    pointer.initialize(repeating: 0, count: Swift.max(count, 1))
  }

  deinit { pointer.deallocate() }

  func zero(_ n: Int? = nil) { pointer.update(repeating: 0, count: n ?? count) }
}

/// `C ← α·op(A)·op(B) + β·C` on column-major buffers. The BLAS routine is `?gemm`.
@inline(__always)
func gemm<Scalar: BLASScalar>(
  _ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int, alpha: Scalar = 1,
  _ a: UnsafePointer<Scalar>, lda: Int, _ b: UnsafePointer<Scalar>, ldb: Int, beta: Scalar = 0,
  _ c: UnsafeMutablePointer<Scalar>, ldc: Int
) {
  Scalar._gemm(
    transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
    ldb: ldb, beta: beta, c: c, ldc: ldc)
}

/// Batch statistics of one BatchNorm layer from a training forward pass.
final class BatchStatistics<Scalar: BLASScalar>: @unchecked Sendable {
  let mean: ScalarBuffer<Scalar>
  let inverseStd: ScalarBuffer<Scalar>
  let variance: ScalarBuffer<Scalar>
  let scratchA: ScalarBuffer<Scalar>
  let scratchB: ScalarBuffer<Scalar>

  init(features: Int) {
    mean = ScalarBuffer(count: features)
    inverseStd = ScalarBuffer(count: features)
    variance = ScalarBuffer(count: features)
    scratchA = ScalarBuffer(count: features)
    scratchB = ScalarBuffer(count: features)
  }
}

/// a = ReLU(BN(x)) with the batch's statistics (training mode), which go into `stats`:
/// μ_d = Σ_b x_{d,b}/B, σ²_d = Σ_b (x_{d,b} − μ_d)²/B, a = max(γ(x − μ)/√(σ² + ε) + β, 0).
func batchNormReLUTraining<Scalar: BLASScalar>(
  _ x: UnsafePointer<Scalar>, into a: UnsafeMutablePointer<Scalar>, features: Int, count: Int,
  weight: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>, stats: BatchStatistics<Scalar>
) {
  let d = features
  let mean = stats.mean.pointer
  let variance = stats.variance.pointer
  let inverseStd = stats.inverseStd.pointer
  let scale = stats.scratchA.pointer
  let shift = stats.scratchB.pointer
  mean.update(repeating: 0, count: d)
  variance.update(repeating: 0, count: d)
  for b in 0..<count {
    let column = x + b * d
    for f in 0..<d { mean[f] += column[f] }
  }
  let inverseCount = 1 / Scalar(count)
  for f in 0..<d { mean[f] *= inverseCount }
  for b in 0..<count {
    let column = x + b * d
    for f in 0..<d {
      let t = column[f] - mean[f]
      variance[f] += t * t
    }
  }
  for f in 0..<d {
    variance[f] *= inverseCount
    inverseStd[f] = 1 / (variance[f] + BatchNorm<Scalar>.epsilon).squareRoot()
    scale[f] = weight[f] * inverseStd[f]
    shift[f] = bias[f] - mean[f] * scale[f]
  }
  affineReLU(x, into: a, features: d, count: count, scale: scale, shift: shift)
}

/// a = max(s·x + t, 0) per feature (evaluation-mode BatchNorm followed by ReLU).
func affineReLU<Scalar: BLASScalar>(
  _ x: UnsafePointer<Scalar>, into a: UnsafeMutablePointer<Scalar>, features d: Int, count: Int,
  scale: UnsafePointer<Scalar>, shift: UnsafePointer<Scalar>
) {
  for b in 0..<count {
    let column = x + b * d
    let out = a + b * d
    for f in 0..<d {
      let y = column[f] * scale[f] + shift[f]
      out[f] = y > 0 ? y : 0
    }
  }
}

/// Backward through a = ReLU(BN(x)) in training mode. With dy = da·[a > 0] and x̂ the normalised
/// input: ∂γ = Σ_b dy·x̂, ∂β = Σ_b dy, ∂x = γ/√(σ²+ε)·(dy − ∂β/B − x̂·∂γ/B). `dx` is overwritten,
/// or accumulated into when `accumulate` (the skip connection's gradient is already there).
func batchNormReLUBackward<Scalar: BLASScalar>(
  x: UnsafePointer<Scalar>, a: UnsafePointer<Scalar>, da: UnsafePointer<Scalar>,
  dx: UnsafeMutablePointer<Scalar>, accumulate: Bool, features d: Int, count: Int,
  weight: UnsafePointer<Scalar>, stats: BatchStatistics<Scalar>,
  weightGradient: UnsafeMutablePointer<Scalar>, biasGradient: UnsafeMutablePointer<Scalar>
) {
  let mean = stats.mean.pointer
  let inverseStd = stats.inverseStd.pointer
  let sumDy = biasGradient
  let sumDyXhat = stats.scratchA.pointer
  sumDy.update(repeating: 0, count: d)
  sumDyXhat.update(repeating: 0, count: d)
  for b in 0..<count {
    let xc = x + b * d
    let ac = a + b * d
    let dac = da + b * d
    for f in 0..<d {
      let dy = ac[f] > 0 ? dac[f] : 0
      sumDy[f] += dy
      sumDyXhat[f] += dy * (xc[f] - mean[f])
    }
  }
  let inverseCount = 1 / Scalar(count)
  let k = stats.scratchB.pointer
  for f in 0..<d {
    sumDyXhat[f] *= inverseStd[f]
    weightGradient[f] = sumDyXhat[f]
    k[f] = weight[f] * inverseStd[f]
  }
  // Reuse scratch: c1 = ∂β/B in mean-shifted form, c2 = ∂γ·invstd/B.
  for b in 0..<count {
    let xc = x + b * d
    let ac = a + b * d
    let dac = da + b * d
    let out = dx + b * d
    if accumulate {
      for f in 0..<d {
        let dy = ac[f] > 0 ? dac[f] : 0
        let xhat = (xc[f] - mean[f]) * inverseStd[f]
        out[f] += k[f] * (dy - (sumDy[f] + xhat * sumDyXhat[f]) * inverseCount)
      }
    } else {
      for f in 0..<d {
        let dy = ac[f] > 0 ? dac[f] : 0
        let xhat = (xc[f] - mean[f]) * inverseStd[f]
        out[f] = k[f] * (dy - (sumDy[f] + xhat * sumDyXhat[f]) * inverseCount)
      }
    }
  }
}

/// Mean cross-entropy of softmax(logits) against `labels` over `count` examples (C×B logits),
/// the number of correct arg-max predictions, and, when `gradient` is given, ∂loss/∂logits =
/// (softmax − onehot)/B. Exponentials in Double.
func crossEntropy<Scalar: BLASScalar>(
  logits: UnsafePointer<Scalar>, labels: UnsafePointer<Int32>, classes c: Int, count: Int,
  gradient: UnsafeMutablePointer<Scalar>?
) -> (loss: Double, correct: Int) {
  var total = 0.0
  var correct = 0
  let inverseCount = 1 / Double(count)
  for b in 0..<count {
    let l = logits + b * c
    var best = 0
    for j in 1..<c where l[j] > l[best] { best = j }
    let label = Int(labels[b])
    if best == label { correct += 1 }
    let m = Double(l[best])
    var sum = 0.0
    for j in 0..<c { sum += Foundation.exp(Double(l[j]) - m) }
    let logSumExp = m + Foundation.log(sum)
    total += logSumExp - Double(l[label])
    if let gradient {
      let g = gradient + b * c
      for j in 0..<c {
        let p = Foundation.exp(Double(l[j]) - logSumExp)
        g[j] = Scalar((p - (j == label ? 1 : 0)) * inverseCount)
      }
    }
  }
  return (total * inverseCount, correct)
}
