// Matrix-free Residual Jacobians of a convolutional ResNet and Algorithm 971 on them.
//
// 1. Speed: the top 30 singular triplets (Algorithm 971, T = 20, oversampling 10) of all 16
//    blocks of a Type 2 network (D = 16,384) at one Fashion-MNIST input: seconds, and the
//    GFLOP/s of the J·V and Jᵀ·U products against dgemm's rate on the products' own lowered
//    shape (64 × 576 × 256·40), measured in the same run.
// 2. Accuracy: the top-10 singular values of every block of a Type 5a network from the
//    matrix-free path against the dense Jacobian built column by column from J·e_k (LAPACK's
//    dgesdd), relative difference, with Algorithm 971's error estimate. At --side 16 (default)
//    the images are 16×16 and D = 64·8·8 = 4096, so that the dense SVD stays cheap on a shared
//    machine; --side 28 gives the paper's D = 16,384 (a dense 16,384² SVD: minutes).
//
// The networks are PyTorch-initialised with perturbed BatchNorm statistics, or read from
// --checkpoint (a Type 2 checkpoint for part 1).
//
// A third line separates the products from the algorithm: Algorithm 971 on the dense J (the same
// seed, so the same test matrix) against Algorithm 971 on the matrix-free J — equal up to
// rounding when the products are exact, whatever the spectrum.
//
// Usage: swift run -c release ConvJacobianBenchmark [--data DIR] [--checkpoint FILE] [--side 16]
//          [--type2-blocks 16 (0 skips part 1)] [--type5a-blocks 8] [--type5a-checkpoint FILE]
//          [--iterations 20,40,80,160]

import Empirical
import Foundation
import LinearAlgebra

func option(_ name: String, default value: String) -> String {
  let args = CommandLine.arguments
  if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
  return value
}

func seconds(_ d: Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func progress(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// A result line on stdout, written at once (stdout to a file is block-buffered).
func report(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }

/// Counts the flops of the products it forwards.
final class Counter: @unchecked Sendable { var flops = 0.0 }
struct CountingOperator: LinearOperator {
  typealias Scalar = Double
  let base: ConvolutionalResidualJacobian
  let counter: Counter
  var rows: Int { base.rows }
  var columns: Int { base.columns }
  func apply(_ v: [Double]) -> [Double] {
    counter.flops += base.flops(vectors: 1)
    return base.apply(v)
  }
  func applyTransposed(_ v: [Double]) -> [Double] {
    counter.flops += base.flops(vectors: 1)
    return base.applyTransposed(v)
  }
  func apply(_ x: Matrix<Double>) -> Matrix<Double> {
    counter.flops += base.flops(vectors: x.columns)
    return base.apply(x)
  }
  func applyTransposed(_ x: Matrix<Double>) -> Matrix<Double> {
    counter.flops += base.flops(vectors: x.columns)
    return base.applyTransposed(x)
  }
}

func randomNetwork(_ type: String, image: ConvolutionalInput, seed: UInt64) -> ConvolutionalNetwork<
  Float
> {
  var rng = SeededGenerator(seed: seed)
  var m = ConvolutionalNetwork<Float>(
    architecture: ConvolutionalArchitecture.preset(type)!, image: image, classCount: 10,
    using: &rng)
  func perturb(_ n: inout BatchNorm<Float>) {
    for k in n.weight.indices {
      let u = Double(rng.next() >> 11) * 0x1p-53
      n.weight[k] = Float(0.5 + u)
      n.runningMean[k] = Float(0.2 * (u - 0.5))
      n.runningVariance[k] = Float(0.5 + u)
    }
  }
  perturb(&m.bn0)
  for i in m.blocks.indices {
    perturb(&m.blocks[i].bn1)
    perturb(&m.blocks[i].bn2)
  }
  return m
}

let directory = option("--data", default: "/usr/share/datasets/fashion-mnist")
let side = Int(option("--side", default: "16"))!
let type2Blocks = Int(option("--type2-blocks", default: "16"))!
let type5aBlocks = Int(option("--type5a-blocks", default: "8"))!
let blas = BLASEnvironment.current
let data: ImageClassificationData
do {
  data = try ImageClassificationData(directory: directory)
} catch {
  progress("error: --data: \(error)")
  exit(64)
}
let clock = ContinuousClock()
report("ConvJacobianBenchmark — BLAS: \(blas.core), \(blas.threads) threads")

// MARK: 1. Type 2, all 16 blocks, top 30, one input (--type2-blocks 0 skips it).
if type2Blocks > 0 {
  let type2: ConvolutionalNetwork<Float>
  if let path = CommandLine.arguments.firstIndex(of: "--checkpoint").map({
    CommandLine.arguments[$0 + 1]
  }) {
    var c = try Checkpoint(contentsOf: path).network.convolutional!
    c.image = ConvolutionalInput(channels: 1, side: 28, padding: 2)
    type2 = c
  } else {
    type2 = randomNetwork(
      "2", image: ConvolutionalInput(channels: 1, side: 28, padding: 2), seed: 2)
  }
  let network = ConvolutionalEvaluationNetwork(type2)
  let x = Array(data.train.features[0..<784]).map(Double.init)
  let trajectory = network.trajectory(x)
  let counter = Counter()
  var rng = SeededGenerator(seed: 0)
  let start = clock.now
  var sigma1 = [Double]()
  for i in 0..<min(type2Blocks, network.depth) {
    let j = CountingOperator(
      base: network.residualJacobian(block: i, at: trajectory[i]), counter: counter)
    let r = try RandomizedSVD.svd(of: j, rank: 30, errorEstimateIterations: 0, using: &rng)
    sigma1.append(r.decomposition.singularValues[0])
    progress("block \(i + 1): σ₁ = \(r.decomposition.singularValues[0])")
  }
  let total = seconds(clock.now - start)
  // dgemm on the products' shape: C (64 × 256·40) = W (64 × 576) · cols (576 × 256·40).
  let (m, k, n) = (64, 576, 256 * 40)
  var a = Matrix<Double>(rows: m, columns: k, repeating: 0.01)
  var b = Matrix<Double>(rows: k, columns: n, repeating: 0.02)
  _ = a * b
  var reps = 0
  let gemmStart = clock.now
  while seconds(clock.now - gemmStart) < 2 || reps < 3 {
    _ = a * b
    reps += 1
  }
  let gemmRate = Double(reps) * 2 * Double(m * k * n) / seconds(clock.now - gemmStart)
  a = Matrix(rows: 1, columns: 1)
  b = Matrix(rows: 1, columns: 1)
  report(
    String(
      format: "Type 2 (D = %d), %d of 16 blocks, top 30 (T = 20, p = 10), one input: %.1f s "
        + "(%.1f s per block); products %.1f GFLOP in all", network.representationSize(at: 1),
      min(type2Blocks, network.depth), total, total / Double(min(type2Blocks, network.depth)),
      counter.flops / 1e9))
  report(
    String(
      format:
        "  products' rate over the whole SVD time: %.1f GFLOP/s; dgemm %d×%d×%d: %.1f GFLOP/s; "
        + "ratio %.1f%%", counter.flops / total / 1e9, m, k, n, gemmRate / 1e9,
      100 * counter.flops / total / gemmRate))
}

// MARK: 2. Type 5a accuracy: matrix-free top 10 vs the dense Jacobian's.
let image =
  side == 28
  ? ConvolutionalInput(channels: 1, side: 28, padding: 2)
  : ConvolutionalInput(channels: 1, side: side, padding: 0)
let type5aModel: ConvolutionalNetwork<Float>
let type5aSource: String
if let path = CommandLine.arguments.firstIndex(of: "--type5a-checkpoint").map({
  CommandLine.arguments[$0 + 1]
}) {
  // Convolution weights do not depend on the image size: the trained blocks apply to a crop.
  var c = try Checkpoint(contentsOf: path).network.convolutional!
  c.image = image
  type5aModel = c
  type5aSource = "trained checkpoint \((path as NSString).lastPathComponent)"
} else {
  type5aModel = randomNetwork("5a", image: image, seed: 5)
  type5aSource = "PyTorch initialisation, perturbed BatchNorm statistics"
}
let type5a = ConvolutionalEvaluationNetwork(type5aModel)
// T for Algorithm 971: the paper's 20, then more, to separate the algorithm's convergence (a
// property of the spectrum's decay past σ₁₀) from the products' accuracy.
let iterationCounts = option("--iterations", default: "20,40,80,160").split(separator: ",").map {
  Int($0)!
}
// A Fashion-MNIST image cut to side×side (its centre), or the whole image at --side 28.
let offset = (28 - side) / 2
var cropped = [Double]()
for y in 0..<side {
  for xx in 0..<side {
    cropped.append(Double(data.train.features[(y + offset) * 28 + xx + offset]))
  }
}
let path = type5a.trajectory(cropped)
var worst = [Double](repeating: 0, count: iterationCounts.count)
var worstEstimate = [Double](repeating: 0, count: iterationCounts.count)
var worstSameSeed = 0.0
var denseSeconds = 0.0
for i in 0..<min(type5aBlocks, type5a.depth) {
  let j = type5a.residualJacobian(block: i, at: path[i])
  // Dense: J·e_k for every k, in blocks of 512 columns.
  let denseStart = clock.now
  var dense = Matrix<Double>(rows: j.rows, columns: j.columns)
  var first = 0
  while first < j.columns {
    let count = min(512, j.columns - first)
    var e = Matrix<Double>(rows: j.columns, columns: count)
    for c in 0..<count { e[first + c, c] = 1 }
    let part = j.apply(e)
    for c in 0..<count { dense.setColumn(first + c, to: part.column(c)) }
    first += count
  }
  let exact = try dense.singularValues()
  denseSeconds += seconds(clock.now - denseStart)
  progress(
    "5a block \(i + 1): σ₁ \(exact[0]), σ₁₀ \(exact[9]), σ₁₁ \(exact[10]), σ₂₁ \(exact[20]); "
      + "σ₂₁/σ₁₀ = \(exact[20] / exact[9])")
  for (t, iterations) in iterationCounts.enumerated() {
    var seeded = SeededGenerator(seed: UInt64(100 + i))
    let r = try RandomizedSVD.svd(of: j, rank: 10, powerIterations: iterations, using: &seeded)
    let error = (0..<10).map { abs(r.decomposition.singularValues[$0] - exact[$0]) / exact[$0] }
      .max()!
    worst[t] = max(worst[t], error)
    worstEstimate[t] = max(worstEstimate[t], (r.error?.estimate ?? .nan) / exact[0])
    progress(
      "5a block \(i + 1), T = \(iterations): top-10 max |Δσ_k|/σ_k \(error); error estimate "
        + "\((r.error?.estimate ?? .nan) / exact[0]) (σ₁₁/σ₁ \(exact[10] / exact[0]))")
    if t == 0 {
      var same = SeededGenerator(seed: UInt64(100 + i))
      let d = try RandomizedSVD.svd(of: dense, rank: 10, powerIterations: iterations, using: &same)
      let sameSeed = (0..<10).map {
        abs(r.decomposition.singularValues[$0] - d.decomposition.singularValues[$0]) / exact[$0]
      }.max()!
      worstSameSeed = max(worstSameSeed, sameSeed)
    }
  }
}
let blocks5a = min(type5aBlocks, type5a.depth)
report(
  String(
    format: "Type 5a (%@; D = %d, %d×%d inputs), %d blocks: dense J from J·e_k and dgesdd in "
      + "%.1f s", type5aSource, type5a.representationSize(at: 1), side, side, blocks5a,
    denseSeconds))
for (t, iterations) in iterationCounts.enumerated() {
  report(
    String(
      format: "  T = %3d: top-10 σ matrix-free vs dense: max |Δσ_k|/σ_k %.2e (target 1e-10: %@); "
        + "Algorithm 971's error estimate ‖J − UΣVᵀ‖/σ₁ at most %.2e", iterations, worst[t],
      worst[t] <= 1e-10 ? "met" : "not met", worstEstimate[t]))
}
report(
  String(
    format: "  Algorithm 971 matrix-free vs Algorithm 971 on the dense J, same seed and T = %d: "
      + "max |Δσ_k|/σ_k %.2e (the products' own error)", iterationCounts[0], worstSameSeed))
