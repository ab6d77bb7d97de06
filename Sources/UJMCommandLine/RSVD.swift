import ArgumentParser
import Empirical
import Foundation
import LinearAlgebra

/// `ujm rsvd`: the top singular values of a 2-D NumPy array by Algorithm 971 (section 2.4),
/// with an a-posteriori estimate of ‖A − U·Σ·Vᵀ‖₂.
struct RSVDCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rsvd",
    abstract: "Top singular values of a 2-D .npy array by randomized SVD (Algorithm 971).",
    discussion: """
      Reads a float64 or float32 array (C or Fortran order), computes in float64 and reports
      σ₁ ≥ … ≥ σ_k with an estimate of the spectral norm of what the rank-k approximation leaves
      out (subspace iteration; a lower estimate) and a bound that holds with probability
      ≥ 1 − 1e-10 (Halko, Martinsson & Tropp 2011, eq. 4.3). Falls back to the dense SVD when
      rank + oversampling ≥ min(m, n)/1.25.
      """)

  @Option(help: "A 2-D .npy file (float64 or float32, C or Fortran order).")
  var input: String

  @Option(parsing: .unconditional, help: "k, the number of singular values (1 ≤ k ≤ min(m, n)).")
  var rank: Int

  @Option(parsing: .unconditional, help: "p, extra columns of the Gaussian test matrix.")
  var oversampling: Int = RandomizedSVD.defaultOversampling

  @Option(parsing: .unconditional, help: "T, the number of power iterations (the paper uses 20).")
  var iterations: Int = RandomizedSVD.defaultPowerIterations

  @OptionGroup var seedOption: SeedOption

  @Option(
    help: ArgumentHelp(
      "Arithmetic of the power iterations: double (Algorithm 971 as published) or mixed "
        + "(Float32 iterations, Float64 final pass; faster, fewer digits for σ_k ≪ σ₁).",
      valueName: "double|mixed"))
  var precision: RandomizedSVD.Precision = .double

  @Option(help: "Also write U (m×k), s (k) and V (n×k) to this .npz file.")
  var vectors: String?

  @OptionGroup var jsonOption: JSONOption

  init() {}

  func validate() throws {
    guard rank >= 1 else { throw ValidationError("--rank must be at least 1 (got \(rank))") }
    guard oversampling >= 0 else {
      throw ValidationError("--oversampling must be 0 or more (got \(oversampling))")
    }
    guard iterations >= 0 else {
      throw ValidationError("--iterations must be 0 or more (got \(iterations))")
    }
    if let refusal = RandomizedSVD.refusal(
      rank: rank, oversampling: oversampling, powerIterations: iterations)
    {
      throw ValidationError(refusal)
    }
  }

  func run() throws {
    try reportingUsageErrors(command: "rsvd") { print(try report()) }
  }

  /// The machine-readable result; field names as in issue 6.
  struct Report: Codable, Equatable {
    var singular_values: [Double]
    var error_estimate: Double
    var seconds: Double
    var rank: Int
    var oversampling: Int
    var iterations: Int
    var seed: UInt64
    var precision: String
  }

  /// Runs the command and returns what it prints (the report or the JSON object).
  func report() throws -> String {
    if let vectors { try checkOutput(vectors, option: "--vectors") }
    let a = try loadMatrix()
    guard rank <= min(a.rows, a.columns) else {
      throw UsageError(
        "--rank \(rank) exceeds min(m, n) = \(min(a.rows, a.columns)) of "
          + "\(input) (\(a.rows)×\(a.columns))")
    }
    var generator = SeededGenerator(seed: seedOption.seed)
    // About 2·(2T + 2)·m·n·(k + p) flops: say what is running when that takes seconds.
    let flops =
      4.0 * Double(iterations + 1) * Double(a.rows) * Double(a.columns)
      * Double(rank + oversampling)
    if flops > 2e10 {
      printError(
        "ujm rsvd: \(a.rows)×\(a.columns), rank \(rank) + \(oversampling), \(iterations) power "
          + "iterations (\(String(format: "%.1e", flops)) flops, \(precision.rawValue) precision)…")
    }
    let clock = ContinuousClock()
    let start = clock.now
    let result: RandomizedSVDResult<Double>
    do {
      result = try RandomizedSVD.svd(
        of: a, rank: rank, oversampling: oversampling, powerIterations: iterations,
        precision: precision, using: &generator)
    } catch {
      throw UsageError("\(input): \(error)")
    }
    let elapsed = start.duration(to: clock.now)
    let seconds =
      elapsed.secondsValue
    let error = result.error!
    if let vectors {
      try writeVectors(result.decomposition, to: vectors)
    }
    let report = Report(
      singular_values: result.singularValues, error_estimate: error.estimate, seconds: seconds,
      rank: rank, oversampling: oversampling, iterations: iterations, seed: seedOption.seed,
      precision: precision.rawValue)
    if jsonOption.json {
      return try jsonLine(report)
    }
    return humanReadable(report, result: result, shape: (a.rows, a.columns))
  }

  private func loadMatrix() throws(UsageError) -> Matrix<Double> {
    let array: NumPyArray
    do {
      array = try NumPyArray(contentsOf: URL(fileURLWithPath: input))
    } catch {
      throw UsageError("--input \(input): \(error.problem)")
    }
    guard array.shape.count == 2 else {
      throw UsageError(
        "--input \(input): expected a 2-D array, found a \(array.shape.count)-D array "
          + "of shape \(array.shape)")
    }
    guard array.shape[0] >= 1 && array.shape[1] >= 1 else {
      throw UsageError("--input \(input): the array is empty (shape \(array.shape))")
    }
    guard array.values.allSatisfy(\.isFinite) else {
      throw UsageError("--input \(input): the array contains NaN or infinite values")
    }
    return array.matrix
  }

  private func writeVectors(_ d: SingularValueDecomposition<Double>, to path: String) throws {
    let archive = NumPyArchive(arrays: [
      ("u", NumPyArray(matrix: d.u)), ("s", NumPyArray(vector: d.singularValues)),
      ("v", NumPyArray(matrix: d.v)),
    ])
    try writeAtomically(archive.npzData, to: path, option: "--vectors")
  }

  private func humanReadable(
    _ r: Report, result: RandomizedSVDResult<Double>, shape: (Int, Int)
  ) -> String {
    let e = result.error!
    let blas = BLASEnvironment.current
    var lines = [
      "ujm rsvd: \(input) (\(shape.0)×\(shape.1)), rank \(r.rank), oversampling "
        + "\(r.oversampling), iterations \(r.iterations), seed \(r.seed)",
      result.method == .randomized
        ? "method: Algorithm 971 (randomized SVD), \(r.precision) precision power iterations"
        : "method: dense SVD (rank + oversampling ≥ min(m, n)/1.25)",
      "singular values:",
    ]
    for (i, s) in r.singular_values.enumerated() { lines.append("  σ\(i + 1) = \(s)") }
    if result.method == .randomized {
      lines.append(
        "‖A − UΣVᵀ‖₂ estimate: \(e.estimate) (subspace iteration, \(e.iterations) steps, "
          + "\(e.probes) probes; approaches the true norm from below)")
      lines.append(
        "‖A − UΣVᵀ‖₂ certified bound: \(e.bound) (holds with probability ≥ 1 − "
          + "\(e.boundFailureProbability); Halko, Martinsson & Tropp 2011, eq. 4.3)")
    } else {
      lines.append("‖A − UΣVᵀ‖₂ = σ\(r.rank + 1) = \(e.estimate) (exact, from the dense SVD)")
    }
    lines.append("seconds: \(r.seconds) (BLAS core \(blas.core), \(blas.threads) threads)")
    if let vectors { lines.append("U, s, V written to \(vectors)") }
    return lines.joined(separator: "\n")
  }
}

extension RandomizedSVD.Precision: ExpressibleByArgument {}
