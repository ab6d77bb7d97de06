// The Jacobian stage of `ujm measure`: all L Residual Jacobians of a width-D fully-connected
// network at N inputs, each with its top-30 singular triplets (Algorithm 971, T = 20).
// Issue 6's target for a Type 1 network (L = 16, D = 512), N = 20: ≤ 4 s on 2 threads.
//
// Usage: swift run -c release JacobianBenchmark [blocks] [width] [inputs]   (default 16 512 20)
// Random weights with about half the units active, as in a trained network; the Jacobian stage
// costs the same for any weights with the same activity. Prints the fraction of dgemm's rate
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

let arguments = CommandLine.arguments.dropFirst().compactMap(Int.init)
let blocks = arguments.count > 0 ? arguments[0] : 16
let d = arguments.count > 1 ? arguments[1] : 512
let inputs = arguments.count > 2 ? arguments[2] : 20
let rank = 30
let blas = BLASEnvironment.current
print("JacobianBenchmark: L = \(blocks), D = \(d), \(inputs) inputs, top \(rank), T = 20, seed 0")
print("BLAS core \(blas.core), \(blas.threads) threads; load average \(loadAverage())")

var rng = SeededGenerator(seed: 0)
let branches = (0..<blocks).map { _ -> ResidualBranch in
  let w1: Matrix<Double> = Gaussian.matrix(rows: d, columns: d, using: &rng)
  let w2: Matrix<Double> = Gaussian.matrix(rows: d, columns: d, using: &rng)
  return ResidualBranch(
    w1: w1.scaled(by: 1 / Double(d).squareRoot()), scale1: [Double](repeating: 1, count: d),
    shift1: [Double](repeating: 0, count: d),
    w2: w2.scaled(by: 1 / Double(d).squareRoot()), scale2: [Double](repeating: 1, count: d),
    shift2: [Double](repeating: 0, count: d))
}
let points: [[Double]] = (0..<inputs).map { _ in Gaussian.sample(d, using: &rng) }

// dgemm's rate on this machine now, n = 1024.
let g: Matrix<Double> = Gaussian.matrix(rows: 1024, columns: 1024, using: &rng)
var sink = 0.0
let gemmSeconds = seconds { for _ in 0..<3 { sink += (g * g)[0, 0] } } / 3
let gemmRate = 2 * pow(1024, 3) / gemmSeconds / 1e9

var buildSeconds = 0.0
var productSeconds = 0.0
var svdSeconds = 0.0
var estimateSeconds = 0.0
var activeFraction = 0.0
var flops = 0.0
let l = Double(rank + RandomizedSVD.defaultOversampling)
for h in points {
  for branch in branches {
    var j: ResidualJacobian?
    buildSeconds += seconds { j = branch.jacobian(at: h) }
    var k: Matrix<Double>?
    productSeconds += seconds { k = j!.compressed }
    let a1 = Double(j!.activeInputs.count)
    let a2 = Double(j!.activeHidden.count)
    activeFraction += a1 / Double(d) / Double(blocks * inputs)
    // Forming K (D×|A2|·|A2|×|A1|) and 42 products with K, plus the final products.
    flops += 2 * Double(d) * a2 * a1 + 42 * 2 * Double(d) * a1 * l
    var g2 = SeededGenerator(seed: 0)
    svdSeconds += try seconds {
      _ = try RandomizedSVD.svd(of: k!, rank: rank, errorEstimateIterations: 0, using: &g2)
    }
    var g3 = SeededGenerator(seed: 0)
    estimateSeconds += try seconds {
      _ = try RandomizedSVD.svd(of: k!, rank: rank, using: &g3)
    }
  }
}
estimateSeconds -= svdSeconds
let formSeconds = buildSeconds + productSeconds
let total = formSeconds + svdSeconds
print("")
print("active input units per block: \(format(100 * activeFraction, 1))%")
print("form J (compressed to its nonzero columns): \(format(formSeconds)) s "
  + "(masks and gathers \(format(buildSeconds)) s, product \(format(productSeconds)) s)")
print("top-\(rank) randomized SVD of every J:          \(format(svdSeconds)) s")
print("Jacobian stage (form + SVD):                \(format(total)) s  (target ≤ 4 s)")
print("  + error estimates (20 its, 10 probes):    \(format(estimateSeconds)) s")
print("Jacobian stage rate: \(format(flops / total / 1e9, 1)) GFLOP/s = "
  + "\(format(100 * flops / total / 1e9 / gemmRate, 1))% of dgemm's \(format(gemmRate, 1)) GFLOP/s "
  + "(n = 1024, same run)")
print("BLAS core \(blas.core), \(blas.threads) threads; load average \(loadAverage())")
if sink.isNaN { print(sink) }
