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

  @Option(
    name: .customLong("label"), parsing: .unconditional, help: "The label y: 1 or -1 (default 1).")
  var label: Int?

  @Option(
    name: .customLong("classes"), parsing: .unconditional,
    help:
      "Solve the multi-class model with C classes (2…1000) instead of Definition 3.2's binary one."
  )
  var classes: Int?

  @Option(
    name: .customLong("examples-per-class"), parsing: .unconditional,
    help: "With --classes: inputs per class N (1…10000, default 1).")
  var examplesPerClass: Int?

  @Option(
    name: .customLong("starts"), parsing: .unconditional,
    help: "With --classes: seeded starting points, the best is returned (1…100, default 4).")
  var starts: Int?

  @Option(
    name: .customLong("inputs"),
    help: "Multi-class inputs: an N×D .npy (float64/float32, one input a row); sets D and N.")
  var inputsFile: String?

  @Option(
    name: .customLong("labels"),
    help: "With --inputs: N integer labels 0…C−1 (.npy); sets C unless --classes is given.")
  var labelsFile: String?

  @Flag(
    name: .customLong("hessian"),
    help: "Also report the extreme eigenvalues of ∇²F at the returned point (exact products).")
  var hessian = false

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

  @Option(
    name: .customLong("save-optimum"),
    help: "Write the returned point to this .npy (float64, 1-D: J₁…J_L column-major, then w or W).")
  var saveOptimum: String?

  func validate() throws {
    do {
      try MulticlassSolveOptions.validate(
        classes: classes, examplesPerClass: examplesPerClass, starts: starts, label: label,
        dxFile: dxFile, inputsFile: inputsFile, labelsFile: labelsFile, dimension: dimension)
      try SolveOptions.validate(
        depth: depth, lambda: lambda, dimension: dimension, label: label ?? 1,
        algorithm: algorithm, gradientTolerance: gradientTolerance,
        maxIterations: maxIterations, step: step, perturb: perturb)
    } catch {
      throw ValidationError(error.message)
    }
  }

  func run() throws {
    var succeeded = false
    try reportingUsageErrors(command: "solve") {
      if let output { try checkOutput(output) }
      if let saveOptimum { try checkOutput(saveOptimum, option: "--save-optimum") }
      if classes != nil || inputsFile != nil {
        succeeded = try runMulticlass()
        return
      }
      let options = try SolveOptions(
        depth: depth, lambda: lambda, dimension: dimension, label: label ?? 1, dxFile: dxFile,
        algorithm: algorithm, gradientTolerance: gradientTolerance,
        maxIterations: maxIterations, step: step, seed: seedOption.seed, perturb: perturb)
      if hessian {
        let d = options.dimension
        try SolveMemory.check(
          parameters: options.depth * d * d + d, workspace: 0, hessian: true,
          options: "--hessian with --L \(options.depth) and D = \(d)")
      }
      let run = UJMSolveRun(
        problem: options.problem(), algorithm: options.algorithm,
        test: ConvergenceTest(
          gradientTolerance: options.gradientTolerance, maxIterations: options.maxIterations),
        step: options.step, perturbation: options.perturb, hessian: hessian)
      if options.isLarge {
        printError(
          "ujm solve: minimising over \(options.depth) Jacobians of \(options.dimension)² entries "
            + "with \(options.algorithm.rawValue)…")
      }
      let (report, result) = try run.run()
      try save(result.optimum)
      try publish(
        try report.jsonData(), objective: report.objective,
        text: { SolveReportFormatter.text(report) })
      succeeded = report.succeeded
    }
    if !succeeded { throw ExitCode(1) }
  }

  /// `--save-optimum FILE`: the point as a 1-D float64 .npy, written atomically.
  private func save(_ x: [Double]) throws {
    guard let saveOptimum else { return }
    try writeAtomically(NumPyArray(vector: x).npyData, to: saveOptimum, option: "--save-optimum")
  }

  /// `--classes C` or `--inputs/--labels`: the multi-class model, from its default instance or
  /// from the files; returns the verdict.
  /// The report's JSON to `--output` (not when the objective is not finite) and the JSON or
  /// `text` to stdout: the same for the binary and the multi-class model.
  private func publish(_ data: Data, objective: Double, text: () -> String) throws {
    if let output {
      if objective.isFinite {
        try writeAtomically(data, to: output)
      } else {
        printError("ujm solve: the objective is not finite; \(output) was not written")
      }
    }
    print(jsonOption.json ? String(decoding: data, as: UTF8.self) : text())
  }

  private func runMulticlass() throws -> Bool {
    var files: (inputs: Matrix<Double>, labels: [Int], classes: Int)? = nil
    if let inputsFile, let labelsFile {
      files = try MulticlassInputFiles.read(
        inputs: inputsFile, labels: labelsFile, classes: classes)
    }
    let options = try SolveOptions(
      depth: depth, lambda: lambda, dimension: files?.inputs.rows ?? dimension, label: 1,
      dxFile: nil, algorithm: algorithm, gradientTolerance: gradientTolerance,
      maxIterations: maxIterations, step: step, seed: seedOption.seed, perturb: perturb)
    let startCount = starts ?? MulticlassProblem.defaultStarts
    let d = options.dimension
    let (c, n) =
      files.map { ($0.classes, $0.labels.count) }
      ?? ((classes ?? 2), (classes ?? 2) * (examplesPerClass ?? 1))
    let (parameters, o1) = (options.depth * d).multipliedReportingOverflow(by: d)
    let (workspace, o2) = ((options.depth + 1) * d).multipliedReportingOverflow(by: n)
    try SolveMemory.check(
      parameters: o1 ? Int.max : parameters + c * d, workspace: o2 ? Int.max : workspace,
      hessian: hessian,
      options: "--classes \(c) with \(n) inputs, --L \(options.depth) and D = \(d)"
        + (hessian ? " and --hessian" : ""))
    // The binary solve's convention: one line on stderr before a long minimisation, so that a
    // large problem (the instance, every start, the checks' SVDs) is not silent.
    if options.isLarge || workspace >= 100_000_000 || o2 {
      printError(
        "ujm solve: minimising over \(options.depth) Jacobians of \(d)² entries and \(c) classes "
          + "(\(n) inputs, \(startCount) start(s)) with \(options.algorithm.rawValue)…")
    }
    let problem =
      if let files {
        MulticlassProblem(
          inputs: files.inputs, labels: files.labels, classes: files.classes,
          depth: options.depth, lambda: options.lambda, seed: options.seed, starts: startCount)
      } else {
        MulticlassProblem(
          classes: classes ?? 2, examplesPerClass: examplesPerClass ?? 1,
          dimension: options.dimension, depth: options.depth, lambda: options.lambda,
          seed: options.seed, starts: startCount)
      }
    let run = MulticlassSolveRun(
      problem: problem, algorithm: options.algorithm,
      test: ConvergenceTest(
        gradientTolerance: options.gradientTolerance, maxIterations: options.maxIterations),
      step: options.step, perturbation: options.perturb, hessian: hessian)
    let (report, optimum) = try run.run()
    try save(optimum)
    try publish(
      try report.jsonData(), objective: report.objective,
      text: { MulticlassReportFormatter.text(report) })
    return report.succeeded
  }
}
