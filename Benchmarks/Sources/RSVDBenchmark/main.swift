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
  let denseRepeats = n <= 1024 ? 7 : 3
  var denseFull = [Double]()
  var denseValues = [Double]()
  var reference = SingularValueDecomposition<Double>(
    u: Matrix(rows: 0, columns: 0), singularValues: [], v: Matrix(rows: 0, columns: 0))
  for _ in 0..<denseRepeats {
    denseFull.append(try seconds { reference = try a.singularValueDecomposition() })
    denseValues.append(try seconds { _ = try a.singularValues() })
  }
  /// Median seconds of Algorithm 971 in one precision, without and with the error estimate,
  /// and the worst relative error of its top σ against dgesdd.
  func timeRandomized(_ precision: RandomizedSVD.Precision) throws
    -> (plain: Double, estimate: Double, error: Double, result: RandomizedSVDResult<Double>)
  {
    var plain = [Double]()
    var withEstimate = [Double]()
    var result: RandomizedSVDResult<Double>?
    for r in 0..<repeats {
      var g = SeededGenerator(seed: UInt64(r))
      plain.append(
        try seconds {
          result = try RandomizedSVD.svd(
            of: a, rank: rank, oversampling: oversampling, powerIterations: iterations,
            errorEstimateIterations: 0, precision: precision, using: &g)
        })
      var g2 = SeededGenerator(seed: UInt64(r))
      withEstimate.append(
        try seconds {
          result = try RandomizedSVD.svd(
            of: a, rank: rank, oversampling: oversampling, powerIterations: iterations,
            precision: precision, using: &g2)
        })
    }
    let top = Array(reference.singularValues.prefix(rank))
    var maxRelative = 0.0
    for (x, y) in zip(result!.singularValues, top) {
      maxRelative = max(maxRelative, abs(x - y) / y)
    }
    return (median(plain), median(withEstimate), maxRelative, result!)
  }
  let tFull = median(denseFull)
  let tValues = median(denseValues)
  print("")
  print("n = \(n), medians of \(repeats) rsvd / \(denseRepeats) dense runs:")
  print("  dense SVD, U Σ V (dgesdd 'S'):             \(format(tFull, 4)) s")
  print("  dense SVD, values only (dgesdd 'N'):       \(format(tValues, 4)) s")
  for precision in RandomizedSVD.Precision.allCases {
    let r = try timeRandomized(precision)
    print(
      "  rsvd top \(rank), T = \(iterations), \(precision.rawValue) precision (\(r.result.method.rawValue)):"
    )
    print(
      "    time \(format(r.plain, 4)) s, \(format(r.estimate, 4)) s with the error estimate "
        + "(20 its, 10 probes)")
    print(
      "    speed-up vs full dense SVD:  \(format(tFull / r.plain, 1))× "
        + "(\(format(tFull / r.estimate, 1))× with the error estimate)")
    print(
      "    speed-up vs values-only SVD: \(format(tValues / r.plain, 1))× "
        + "(\(format(tValues / r.estimate, 1))× with the error estimate)")
    print("    max relative error of the top \(rank) σ vs dgesdd: \(r.error) (tolerance 1e-8)")
    print(
      "    ‖A − UΣVᵀ‖₂ estimate \(r.result.error!.estimate) (σ\(rank + 1) = "
        + "\(reference.singularValues[rank]))")
  }
  // Where the mixed-precision time goes: its parts, each timed alone (medians).
  let l = rank + oversampling
  var partRng = SeededGenerator(seed: 99)
  let block: Matrix<Double> = Gaussian.matrix(rows: n, columns: l, using: &partRng)
  let block32 = block.converted(to: Float.self)
  var a32 = a.converted(to: Float.self)
  let tConvert = median(
    try (0..<repeats).map { _ in seconds { a32 = a.converted(to: Float.self) } })
  let tProduct32 = median(try (0..<repeats).map { _ in seconds { _ = a32.apply(block32) } })
  let tProductT32 = median(
    try (0..<repeats).map { _ in seconds { _ = a32.applyTransposed(block32) } })
  let tProduct64 = median(try (0..<repeats).map { _ in seconds { _ = a.apply(block) } })
  let tLU32 = median(
    try (0..<repeats).map { _ in
      var x = block32
      return try seconds { try x.luNormalize() }
    })
  var gaussianRng = SeededGenerator(seed: 5)
  let tGaussian = median(
    (0..<repeats).map { _ in
      seconds { let _: Matrix<Double> = Gaussian.matrix(rows: n, columns: l, using: &gaussianRng) }
    })
  let tQR = median(try (0..<repeats).map { _ in try seconds { _ = try block.orthonormalized() } })
  let tSmallSVD = median(
    try (0..<repeats).map { _ in try seconds { _ = try block.singularValueDecomposition() } })
  let floor = tConvert + Double(iterations) * (tProduct32 + tProductT32) + 2 * tProduct64
  print("  parts of the mixed-precision run (n×\(l) blocks):")
  print(
    "    Float64→Float32 copy of A \(format(tConvert, 4)) s; sgemm A·X \(format(tProduct32, 4)) s, "
      + "Aᵀ·X \(format(tProductT32, 4)) s (\(format(2 * Double(n * n * l) / tProduct32 / 1e9, 0)) GFLOP/s); "
      + "dgemm A·X \(format(tProduct64, 4)) s (\(format(2 * Double(n * n * l) / tProduct64 / 1e9, 0)) GFLOP/s); "
      + "sgetrf-normalise \(format(tLU32, 5)) s")
  print(
    "    Gaussian test matrix \(format(tGaussian, 5)) s; QR of an n×\(l) block \(format(tQR, 5)) s; "
      + "dgesdd of an n×\(l) block \(format(tSmallSVD, 5)) s")
  print(
    "    copy + \(2 * iterations) sgemm + 2 dgemm = \(format(floor, 4)) s: the products' floor "
      + "(= \(format(tFull / floor, 1))× the dense SVD)")
  print("  BLAS core \(blas.core), \(blas.threads) threads; load average \(loadAverage())")
}
