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

  /// The smallest λ accepted: below it F's terms (about λ·log(1/λ)) approach Double's
  /// smallest normal numbers and the comparison with the oracle loses its meaning.
  static let smallestLambda = 1e-300
  /// The largest λ accepted: above it λ/2·‖J‖² overflows at the default starting point.
  static let largestLambda = 1e100
  /// The largest relative perturbation accepted: 10³·‖Jᵢ‖_F is already a point far from any
  /// optimum (the counterexample needs ≈ 0.1), and far larger ones overflow the L-fold products
  /// of the checks and of the Hessian (1e300 gave a NaN Hessian).
  static let largestPerturbation = 1e3
  /// The largest iteration budget accepted: 10,000,000 (a history of about 320 MB; the
  /// default is 100,000).
  static let maximumIterations = 10_000_000

  /// The checks that need no file: each names the option and says what is wrong.
  static func validate(
    depth: Int, lambda: Double, dimension: Int?, label: Int, algorithm: SolverAlgorithm,
    gradientTolerance: Double, maxIterations: Int, step: Double?, perturb: Double
  ) throws(UsageError) {
    guard depth >= 1 else { throw UsageError("--L must be at least 1 (got \(depth))") }
    guard lambda.isFinite else { throw UsageError("--lambda must be finite (got \(lambda))") }
    guard lambda > 0 else {
      throw UsageError(
        "--lambda must be positive (got \(lambda)): with λ = 0 the loss keeps decreasing as the "
          + "logit grows, so the infimum is not attained; with λ < 0 F is unbounded below")
    }
    guard lambda >= smallestLambda && lambda <= largestLambda else {
      throw UsageError(
        "--lambda \(lambda) is outside [\(smallestLambda), \(largestLambda)]: below, F's terms "
          + "(about λ·log(1/λ)) leave Double's normal range; above, λ/2·‖J‖² overflows")
    }
    guard label == 1 || label == -1 else {
      throw UsageError("--label must be 1 or -1 (got \(label))")
    }
    guard gradientTolerance.isFinite, gradientTolerance > 0 else {
      throw UsageError(
        "--gradient-tolerance must be a positive finite number (got \(gradientTolerance))")
    }
    guard (0...maximumIterations).contains(maxIterations) else {
      throw UsageError(
        "--max-iterations must be in 0...\(maximumIterations) (got \(maxIterations)): the "
          + "report keeps one row of history per iteration")
    }
    if let step {
      guard algorithm == .gdFixed else {
        throw UsageError(
          "--step is the step of gd-fixed; --algorithm \(algorithm.rawValue) chooses its own steps "
            + "(drop --step, or use --algorithm gd-fixed)")
      }
      guard step.isFinite, step > 0 else {
        throw UsageError("--step must be a positive finite number (got \(step))")
      }
    }
    guard perturb.isFinite, perturb >= 0, perturb <= Self.largestPerturbation else {
      throw UsageError(
        "--perturb must be in 0…\(formatScientific(Self.largestPerturbation)) (got \(perturb)); it "
          + "is relative to each ‖Jᵢ‖_F, and a larger one overflows the checks and the Hessian")
    }
    if let dimension {
      guard dimension >= 1 else { throw UsageError("--D must be at least 1 (got \(dimension))") }
      try checkMemory(depth: depth, dimension: dimension)
    }
  }

  init(
    depth: Int, lambda: Double, dimension: Int?, label: Int, dxFile: String?,
    algorithm: SolverAlgorithm, gradientTolerance: Double, maxIterations: Int, step: Double?,
    seed: UInt64, perturb: Double
  ) throws {
    try Self.validate(
      depth: depth, lambda: lambda, dimension: dimension, label: label, algorithm: algorithm,
      gradientTolerance: gradientTolerance, maxIterations: maxIterations, step: step,
      perturb: perturb)
    self.depth = depth
    self.lambda = lambda
    self.label = Double(label)
    self.algorithm = algorithm
    self.gradientTolerance = gradientTolerance
    self.maxIterations = maxIterations
    self.step = step ?? 0.5
    self.seed = seed
    self.perturb = perturb
    if let dxFile {
      let values = try DxFile.read(dxFile)
      if let dimension, dimension != values.count {
        throw UsageError(
          "--dx \(dxFile) has \(values.count) entries but --D is \(dimension): drop --D or fix the file"
        )
      }
      self.dx = values
      self.dimension = values.count
    } else {
      self.dimension = dimension ?? 64
      self.dx = nil
    }
    try Self.checkMemory(depth: self.depth, dimension: self.dimension)
  }

  /// A problem large enough to take more than a few seconds (progress goes to stderr).
  var isLarge: Bool { dimension * dimension * depth >= 4_000_000 }

  /// Refuses an L, D whose parameters would not fit in this machine's memory.
  static func checkMemory(depth: Int, dimension d: Int) throws(UsageError) {
    let (dd, o1) = d.multipliedReportingOverflow(by: d)
    let (ld, o2) = dd.multipliedReportingOverflow(by: depth)
    let (parameters, o4) = ld.addingReportingOverflow(d)
    let (bytes, o3) = parameters.multipliedReportingOverflow(by: 8 * parameterCopies)
    let available = Double(ProcessInfo.processInfo.physicalMemory)
    let needed = (o1 || o2 || o3 || o4) ? Double.infinity : Double(bytes)
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
