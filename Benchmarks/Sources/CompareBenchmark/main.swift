// `ujm compare` on a trained binary checkpoint (issue 11: 10 pairs on a Type 4a checkpoint):
// the whole comparison, and the share of its time in the residual Jacobians and their top-rank
// SVDs (3 points per pair — x_mid, x_a, x_b — times L blocks), re-timed on the same points in
// the same run. The baseline is that Jacobian+SVD stage: compare's time is printed as a ratio
// to it, with the boundary search (forward passes only) as a second ratio. Issue 22: the cost of
// the intervals, nulls and new rows (the prediction table with its 2,000-resample bootstraps, and
// the exact ‖J_i‖_F and A_iᵀw at x_mid), re-timed on the same measurements, as a ratio of
// compare to compare without them (issue 22 asks for at most 1.5).
//
// Issue 22, convolutional (`--conv`): a conv compare at D = 16,384 per pair (Type 5a's shape: 8
// blocks of 64 channels at 16×16, on 28×28 inputs padded to 32×32), against the same Jacobians
// and Algorithm 971 triplets alone in the same run (ConvolutionalCompare.swift).
//
// Usage: swift run -c release CompareBenchmark CHECKPOINT.safetensors [DATA_DIR] [pairs] [rank]
//        (defaults: /usr/share/datasets/fashion-mnist, 10 pairs, rank 10)
//        swift run -c release CompareBenchmark --conv [pairs] [rank]   (defaults: 2 pairs, 10)

import Comparison
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
if arguments.first == "--conv" {
  let numbers = arguments.compactMap(Int.init)
  try convolutionalCompareBenchmark(
    pairs: numbers.first ?? 2, rank: numbers.count > 1 ? numbers[1] : 10)
  exit(0)
}
guard let checkpointPath = arguments.first(where: { $0.hasSuffix(".safetensors") }) else {
  print("usage: CompareBenchmark CHECKPOINT.safetensors [DATA_DIR] [pairs] [rank]")
  exit(64)
}
let dataDirectory =
  arguments.first { !$0.hasSuffix(".safetensors") && Int($0) == nil }
  ?? "/usr/share/datasets/fashion-mnist"
let numbers = arguments.compactMap(Int.init)
let pairCount = numbers.first ?? 10
let rank = numbers.count > 1 ? numbers[1] : 10
let blas = BLASEnvironment.current

let checkpoint = try Checkpoint(contentsOf: checkpointPath)
guard checkpoint.model.classCount == 2 else {
  print("\(checkpointPath): \(checkpoint.model.classCount) classes; needs a binary checkpoint")
  exit(64)
}
let network = EvaluationNetwork(checkpoint.model)
let standardisation: (mean: Float, std: Float)? =
  if let m = checkpoint.metadata.inputMean, let s = checkpoint.metadata.inputStd { (m, s) } else {
    nil
  }
let data = try ImageClassificationData(
  directory: dataDirectory, classes: checkpoint.metadata.classes,
  standardisation: standardisation)
let train = data.train
let d0 = train.featureCount
func input(_ n: Int) -> [Double] { train.features[(n * d0)..<((n + 1) * d0)].map(Double.init) }
let labels = train.labels.map(Int.init)
var rng = SeededGenerator(seed: 0)
let chosen = PairSelection.draw(
  count: pairCount, labels: labels,
  isCorrect: { (network.margin(input($0)) > 0) == (labels[$0] == 1) }, using: &rng)!
let pairs = chosen.map { InputPair(a: $0.a, b: $0.b, xa: input($0.a), xb: input($0.b)) }

print(
  "CompareBenchmark: \(checkpointPath), L = \(network.depth), D = \(network.width), "
    + "\(pairCount) pairs, rank \(rank)")
print("BLAS core \(blas.core), \(blas.threads) threads; load average \(loadAverage())")

var comparison: TheoryComparison!
let total = try seconds {
  comparison = try TheoryComparison.compare(
    network: network, pairs: pairs, rank: rank, seed: 0)
}
// The same Jacobians and SVDs, alone: x_mid and both inputs of every pair with a boundary.
var trajectories = [[[Double]]]()
for (p, m) in zip(pairs, comparison.pairs) where m.boundary != nil {
  trajectories += [m.boundary!.trajectory, network.trajectory(p.xa), network.trajectory(p.xb)]
}
var svdRNG = SeededGenerator(seed: 0)
let jacobians = try seconds {
  for h in trajectories {
    for (i, branch) in network.branches.enumerated() {
      _ = try branch.jacobian(at: h[i]).topSingularTriplets(
        rank: rank, errorEstimateIterations: 0, using: &svdRNG)
    }
  }
}
let search = seconds {
  for p in pairs { _ = PairMeasurement.boundaryPoint(network: network, pair: p) }
}
// Issue 22's additions, alone: the rows (bootstraps, nulls, stationarity, symmetry, growth) and
// the boundary extras (‖J_i‖_F from the compressed Jacobians, g_i = A_{i−1}ᵀw).
let rowsOnly = seconds {
  _ = PredictionTable.rows(
    pairs: comparison.pairs, live: comparison.liveBlocks, skips: network.skips, seed: 0)
}
let extras = seconds {
  for b in comparison.pairs.compactMap(\.boundary) {
    let norms = b.jacobians.indices.map { i in
      network.frobeniusNorm(
        of: b.jacobians[i] as! ResidualJacobian, triplets: b.decompositions[i], using: &svdRNG)
    }
    _ = BoundaryJacobians(
      trajectory: b.trajectory, jacobians: b.jacobians, decompositions: b.decompositions,
      classifierJacobian: b.classifierJacobian, frobeniusNorms: norms, skips: network.skips)
  }
}
let measured = comparison.pairs.filter { $0.boundary != nil }.count
print("pairs with a boundary point: \(measured) of \(pairCount)")
print("compare, total: \(format(total)) s (\(format(total / Double(pairCount))) s per pair)")
print(
  "Jacobians + top-\(rank) SVDs (\(trajectories.count) points × \(network.depth) blocks): "
    + "\(format(jacobians)) s — share of compare \(format(100 * jacobians / total, 1))%")
print(
  "boundary search (forward passes): \(format(search)) s — share of compare "
    + "\(format(100 * search / total, 1))%")
print(
  "ratios: compare / (Jacobians + SVDs) = \(format(total / jacobians, 2)), "
    + "compare / boundary search = \(format(total / search, 1))")
print(
  "issue 22's intervals, nulls and new rows: table \(format(rowsOnly)) s + ‖J‖_F and Aᵀw "
    + "\(format(extras)) s — compare / (compare without them) = "
    + "\(format(total / (total - rowsOnly - extras), 3)) (issue 22: at most 1.5)")
