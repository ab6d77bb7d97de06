import Foundation
import LinearAlgebra
import UJM

/// The validated arguments of `ujm solve`: every check names the option and what is wrong.
struct SolveOptions {
  var depth: Int
  var lambda: Double
  var dimension: Int
  var label: Double
  var dx: [Double]?
  var algorithm: SolverAlgorithm
  var gradientTolerance: Double
  var maxIterations: Int
  var step: Double
  var seed: UInt64
  var perturb: Double

  /// Copies of the parameter vector the hungriest solver keeps (GSL's `vector_bfgs2` peaked at
  /// 14.9 copies at D = 512 in SolveBenchmark), used to refuse a D that cannot fit.
  static let parameterCopies = 16

  init(
    depth: String, lambda: String, dimension: String?, label: String, dxFile: String?,
    algorithm: String, gradientTolerance: String, maxIterations: String, step: String,
    seed: String, perturb: String
  ) throws {
    guard let l = Int(depth) else { throw UsageError("--L '\(depth)' is not an integer") }
    guard l >= 1 else { throw UsageError("--L must be at least 1 (got \(l))") }
    self.depth = l

    guard let lam = Double(lambda) else { throw UsageError("--lambda '\(lambda)' is not a number") }
    guard lam.isFinite else { throw UsageError("--lambda must be finite (got \(lambda))") }
    guard lam > 0 else {
      throw UsageError(
        "--lambda must be positive (got \(lambda)): with λ = 0 the loss keeps decreasing as the "
          + "logit grows, so the infimum is not attained; with λ < 0 F is unbounded below")
    }
    self.lambda = lam

    guard let y = Int(label), y == 1 || y == -1 else {
      throw UsageError("--label must be 1 or -1 (got \(label))")
    }
    self.label = Double(y)

    guard let a = SolverAlgorithm(rawValue: algorithm) else {
      throw UsageError(
        "--algorithm '\(algorithm)' is not one of "
          + SolverAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))
    }
    self.algorithm = a

    guard let gt = Double(gradientTolerance), gt.isFinite, gt > 0 else {
      throw UsageError(
        "--gradient-tolerance must be a positive finite number (got \(gradientTolerance))")
    }
    self.gradientTolerance = gt

    guard let mi = Int(maxIterations), mi >= 0 else {
      throw UsageError("--max-iterations must be a non-negative integer (got \(maxIterations))")
    }
    self.maxIterations = mi

    guard let eta = Double(step), eta.isFinite, eta > 0 else {
      throw UsageError("--step must be a positive finite number (got \(step))")
    }
    self.step = eta

    guard let s = UInt64(seed) else {
      throw UsageError("--seed must be a non-negative integer below 2^64 (got \(seed))")
    }
    self.seed = s

    guard let p = Double(perturb), p.isFinite, p >= 0 else {
      throw UsageError("--perturb must be a non-negative finite number (got \(perturb))")
    }
    self.perturb = p

    if let dxFile {
      let values = try DxFile.read(dxFile)
      if let dimension, Int(dimension) != values.count {
        throw UsageError(
          "--dx \(dxFile) has \(values.count) entries but --D is \(dimension): drop --D or fix the file"
        )
      }
      self.dx = values
      self.dimension = values.count
    } else {
      let text = dimension ?? "64"
      guard let d = Int(text) else {
        throw UsageError("--D '\(text)' is not an integer")
      }
      guard d >= 1 else { throw UsageError("--D must be at least 1 (got \(d))") }
      self.dimension = d
      self.dx = nil
    }
    try Self.checkMemory(depth: self.depth, dimension: self.dimension)
  }

  /// Refuses an L, D whose parameters would not fit in this machine's memory.
  static func checkMemory(depth: Int, dimension d: Int) throws {
    let (dd, o1) = d.multipliedReportingOverflow(by: d)
    let (ld, o2) = dd.multipliedReportingOverflow(by: depth)
    let (bytes, o3) = (ld + d).multipliedReportingOverflow(by: 8 * parameterCopies)
    let available = Double(ProcessInfo.processInfo.physicalMemory)
    let needed = (o1 || o2 || o3) ? Double.infinity : Double(bytes)
    if needed > available * 0.8 {
      let count = Double(d) * Double(d) * Double(depth) + Double(d)
      throw UsageError(
        "--D \(d) with --L \(depth) gives \(formatCount(count)) parameters; the solver needs about "
          + "\(formatBytes(Double(parameterCopies) * 8 * count)) (\(parameterCopies) copies of 8 bytes each) "
          + "but this machine has \(formatBytes(available))")
    }
  }

  func problem() -> DefaultProblem {
    if let dx {
      return DefaultProblem(dx: dx, depth: depth, lambda: lambda, label: label, seed: seed)
    }
    return DefaultProblem(
      depth: depth, lambda: lambda, dimension: dimension, label: label, seed: seed)
  }
}

private func formatBytes(_ b: Double) -> String {
  if !b.isFinite { return "more than 2^63 bytes" }
  let gib = b / 1_073_741_824
  return gib >= 1 ? String(format: "%.1f GiB", gib) : String(format: "%.1f MiB", b / 1_048_576)
}

private func formatCount(_ c: Double) -> String { String(format: "%.3g", c) }
