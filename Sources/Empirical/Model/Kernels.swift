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
  BLASKernels.gemm(
    transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
    ldb: ldb, beta: beta, c: c, ldc: ldc)
}

/// Batch statistics of one BatchNorm layer from a training forward pass.
final class BatchStatistics<Scalar: BLASScalar>: @unchecked Sendable {
  /// Columns per fixed part of the batch sums of a layer with more columns than this (a
  /// convolutional layer's W·H·B): each part sums its own columns in order and the parts' sums
  /// are added in order, so the sums do not depend on the number of threads. A layer with at
  /// most this many columns (a fully-connected layer's B) sums all its columns in order.
  static var chunk: Int { 1024 }

  let mean: ScalarBuffer<Scalar>
  let inverseStd: ScalarBuffer<Scalar>
  let variance: ScalarBuffer<Scalar>
  let scratchA: ScalarBuffer<Scalar>
  let scratchB: ScalarBuffer<Scalar>
  let scratchC: ScalarBuffer<Scalar>
  /// s = γ/√(σ² + ε) and t = β − μ·s of the last forward pass (a = max(s·x + t, 0)), from which
  /// the backward pass recomputes ReLU's gate instead of reading a.
  let scale: ScalarBuffer<Scalar>
  let shift: ScalarBuffer<Scalar>
  /// Two sums per feature for each part of up to `columns` columns.
  let partials: ScalarBuffer<Scalar>

  /// Statistics of `features` features over at most `columns` columns.
  init(features: Int, columns: Int = 0) {
    scratchC = ScalarBuffer(count: features)
    mean = ScalarBuffer(count: features)
    inverseStd = ScalarBuffer(count: features)
    variance = ScalarBuffer(count: features)
    scratchA = ScalarBuffer(count: features)
    scratchB = ScalarBuffer(count: features)
    scale = ScalarBuffer(count: features)
    shift = ScalarBuffer(count: features)
    let parts = Self.parts(columns)
    partials = ScalarBuffer(count: parts > 1 ? 2 * parts * features : 0)
  }

  /// The fixed parts of `columns` columns.
  static func parts(_ columns: Int) -> Int { Swift.max(1, (columns + chunk - 1) / chunk) }

  /// Columns of part k of `count`.
  static func columns(ofPart k: Int, _ count: Int) -> Range<Int> {
    (k * chunk)..<Swift.min(count, (k + 1) * chunk)
  }
}

/// Scalars the kernels vectorise in `SIMD8` lanes. The two masked operations are requirements
/// so that each conformance uses the standard library's concrete (vector-instruction) SIMD
/// comparisons; the generic ones compare lane by lane.
public protocol KernelScalar: BLASScalar, SIMDScalar {
  /// max(y, 0) lane-wise (ReLU).
  static func rectified(_ y: SIMD8<Self>) -> SIMD8<Self>
  /// `value` where `gate` > 0, else 0, lane-wise (ReLU's derivative applied to `value`).
  static func gated(_ value: SIMD8<Self>, by gate: SIMD8<Self>) -> SIMD8<Self>
}

extension Float: KernelScalar {
  @inline(__always)
  public static func rectified(_ y: SIMD8<Float>) -> SIMD8<Float> {
    y.replacing(with: 0, where: y .<= SIMD8<Float>())
  }
  @inline(__always)
  public static func gated(_ value: SIMD8<Float>, by gate: SIMD8<Float>) -> SIMD8<Float> {
    value.replacing(with: 0, where: gate .<= SIMD8<Float>())
  }
}

extension Double: KernelScalar {
  @inline(__always)
  public static func rectified(_ y: SIMD8<Double>) -> SIMD8<Double> {
    y.replacing(with: 0, where: y .<= SIMD8<Double>())
  }
  @inline(__always)
  public static func gated(_ value: SIMD8<Double>, by gate: SIMD8<Double>) -> SIMD8<Double> {
    value.replacing(with: 0, where: gate .<= SIMD8<Double>())
  }
}

@inline(__always)
func load8<S: KernelScalar>(_ p: UnsafePointer<S>, _ i: Int) -> SIMD8<S> {
  UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<S>.self)
}

@inline(__always)
func store8<S: KernelScalar>(_ v: SIMD8<S>, _ p: UnsafeMutablePointer<S>, _ i: Int) {
  UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD8<S>.self)
}

/// a = ReLU(BN(x)) with the batch's statistics (training mode), which go into `stats`:
/// μ_d = Σ_b x_{d,b}/B, σ²_d = Σ_b (x_{d,b} − μ_d)²/B, a = max(γ(x − μ)/√(σ² + ε) + β, 0).
/// With `copy`, the same pass over x also writes x there (the residual stream h_{i+1} ← h_i
/// that the branch's last product adds onto).
///
/// With `parallelism`, the statistics of at most `BatchStatistics.chunk` columns are split by
/// features (each feature's sums in the serial order), those of more columns by their fixed
/// parts, and the normalisation by columns: the result does not depend on the split.
func batchNormReLUTraining<Scalar: KernelScalar>(
  _ x: UnsafePointer<Scalar>, into a: UnsafeMutablePointer<Scalar>, features: Int, count: Int,
  weight: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>, stats: BatchStatistics<Scalar>,
  parallelism: Parallelism = .serial, copy: UnsafeMutablePointer<Scalar>? = nil
) {
  let d = features
  let parallelism = parallelism.for(values: d * count)
  let mean = stats.mean.pointer
  let variance = stats.variance.pointer
  let inverseStd = stats.inverseStd.pointer
  let scale = stats.scale.pointer
  let shift = stats.shift.pointer
  let parts = BatchStatistics<Scalar>.parts(count)
  let inverseCount = 1 / Scalar(count)
  if parts == 1 {
    parallelism.forEachRange(d, granule: 8, minimumPerPart: 16) { features in
      featureSums(x, features: features, stride: d, columns: 0..<count, into: mean)
      for f in features { mean[f] *= inverseCount }
      featureSums(
        x, features: features, stride: d, columns: 0..<count, centredOn: mean, into: variance)
    }
  } else {
    precondition(2 * parts * d <= stats.partials.count, "statistics made for fewer columns")
    let partials = stats.partials.pointer
    parallelism.forEachPart(parts) { k in
      featureSums(
        x, features: 0..<d, stride: d, columns: BatchStatistics<Scalar>.columns(ofPart: k, count),
        into: partials + k * d)
    }
    addParts(partials, parts: parts, features: d, into: mean)
    for f in 0..<d { mean[f] *= inverseCount }
    parallelism.forEachPart(parts) { k in
      featureSums(
        x, features: 0..<d, stride: d, columns: BatchStatistics<Scalar>.columns(ofPart: k, count),
        centredOn: mean, into: partials + k * d)
    }
    addParts(partials, parts: parts, features: d, into: variance)
  }
  for f in 0..<d {
    variance[f] *= inverseCount
    inverseStd[f] = 1 / (variance[f] + BatchNorm<Scalar>.epsilon).squareRoot()
    scale[f] = weight[f] * inverseStd[f]
    shift[f] = bias[f] - mean[f] * scale[f]
  }
  parallelism.forEachRange(count, minimumPerPart: 64) { columns in
    let offset = columns.lowerBound * d
    affineReLU(
      x + offset, into: a + offset, features: d, count: columns.count, scale: scale,
      shift: shift, copy: copy.map { $0 + offset })
  }
}

/// s_f = Σ_b x_{f,b}, or with `centre` Σ_b (x_{f,b} − μ_f)², for the features `features` (of
/// `stride` per column) over `columns`, in column order, eight features to a vector.
func featureSums<Scalar: KernelScalar>(
  _ x: UnsafePointer<Scalar>, features: Range<Int>, stride d: Int, columns: Range<Int>,
  centredOn centre: UnsafePointer<Scalar>? = nil, into s: UnsafeMutablePointer<Scalar>
) {
  let (lower, upper) = (features.lowerBound, features.upperBound)
  let vectorEnd = lower + (upper - lower) - (upper - lower) % 8
  (s + lower).update(repeating: 0, count: upper - lower)
  if let mean = centre {
    for b in columns {
      let column = x + b * d
      var f = lower
      while f < vectorEnd {
        let t = load8(column, f) - load8(mean, f)
        store8(load8(s, f) + t * t, s, f)
        f += 8
      }
      while f < upper {
        let t = column[f] - mean[f]
        s[f] += t * t
        f += 1
      }
    }
  } else {
    for b in columns {
      let column = x + b * d
      var f = lower
      while f < vectorEnd {
        store8(load8(s, f) + load8(column, f), s, f)
        f += 8
      }
      while f < upper {
        s[f] += column[f]
        f += 1
      }
    }
  }
}

/// s_f = Σ_k partials[k·d + f] over the parts in order.
private func addParts<Scalar: KernelScalar>(
  _ partials: UnsafePointer<Scalar>, parts: Int, features d: Int,
  into s: UnsafeMutablePointer<Scalar>
) {
  s.update(from: partials, count: d)
  for k in 1..<parts {
    let part = partials + k * d
    for f in 0..<d { s[f] += part[f] }
  }
}

/// a = max(s·x + t, 0) per feature (evaluation-mode BatchNorm followed by ReLU); with `copy`,
/// x is also copied there column by column (while the column is in cache).
func affineReLU<Scalar: KernelScalar>(
  _ x: UnsafePointer<Scalar>, into a: UnsafeMutablePointer<Scalar>, features d: Int, count: Int,
  scale: UnsafePointer<Scalar>, shift: UnsafePointer<Scalar>,
  copy: UnsafeMutablePointer<Scalar>? = nil
) {
  let vectorEnd = d - d % 8
  for b in 0..<count {
    let column = x + b * d
    let out = a + b * d
    copy?.advanced(by: b * d).update(from: column, count: d)
    var f = 0
    while f < vectorEnd {
      let y = load8(column, f) * load8(scale, f) + load8(shift, f)
      store8(Scalar.rectified(y), out, f)
      f += 8
    }
    while f < d {
      let y = column[f] * scale[f] + shift[f]
      out[f] = y > 0 ? y : 0
      f += 1
    }
  }
}

/// Backward through a = ReLU(BN(x)) in training mode. With dy = da·[a > 0] and x̂ the normalised
/// input: ∂γ = Σ_b dy·x̂, ∂β = Σ_b dy, ∂x = γ/√(σ²+ε)·(dy − ∂β/B − x̂·∂γ/B). `dx` is overwritten,
/// or accumulated into when `accumulate` (the skip connection's gradient is already there).
/// ReLU's gate a > 0 is recomputed from x as s·x + t > 0 with the forward pass's s and t (the
/// same operations, so the same decision bit for bit), so that a is not read.
///
/// With `parallelism`, the sums are split as the forward pass's (by features, or by the fixed
/// parts of more than `BatchStatistics.chunk` columns) and ∂x by columns: the result does not
/// depend on the split.
func batchNormReLUBackward<Scalar: KernelScalar>(
  x: UnsafePointer<Scalar>, da: UnsafePointer<Scalar>, dx: UnsafeMutablePointer<Scalar>,
  accumulate: Bool, features d: Int, count: Int,
  weight: UnsafePointer<Scalar>, stats: BatchStatistics<Scalar>,
  weightGradient: UnsafeMutablePointer<Scalar>, biasGradient: UnsafeMutablePointer<Scalar>,
  parallelism: Parallelism = .serial
) {
  let parallelism = parallelism.for(values: d * count)
  let mean = stats.mean.pointer
  let inverseStd = stats.inverseStd.pointer
  let (scale, shift) = (UnsafePointer(stats.scale.pointer), UnsafePointer(stats.shift.pointer))
  let sumDy = biasGradient
  let sumDyCentred = stats.scratchA.pointer
  // dx = k·dy − k·(∂β + x̂·∂γ)/B = k·dy + u·x + v per feature, with
  // k = γ·invstd, u = −k·invstd·∂γ/B, v = −k·∂β/B − u·μ.
  let k = stats.scratchB.pointer
  let u = stats.scratchC.pointer
  let v = stats.scratchA.pointer
  let parts = BatchStatistics<Scalar>.parts(count)
  if parts == 1 {
    parallelism.forEachRange(d, granule: 8, minimumPerPart: 16) { features in
      gradientSums(
        x: x, da: da, mean: mean, scale: scale, shift: shift, features: features, stride: d,
        columns: 0..<count, into: sumDy, sumDyCentred)
    }
  } else {
    precondition(2 * parts * d <= stats.partials.count, "statistics made for fewer columns")
    let partials = stats.partials.pointer
    parallelism.forEachPart(parts) { p in
      gradientSums(
        x: x, da: da, mean: mean, scale: scale, shift: shift, features: 0..<d, stride: d,
        columns: BatchStatistics<Scalar>.columns(ofPart: p, count), into: partials + 2 * p * d,
        partials + (2 * p + 1) * d)
    }
    sumDy.update(from: partials, count: d)
    sumDyCentred.update(from: partials + d, count: d)
    for p in 1..<parts {
      let (first, second) = (partials + 2 * p * d, partials + (2 * p + 1) * d)
      for f in 0..<d {
        sumDy[f] += first[f]
        sumDyCentred[f] += second[f]
      }
    }
  }
  let inverseCount = 1 / Scalar(count)
  for f in 0..<d {
    let dGamma = sumDyCentred[f] * inverseStd[f]
    weightGradient[f] = dGamma
    k[f] = weight[f] * inverseStd[f]
    u[f] = -k[f] * inverseStd[f] * dGamma * inverseCount
    v[f] = -k[f] * sumDy[f] * inverseCount - u[f] * mean[f]
  }
  let vectorEnd = d - d % 8
  parallelism.forEachRange(count, minimumPerPart: 64) { columns in
    for b in columns {
      let xc = x + b * d
      let dac = da + b * d
      let out = dx + b * d
      var f = 0
      while f < vectorEnd {
        let x8 = load8(xc, f)
        let dy = Scalar.gated(load8(dac, f), by: x8 * load8(scale, f) + load8(shift, f))
        let r = load8(k, f) * dy + load8(u, f) * x8 + load8(v, f)
        store8(accumulate ? load8(out, f) + r : r, out, f)
        f += 8
      }
      while f < d {
        let dy = xc[f] * scale[f] + shift[f] > 0 ? dac[f] : 0
        let r = k[f] * dy + u[f] * xc[f] + v[f]
        out[f] = accumulate ? out[f] + r : r
        f += 1
      }
    }
  }
}

/// Σ_b dy and Σ_b dy·(x − μ) (dy = da·[s·x + t > 0], which is da·[a > 0]) of the features
/// `features` (of `stride` per column) over `columns`, in column order, eight features to a
/// vector.
private func gradientSums<Scalar: KernelScalar>(
  x: UnsafePointer<Scalar>, da: UnsafePointer<Scalar>, mean: UnsafePointer<Scalar>,
  scale: UnsafePointer<Scalar>, shift: UnsafePointer<Scalar>, features: Range<Int>,
  stride d: Int, columns: Range<Int>, into sumDy: UnsafeMutablePointer<Scalar>,
  _ sumDyCentred: UnsafeMutablePointer<Scalar>
) {
  let (lower, upper) = (features.lowerBound, features.upperBound)
  let vectorEnd = lower + (upper - lower) - (upper - lower) % 8
  (sumDy + lower).update(repeating: 0, count: upper - lower)
  (sumDyCentred + lower).update(repeating: 0, count: upper - lower)
  for b in columns {
    let xc = x + b * d
    let dac = da + b * d
    var f = lower
    while f < vectorEnd {
      let x8 = load8(xc, f)
      let dy = Scalar.gated(load8(dac, f), by: x8 * load8(scale, f) + load8(shift, f))
      store8(load8(sumDy, f) + dy, sumDy, f)
      store8(load8(sumDyCentred, f) + dy * (x8 - load8(mean, f)), sumDyCentred, f)
      f += 8
    }
    while f < upper {
      let dy = xc[f] * scale[f] + shift[f] > 0 ? dac[f] : 0
      sumDy[f] += dy
      sumDyCentred[f] += dy * (xc[f] - mean[f])
      f += 1
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
