// Issue 22: the cost of `ujm compare` on a convolutional network at D = 16,384 per pair. The
// network is Type 5a's shape (8 blocks of 64 channels at 16×16 after a stride-2 stem on 28×28
// inputs padded to 32×32) at PyTorch's initialisation with trained-looking BatchNorm statistics
// (the cost does not depend on the weights); the inputs are Gaussian, paired across the
// network's own boundary. Baseline, in the same run: the same Jacobians and their top-rank
// Algorithm 971 triplets (T = 20) at the same 3 points per pair (x_mid, x_a, x_b), which is
// what `ujm measure` does per input. The ratio compare / baseline is what the comparison adds:
// the boundary search, ‖J_i‖_F (Hutch++), δ propagation, A_iᵀw, RA1/RA2 and the rows with
// their bootstraps and nulls.
//
// Measured (2026-12-07, `--conv 1 10`, BLAS core Cooperlake, 1 thread, on the shared 2-core
// machine at load average 6.1 at start and end): conv compare 156.4 s per pair, baseline 107.8 s,
// ratio 1.451; Hutch++ for the 8 boundary Jacobians 2.9 s (relative standard error median
// 0.0022).

import Comparison
import Empirical
import Foundation
import LinearAlgebra

/// Progress lines, unbuffered on stderr.
struct StandardError: TextOutputStream {
  mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
nonisolated(unsafe) var standardError = StandardError()

func convolutionalCompareBenchmark(pairs pairCount: Int, rank: Int) throws {
  var rng = SeededGenerator(seed: 22)
  var model = ConvolutionalNetwork<Float>(
    architecture: ConvolutionalArchitecture.preset("5a")!,
    image: ConvolutionalInput(channels: 1, side: 28, padding: 2), classCount: 2, using: &rng)
  func perturb(_ bn: inout BatchNorm<Float>) {
    for k in 0..<bn.features {
      bn.weight[k] = Float(0.5 + Double(rng.next() % 1000) / 1000)
      bn.runningMean[k] = Float(Double(rng.next() % 1000) / 1000 - 0.5) * 0.2
      bn.runningVariance[k] = Float(0.5 + Double(rng.next() % 1000) / 1000)
    }
  }
  perturb(&model.bn0)
  for i in model.blocks.indices { perturb(&model.blocks[i].bn1) }
  perturb(&model.bnf)
  // The bias at the median margin of 2·pairs Gaussian inputs: about half fall on each side.
  let inputs = (0..<(2 * pairCount + 1)).map { _ -> [Double] in
    Gaussian.sample(model.inputSize, standardDeviation: 1, using: &rng)
  }
  let margins = ConvolutionalEvaluationNetwork(model).margins(
    Matrix(rows: model.inputSize, columns: inputs.count, storage: inputs.flatMap { $0 }))
  model.clsBias[1] -= Float(margins.sorted()[margins.count / 2])
  let network = ConvolutionalEvaluationNetwork(model)
  print("CompareBenchmark --conv: inputs drawn, classifier bias set", to: &standardError)
  var negative = [[Double]]()
  var positive = [[Double]]()
  while negative.count < pairCount || positive.count < pairCount {
    let x: [Double] = Gaussian.sample(network.inputSize, standardDeviation: 1, using: &rng)
    if network.margin(x) < 0 { negative.append(x) } else { positive.append(x) }
  }
  let pairs = (0..<pairCount).map {
    InputPair(a: 2 * $0, b: 2 * $0 + 1, xa: negative[$0], xb: positive[$0])
  }
  let blas = BLASEnvironment.current
  print(
    "CompareBenchmark --conv: Type 5a shape, L = \(network.depth), D = \(network.width) "
      + "(64 channels at 16×16), \(pairCount) pairs, rank \(rank), T = "
      + "\(RandomizedSVD.defaultPowerIterations), Hutch++ with \(FrobeniusNorm.probes) probes")
  print("BLAS core \(blas.core), \(blas.threads) threads; load average \(loadAverage())")
  var comparison: TheoryComparison!
  let total = try seconds {
    comparison = try TheoryComparison.compare(
      network: network, pairs: pairs, rank: rank, seed: 0
    ) { done, total in print("compare: pair \(done)/\(total) measured", to: &standardError) }
  }
  print("conv compare, total: \(format(total)) s", to: &standardError)
  var points = [[[Double]]]()
  for (p, m) in zip(pairs, comparison.pairs) where m.boundary != nil {
    points += [m.boundary!.trajectory, network.trajectory(p.xa), network.trajectory(p.xb)]
  }
  var svdRNG = SeededGenerator(seed: 0)
  var triplets = [SingularValueDecomposition<Double>]()
  let baseline = try seconds {
    for h in points {
      for i in 0..<network.depth {
        let j = network.residualJacobian(block: i, at: h[i])
        triplets.append(
          try network.topSingularTriplets(
            of: j, rank: rank, powerIterations: RandomizedSVD.defaultPowerIterations,
            using: &svdRNG
          ).decomposition)
      }
    }
  }
  // ‖J_i‖_F at x_mid alone (Hutch++ deflated by the triplets), re-timed.
  var errors = [Double]()
  let frobenius = try seconds {
    for (k, m) in comparison.pairs.filter({ $0.boundary != nil }).enumerated() {
      let b = m.boundary!
      for i in 0..<network.depth {
        let j = network.residualJacobian(block: i, at: b.trajectory[i])
        errors.append(
          try network.frobeniusNorm(
            of: j, triplets: triplets[3 * k * network.depth + i], using: &svdRNG
          ).relativeStandardError)
      }
    }
  }
  let measured = comparison.pairs.filter { $0.boundary != nil }.count
  print("pairs with a boundary point: \(measured) of \(pairCount)")
  print(
    "conv compare, total: \(format(total)) s (\(format(total / Double(pairCount))) s per pair)")
  print(
    "baseline, the same Jacobians + top-\(rank) triplets (\(points.count) points × "
      + "\(network.depth) blocks): \(format(baseline)) s")
  print(
    "‖J_i‖_F by Hutch++ at x_mid (\(errors.count) Jacobians): \(format(frobenius)) s, "
      + "relative standard error median \(format(errors.sorted()[errors.count / 2], 4))")
  print(
    "ratio: conv compare / (Jacobians + triplets) = \(format(total / baseline, 3)) at D = "
      + "\(network.width) per pair")
}
