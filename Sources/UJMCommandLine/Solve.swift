import ArgumentParser
import Foundation
import LinearAlgebra
import UJM

/// `ujm solve`: minimise the Unconstrained Jacobians Model and check Theorem 3.3 at the optimum.
struct Solve: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Solve the Unconstrained Jacobians Model (Definition 3.2) and check Theorem 3.3.",
    discussion: """
      The default problem draws, from a generator seeded with --seed, Δx ~ N(0, I/D), then each \
      J_i ~ N(0, 0.01/D) entrywise, then w ~ N(0, I/D). Exit status: 0 when the solver converged \
      and every check passed, 1 otherwise, 64 for a usage error.
      """)

  @Option(name: .customLong("L"), parsing: .unconditional, help: "Number of residual blocks L ≥ 1.")
  var depth: Int

  @Option(name: .customLong("lambda"), parsing: .unconditional, help: "Weight decay λ > 0.")
  var lambda: Double

  @Option(
    name: .customLong("D"), parsing: .unconditional,
    help: "Width D (default 64; with --dx, D is the file's length).")
  var dimension: Int?

  @Option(name: .customLong("label"), parsing: .unconditional, help: "The label y: 1 or -1.")
  var label: Int = 1

  @Option(name: .customLong("dx"), help: "Read Δx from a .npy (float64/float32, 1-D) or text file.")
  var dxFile: String?

  @Option(
    name: .customLong("algorithm"),
    help: "One of \(SolverAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")).")
  var algorithm: SolverAlgorithm = .defaultAlgorithm

  @Option(
    name: .customLong("gradient-tolerance"), parsing: .unconditional,
    help: "Stop when ‖∇F‖ ≤ this.")
  var gradientTolerance: Double = 1e-9

  @Option(name: .customLong("max-iterations"), parsing: .unconditional, help: "Iteration budget.")
  var maxIterations: Int = 100_000

  @Option(
    name: .customLong("step"), parsing: .unconditional,
    help: "The step η of gd-fixed (default 0.5; only with --algorithm gd-fixed).")
  var step: Double?

  @OptionGroup var seedOption: SeedOption

  @Option(
    name: .customLong("perturb"), parsing: .unconditional,
    help: "Perturb the optimum by this relative amount before the checks (a counterexample).")
  var perturb: Double = 0

  @OptionGroup var jsonOption: JSONOption

  @Option(name: .customLong("output"), help: "Also write the JSON report to this file, atomically.")
  var output: String?

  func validate() throws {
    do {
      try SolveOptions.validate(
        depth: depth, lambda: lambda, dimension: dimension, label: label,
        algorithm: algorithm, gradientTolerance: gradientTolerance,
        maxIterations: maxIterations, step: step, perturb: perturb)
    } catch {
      throw ValidationError(error.message)
    }
  }

  func run() throws {
    var succeeded = false
    try reportingUsageErrors(command: "solve") {
      let options = try SolveOptions(
        depth: depth, lambda: lambda, dimension: dimension, label: label, dxFile: dxFile,
        algorithm: algorithm, gradientTolerance: gradientTolerance,
        maxIterations: maxIterations, step: step, seed: seedOption.seed, perturb: perturb)
      if let output { try checkOutput(output) }
      let run = UJMSolveRun(
        problem: options.problem(), algorithm: options.algorithm,
        test: ConvergenceTest(
          gradientTolerance: options.gradientTolerance, maxIterations: options.maxIterations),
        step: options.step, perturbation: options.perturb)
      if options.isLarge {
        printError(
          "ujm solve: minimising over \(options.depth) Jacobians of \(options.dimension)² entries "
            + "with \(options.algorithm.rawValue)…")
      }
      let (report, _) = try run.run()
      let data = try report.jsonData()
      if let output {
        if report.objective.isFinite {
          try writeAtomically(data, to: output)
        } else {
          printError("ujm solve: the objective is not finite; \(output) was not written")
        }
      }
      if jsonOption.json {
        print(String(decoding: data, as: UTF8.self))
      } else {
        print(SolveReportFormatter.text(report))
      }
      succeeded = report.succeeded
    }
    if !succeeded { throw ExitCode(1) }
  }
}
