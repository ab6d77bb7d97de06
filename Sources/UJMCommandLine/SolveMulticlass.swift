import Foundation
import LinearAlgebra
import UJM

/// The validated multi-class arguments of `ujm solve --classes`: each check names its option.
struct MulticlassSolveOptions {
  var classes: Int
  var examplesPerClass: Int
  var starts: Int

  /// The largest C accepted (the report lists C + 1 singular values per block).
  static let largestClassCount = 1000
  /// The largest N per class accepted.
  static let largestExamplesPerClass = 10_000
  /// The largest number of starts accepted.
  static let largestStartCount = 100

  /// Range checks, and the binary-only options refused with --classes.
  static func validate(
    classes: Int?, examplesPerClass: Int?, starts: Int?, label: Int?, dxFile: String?,
    inputsFile: String? = nil, labelsFile: String? = nil, dimension: Int? = nil
  ) throws(UsageError) {
    if (inputsFile == nil) != (labelsFile == nil) {
      throw UsageError(
        inputsFile == nil
          ? "--labels needs --inputs (the N×D inputs the labels belong to)"
          : "--inputs needs --labels (N integer labels 0…C−1)")
    }
    if inputsFile != nil {
      if examplesPerClass != nil {
        throw UsageError("--examples-per-class draws the default instance; --inputs gives one")
      }
      if dimension != nil { throw UsageError("--D is set by --inputs (its number of columns)") }
      if let classes, !(2...largestClassCount).contains(classes) {
        throw UsageError("--classes must be in 2…\(largestClassCount) (got \(classes))")
      }
      if let starts, !(1...largestStartCount).contains(starts) {
        throw UsageError("--starts must be in 1…\(largestStartCount) (got \(starts))")
      }
      if label != nil { throw UsageError("--label is the binary model's; --labels gives 0…C−1") }
      if dxFile != nil { throw UsageError("--dx is the binary model's; --inputs gives the inputs") }
      return
    }
    guard let classes else {
      if examplesPerClass != nil {
        throw UsageError("--examples-per-class needs --classes (the multi-class model)")
      }
      if starts != nil { throw UsageError("--starts needs --classes (the multi-class model)") }
      return
    }
    guard (2...largestClassCount).contains(classes) else {
      throw UsageError("--classes must be in 2…\(largestClassCount) (got \(classes))")
    }
    if let examplesPerClass, !(1...largestExamplesPerClass).contains(examplesPerClass) {
      throw UsageError(
        "--examples-per-class must be in 1…\(largestExamplesPerClass) (got \(examplesPerClass))")
    }
    if let starts, !(1...largestStartCount).contains(starts) {
      throw UsageError("--starts must be in 1…\(largestStartCount) (got \(starts))")
    }
    if label != nil {
      throw UsageError("--label is the binary model's; with --classes the labels are 0…C−1")
    }
    if dxFile != nil {
      throw UsageError("--dx is the binary model's single input; --classes draws its own inputs")
    }
  }
}

/// The memory a solve needs, refused with a message naming the options when it exceeds 80% of
/// this machine's memory.
enum SolveMemory {
  /// Bytes for n parameters, a forward workspace of `workspace` numbers ((L+1)·D·N for the
  /// multi-class model, 0 for the binary one, whose own check is `SolveOptions.checkMemory`),
  /// and with `hessian` the Lanczos basis (`HessianSpectrum.lanczosSteps` vectors of n) or the
  /// dense n×n Hessian, plus dual-number copies (16 bytes a number).
  static func bytes(parameters n: Int, workspace: Int, hessian: Bool) -> Double {
    let n = Double(n)
    let w = Double(workspace)
    var total = 8 * (30 * n + 3 * w)
    if hessian {
      let basis =
        n <= Double(HessianSpectrum.denseLimit)
        ? n * n : Double(HessianSpectrum.lanczosSteps + 2) * n
      total += 8 * basis + 16 * (3 * n + 3 * w)
    }
    return total
  }

  /// The most parameters `--hessian` accepts: 300 Lanczos vectors of 10⁶ numbers are 2.4 GB,
  /// and their full reorthogonalisation already costs about 10¹¹ operations.
  static let largestHessianParameterCount = 1_000_000

  static func check(
    parameters n: Int, workspace: Int, hessian: Bool, options: String
  ) throws(UsageError) {
    if hessian && n > largestHessianParameterCount {
      throw UsageError(
        "--hessian supports at most \(largestHessianParameterCount) parameters; \(options) has "
          + "\(n) (lower --D or --L)")
    }
    let needed = bytes(parameters: n, workspace: workspace, hessian: hessian)
    let available = Double(ProcessInfo.processInfo.physicalMemory)
    if !(needed <= 0.8 * available) {
      throw UsageError(
        "\(options) needs about \(String(format: "%.1f", needed / 1_073_741_824)) GiB "
          + "(\(n) parameters\(hessian ? ", the Hessian's vectors" : "")); this machine has "
          + "\(String(format: "%.1f", available / 1_073_741_824)) GiB")
    }
  }
}

/// The human-readable form of a `MulticlassSolveReport`.
enum MulticlassReportFormatter {
  static func text(_ r: MulticlassSolveReport) -> String {
    func f(_ x: Double) -> String { String(format: "%.15g", x) }
    func g(_ x: Double) -> String { String(format: "%.6g", x) }
    let m = r.multiclass
    var lines = [String]()
    lines.append(
      "Multi-class Unconstrained Jacobians Model (Definition 3.2 with C classes, N inputs)")
    lines.append(
      "  C = \(m.classes), N = \(m.examples), L = \(r.L), λ = \(f(r.lambda)), D = \(r.D), seed = \(r.seed)"
    )
    lines.append("Solver \(r.algorithm), \(r.starts.count) seeded start(s):")
    for (i, s) in r.starts.enumerated() {
      lines.append(
        "  start \(i): F = \(f(s.objective)), ‖∇F‖ = \(formatScientific(s.gradient_norm)), "
          + "\(s.iterations) iterations, \(s.stop_reason)"
          + (i == r.best_start ? "  ← best" : ""))
    }
    lines.append(
      "  F = \(f(r.objective)), ‖∇F‖ = \(formatScientific(r.gradient_norm)), "
        + String(format: "%.3f s over all starts", r.seconds))
    if let binary = m.binary_optimum {
      lines.append("  C = 2, N = 1: Definition 3.2 at √2·Δx has f* = \(f(binary))")
    }
    lines.append("Blocks (top C+1 singular values, numerical rank; bound C−1 = \(m.rank_bound)):")
    for (i, b) in m.blocks.enumerated() {
      lines.append(
        "  J_\(i + 1): " + b.singular_values.map(g).joined(separator: ", ") + "  rank \(b.rank)")
    }
    lines.append("  ‖1ᵀW‖/‖W‖_F = \(formatScientific(m.classifier_row_sum))")
    if r.perturb > 0 {
      lines.append(
        "Perturbed by \(formatScientific(r.perturb)) (relative, seeded) before the checks")
    }
    lines.append("Proved at a stationary point:")
    for c in r.checks { lines.append("  " + c.summary) }
    lines.append("Observed (conjectures; they do not decide the exit status):")
    for c in r.observed { lines.append("  " + c.summary) }
    if let h = r.hessian { lines.append(contentsOf: HessianFormatter.lines(h)) }
    let passed = r.checks.filter(\.passed).count
    lines.append(
      "\(passed) of \(r.checks.count) proved checks passed, "
        + "\(r.observed.filter(\.passed).count) of \(r.observed.count) observed")
    lines.append("BLAS: \(r.blas.core), \(r.blas.threads) thread(s)")
    return lines.joined(separator: "\n")
  }
}

/// The Hessian lines of a solve report.
enum HessianFormatter {
  static func lines(_ h: HessianSpectrum) -> [String] {
    [
      "Hessian at the returned point (\(h.method), \(h.parameters) parameters, \(h.products) exact products):",
      "  μ_min = \(String(format: "%.10g", h.min_eigenvalue)), μ_max = \(String(format: "%.10g", h.max_eigenvalue)), "
        + "near zero (|μ| ≤ \(formatScientific(h.near_zero_tolerance))): \(h.near_zero), "
        + "negative: \(h.negative), error estimate \(formatScientific(h.error_estimate))",
      "  lowest: " + h.lowest.map { String(format: "%.6g", $0) }.joined(separator: ", "),
      "  verdict: \(h.verdict)",
    ]
      + (h.reduced_eigenvalues.map { r in
        [
          "  reduced (s, t) Hessian in orthonormal directions: eigenvalues "
            + r.map { String(format: "%.10g", $0) }.joined(separator: ", ")
            + " (inside [μ_min, μ_max])"
        ]
      } ?? [])
  }
}
