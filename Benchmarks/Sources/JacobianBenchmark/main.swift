// The Jacobian stage of `ujm measure`: all L Residual Jacobians of a width-D fully-connected
// network at N inputs, each with its top-30 singular triplets (Algorithm 971, T = 20).
// Issue 6's target for a Type 1 network (L = 16, D = 512), N = 20: ≤ 4 s on 2 threads.
//
// Usage: swift run -c release JacobianBenchmark CHECKPOINT.safetensors [DATA_DIR] [inputs]
//    or: swift run -c release JacobianBenchmark [blocks] [width] [inputs]   (random weights,
//        default 16 512 20; about half the units active, as in a trained network)
// Also checks the top-30 σ against LAPACK's dense SVD on the first two inputs' Jacobians
// (issue 6: agreement to 1e-8 relative). Prints the fraction of dgemm's rate
// (measured in the same run at n = 1024) that the stage reaches.

import Empirical
import Foundation
import LinearAlgebra

func seconds(_ body: () throws -> Void) rethrows -> Double {
  let clock = ContinuousClock()
  let start = clock.now
  try body()
  let d = start.duration(to: clock.now)
  return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func format(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
    .split(separator: " ").first.map(String.init) ?? "unknown"
}

let arguments = Array(CommandLine.arguments.dropFirst())
let checkpointPath = arguments.first { $0.hasSuffix(".safetensors") }
let numbers = arguments.compactMap(Int.init)
let rank = 30
let blas = BLASEnvironment.current
var rng = SeededGenerator(seed: 0)

let branches: [ResidualBranch]
let points: [[Double]]
if let checkpointPath {
  // A trained network: its blocks, and the trajectories of 20 balanced training inputs.
  let dataDirectory =
    arguments.first { !$0.hasSuffix(".safetensors") && Int($0) == nil }
    ?? "/usr/share/datasets/fashion-mnist"
  let checkpoint = try Checkpoint(contentsOf: checkpointPath)
  let network = EvaluationNetwork(checkpoint.model)
  let standardisation: (mean: Float, std: Float)? =
    if let m = checkpoint.metadata.inputMean, let s = checkpoint.metadata.inputStd {
      (m, s)
    } else { nil }
  let data = try ImageClassificationData(
    directory: dataDirectory, classes: checkpoint.metadata.classes,
    standardisation: standardisation)
  let train = data.train
  let chosen = InputSelection.balanced(
    labels: train.labels.map(Int.init), classes: network.classCount,
    count: numbers.first ?? 20, using: &rng)!
  branches = network.branches
  points = chosen.flatMap { n -> [[Double]] in
    let x = train.features[(n * train.featureCount)..<((n + 1) * train.featureCount)]
    return Array(network.trajectory(x.map(Double.init)).prefix(network.depth))
  }
  print(
    "JacobianBenchmark: \(checkpointPath), L = \(network.depth), D = \(network.width), "
      + "\(chosen.count) training inputs, top \(rank), T = 20, seed 0")
} else {
  let blocks = numbers.count > 0 ? numbers[0] : 16
  let d = numbers.count > 1 ? numbers[1] : 512
  let inputs = numbers.count > 2 ? numbers[2] : 20
  branches = (0..<blocks).map { _ -> ResidualBranch in
    let w1: Matrix<Double> = Gaussian.matrix(rows: d, columns: d, using: &rng)
    let w2: Matrix<Double> = Gaussian.matrix(rows: d, columns: d, using: &rng)
    return ResidualBranch(
      w1: w1.scaled(by: 1 / Double(d).squareRoot()), scale1: [Double](repeating: 1, count: d),
      shift1: [Double](repeating: 0, count: d),
      w2: w2.scaled(by: 1 / Double(d).squareRoot()), scale2: [Double](repeating: 1, count: d),
      shift2: [Double](repeating: 0, count: d))
  }
  // Each input visits every block at its own random point.
  points = (0..<(inputs * blocks)).map { _ in Gaussian.sample(d, using: &rng) }
  print(
    "JacobianBenchmark: random weights, L = \(blocks), D = \(d), \(inputs) inputs, "
      + "top \(rank), T = 20, seed 0")
}
let blocks = branches.count
let d = branches[0].dimension
let inputs = points.count / blocks
print("BLAS core \(blas.core), \(blas.threads) threads; load average \(loadAverage())")

// dgemm's rate on this machine now, n = 1024.
let g: Matrix<Double> = Gaussian.matrix(rows: 1024, columns: 1024, using: &rng)
var sink = 0.0
let gemmSeconds = seconds { for _ in 0..<3 { sink += (g * g)[0, 0] } } / 3
let gemmRate = 2 * pow(1024, 3) / gemmSeconds / 1e9

// Forming every J (compressed to its nonzero columns) once; the SVDs are timed per precision.
var buildSeconds = 0.0
var productSeconds = 0.0
var activeFraction = 0.0
var formFlops = 0.0
var jacobians = [ResidualJacobian]()
var compressed = [Matrix<Double>]()
for n in 0..<inputs {
  for (i, branch) in branches.enumerated() {
    let h = points[n * blocks + i]
    var j: ResidualJacobian?
    buildSeconds += seconds { j = branch.jacobian(at: h) }
    var k: Matrix<Double>?
    productSeconds += seconds { k = j!.compressed }
    let a1 = Double(j!.activeInputs.count)
    let a2 = Double(j!.activeHidden.count)
    activeFraction += a1 / Double(d) / Double(blocks * inputs)
    // Forming K (D×|A2|·|A2|×|A1|).
    formFlops += 2 * Double(d) * a2 * a1
    jacobians.append(j!)
    if n < 2 { compressed.append(k!) }
  }
}
let formSeconds = buildSeconds + productSeconds
let l = Double(rank + RandomizedSVD.defaultOversampling)
print("")
print("active input units per block: \(format(100 * activeFraction, 1))%")
print(
  "form J (compressed to its nonzero columns): \(format(formSeconds)) s "
    + "(masks and gathers \(format(buildSeconds)) s, product \(format(productSeconds)) s)")

for precision in RandomizedSVD.Precision.allCases {
  var svdSeconds = 0.0
  var estimateSeconds = 0.0
  var flops = formFlops
  var denseCount = 0
  for j in jacobians {
    let a1 = Double(j.activeInputs.count)
    let dense = RandomizedSVD.denseIsCheaper(
      rows: d, columns: Int(a1), rank: rank, oversampling: RandomizedSVD.defaultOversampling,
      precision: precision)
    if dense { denseCount += 1 }
    // The SVD's flops, counted as Float64 flops whatever the precision.
    flops +=
      dense
      ? 4 * Double(d) * a1 * a1 + 22 * a1 * a1 * a1 : 4 * 21 * Double(d) * a1 * l
    var g2 = SeededGenerator(seed: 0)
    svdSeconds += try seconds {
      _ = try j.topSingularTriplets(
        rank: rank, errorEstimateIterations: 0, precision: precision, using: &g2)
    }
    var g3 = SeededGenerator(seed: 0)
    estimateSeconds += try seconds {
      _ = try j.topSingularTriplets(rank: rank, precision: precision, using: &g3)
    }
  }
  estimateSeconds -= svdSeconds
  // Accuracy against LAPACK's dense SVD of the D×D Jacobian, for the first two inputs:
  // Algorithm 971 itself (not the cost model's choice), on the nonzero part K.
  var worstDenseError = 0.0
  for (j, k) in zip(jacobians, compressed) {
    var g4 = SeededGenerator(seed: 0)
    let randomized = try RandomizedSVD.svd(
      of: k, rank: rank, errorEstimateIterations: 0, precision: precision, using: &g4)
    let dense = try j.materialized().singularValues()
    for (x, y) in zip(randomized.singularValues, dense.prefix(rank)) where y > 0 {
      worstDenseError = max(worstDenseError, abs(x - y) / y)
    }
  }
  let total = formSeconds + svdSeconds
  print("")
  print("\(precision.rawValue) precision power iterations:")
  print(
    "  top-\(rank) SVD of every J:                    \(format(svdSeconds)) s "
      + "(dense SVD chosen for \(denseCount) of \(blocks * inputs) Jacobians by the cost model)")
  print("  Jacobian stage (form + SVD):                \(format(total)) s  (target ≤ 4 s)")
  print("    + error estimates (20 its, 10 probes):    \(format(estimateSeconds)) s")
  print(
    "  Jacobian stage rate: \(format(flops / total / 1e9, 1)) GFLOP/s (Float64-equivalent) = "
      + "\(format(100 * flops / total / 1e9 / gemmRate, 1))% of dgemm's \(format(gemmRate, 1)) GFLOP/s "
      + "(n = 1024, same run)")
  print(
    "  Algorithm 971's top-\(rank) σ vs dense dgesdd on \(compressed.count) Jacobians: max relative "
      + "difference \(worstDenseError) (target ≤ 1e-8: \(worstDenseError <= 1e-8 ? "met" : "NOT met"))"
  )
}
print("BLAS core \(blas.core), \(blas.threads) threads; load average \(loadAverage())")
if sink.isNaN { print(sink) }
