// Algorithm 971 (top 30, T = 20) against LAPACK's dense SVD, timed in the same process.
// Issue 6's targets: ≥ 3× faster at 512×512, ≥ 30× faster at 4096×4096.
//
// Usage: swift run -c release RSVDBenchmark [sizes…]   (default: 512 4096)
// Set OPENBLAS_NUM_THREADS to fix the thread count; the BLAS core and threads are printed.

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

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func format(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

/// Q₁·diag(1/i)·Q₂ᵀ with Haar-random Q₁, Q₂: a slowly decaying spectrum, like a Jacobian's.
func testMatrix(_ n: Int, using rng: inout SeededGenerator) throws -> Matrix<Double> {
  let q1: Matrix<Double> = try Gaussian.orthogonalMatrix(n, using: &rng)
  let q2: Matrix<Double> = try Gaussian.orthogonalMatrix(n, using: &rng)
  var scaled = q1
  for j in 0..<n { for i in 0..<n { scaled[i, j] /= Double(j + 1) } }
  return scaled.multiplied(by: q2, transposingOther: true)
}

let sizes = CommandLine.arguments.dropFirst().compactMap(Int.init)
let blas = BLASEnvironment.current
let rank = 30
let iterations = 20
let oversampling = RandomizedSVD.defaultOversampling
print("RSVDBenchmark: top \(rank) singular values, T = \(iterations), p = \(oversampling), seed 0")
print("BLAS core \(blas.core), \(blas.threads) threads")
/// The 1-minute load average (Linux), printed because other processes slow memory-bound BLAS.
func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
    .split(separator: " ").first.map(String.init) ?? "unknown"
}
print("load average at start: \(loadAverage())")
for n in sizes.isEmpty ? [512, 4096] : sizes {
  var rng = SeededGenerator(seed: 0)
  let a = try testMatrix(n, using: &rng)
  let repeats = n <= 1024 ? 7 : 3
  let denseRepeats = n <= 1024 ? 7 : 1
  var denseFull = [Double]()
  var denseValues = [Double]()
  var reference = SingularValueDecomposition<Double>(
    u: Matrix(rows: 0, columns: 0), singularValues: [], v: Matrix(rows: 0, columns: 0))
  for _ in 0..<denseRepeats {
    denseFull.append(try seconds { reference = try a.singularValueDecomposition() })
    denseValues.append(try seconds { _ = try a.singularValues() })
  }
  var randomized = [Double]()
  var withEstimate = [Double]()
  var result: RandomizedSVDResult<Double>?
  for r in 0..<repeats {
    var g = SeededGenerator(seed: UInt64(r))
    randomized.append(
      try seconds {
        result = try RandomizedSVD.svd(
          of: a, rank: rank, oversampling: oversampling, powerIterations: iterations,
          errorEstimateIterations: 0, using: &g)
      })
    var g2 = SeededGenerator(seed: UInt64(r))
    withEstimate.append(
      try seconds {
        result = try RandomizedSVD.svd(
          of: a, rank: rank, oversampling: oversampling, powerIterations: iterations, using: &g2)
      })
  }
  let top = Array(reference.singularValues.prefix(rank))
  var maxRelative = 0.0
  for (x, y) in zip(result!.singularValues, top) { maxRelative = max(maxRelative, abs(x - y) / y) }
  let tRandom = median(randomized)
  let tEstimate = median(withEstimate)
  let tFull = median(denseFull)
  let tValues = median(denseValues)
  print("")
  print(
    "n = \(n) (\(result!.method.rawValue)), medians of \(repeats) rsvd / \(denseRepeats) dense "
      + "runs:")
  print("  rsvd top \(rank), T = \(iterations):             \(format(tRandom, 4)) s")
  print("  rsvd + error estimate (20 its, 10 probes):  \(format(tEstimate, 4)) s")
  print("  dense SVD, U Σ V (dgesdd 'S'):             \(format(tFull, 4)) s")
  print("  dense SVD, values only (dgesdd 'N'):       \(format(tValues, 4)) s")
  print("  speed-up vs full dense SVD:    \(format(tFull / tRandom, 1))× "
    + "(\(format(tFull / tEstimate, 1))× with the error estimate)")
  print("  speed-up vs values-only SVD:   \(format(tValues / tRandom, 1))× "
    + "(\(format(tValues / tEstimate, 1))× with the error estimate)")
  print("  max relative error of the top \(rank) σ vs dgesdd: \(maxRelative)")
  print("  ‖A − UΣVᵀ‖₂ estimate \(result!.error!.estimate) (σ\(rank + 1) = "
    + "\(reference.singularValues[rank]))")
  print("  BLAS core \(blas.core), \(blas.threads) threads; load average \(loadAverage())")
}
