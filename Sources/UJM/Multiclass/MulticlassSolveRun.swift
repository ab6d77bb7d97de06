import Foundation
import LinearAlgebra
import Synchronization

/// Solves the multi-class UJM from every seeded start, keeps the best, checks it, and reports.
///
/// The best start is the converged one with the smallest F (any start with the smallest F when
/// none converged; ties go to the lowest start index). `seconds` times the solver over all
/// starts, without set-up or checks.
///
/// The starts are independent: `threads` of them are solved at once (a thread that finishes
/// one takes the next not yet taken), each with OpenBLAS single-threaded inside (its
/// matrix-vector products, 468×20 at the reference size, are just above OpenBLAS's threading
/// threshold, and splitting them across threads cost 1.65× the CPU). Every start therefore runs the same arithmetic whatever
/// `threads` is, and the same seed gives the same bits at any thread count.
public struct MulticlassSolveRun: Sendable {
  public var problem: MulticlassProblem
  public var algorithm: SolverAlgorithm
  public var test: ConvergenceTest
  public var step: Double
  public var perturbation: Double
  /// Compute the Hessian's extreme eigenvalues at the returned point.
  public var hessian: Bool
  public var tolerances: MulticlassTolerances
  /// The most starts solved at once (at least 1; no more than the starts are used).
  public var threads: Int

  /// `threads` defaults to OpenBLAS's thread count (`OPENBLAS_NUM_THREADS`, else the cores).
  public init(
    problem: MulticlassProblem, algorithm: SolverAlgorithm, test: ConvergenceTest,
    step: Double = 0.5, perturbation: Double = 0, hessian: Bool = false,
    tolerances: MulticlassTolerances = MulticlassTolerances(), threads: Int? = nil
  ) {
    self.problem = problem
    self.algorithm = algorithm
    self.test = test
    self.step = step
    self.perturbation = perturbation
    self.hessian = hessian
    self.tolerances = tolerances
    self.threads = max(1, threads ?? BLASEnvironment.current.threads)
  }

  /// The starts solved at once: `threads`, at most one per start.
  public var parallelStarts: Int { max(1, min(threads, problem.starts.count)) }

  /// Every start's result, in start order, and the wall seconds of each and of them all.
  func solveStarts() -> (results: [SolveResult], seconds: [Double], total: Double) {
    let model = problem.model
    let count = problem.starts.count
    let workers = parallelStarts
    let clock = ContinuousClock()
    var results = [SolveResult?](repeating: nil, count: count)
    var seconds = [Double](repeating: 0, count: count)
    let began = clock.now
    BLASEnvironment.withThreads(1) {
      results.withUnsafeMutableBufferPointer { resultSlots in
        seconds.withUnsafeMutableBufferPointer { secondSlots in
          // Each start writes only its own slots.
          let slots = StartSlots(results: resultSlots, seconds: secondSlots)
          // The next start not yet taken: a thread that finishes takes the next, so a thread
          // that started late (woken late, or preempted on a busy machine) does fewer.
          let next = Atomic<Int>(0)
          DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let minimizer = algorithm.minimizer(step: step)
            while true {
              let k = next.add(1, ordering: .relaxed).oldValue
              if k >= count { break }
              let began = clock.now
              slots.results[k] = minimizer.minimize(model, from: problem.starts[k], until: test)
              slots.seconds[k] = (clock.now - began).secondsValue
            }
          }
        }
      }
    }
    let total = (clock.now - began).secondsValue
    return (results.map { $0! }, seconds, total)
  }

  public func run() throws(LAPACKError) -> (report: MulticlassSolveReport, optimum: [Double]) {
    let model = problem.model
    let (results, seconds, total) = solveStarts()
    let starts = zip(results, seconds).map { result, seconds in
      MulticlassSolveReport.Start(
        objective: result.objective, gradient_norm: result.gradientNorm,
        iterations: result.iterations, stop_reason: result.stopReason.kind, seconds: seconds)
    }
    let best = Self.best(results)
    let result = results[best]
    var x = result.optimum
    if perturbation > 0 {
      var generator = SeededGenerator(seed: problem.seed &+ 0x9E37_79B9)
      x = perturbedParameters(
        x, blocks: model.depth + 1, relativeSize: perturbation, using: &generator)
    }
    var tolerances = self.tolerances
    tolerances.gradient = test.gradientTolerance
    let verifier = MulticlassVerifier(model: model, tolerances: tolerances)
    var (proved, observed, summary) = try verifier.checks(at: x)
    var binaryOptimum: Double? = nil
    if let binary = model.binaryCorrespondence() {
      let reduced = ReducedProblem(
        depth: binary.depth, lambda: binary.lambda, dxNorm: binary.dx.euclideanNorm
      ).minimize()
      binaryOptimum = reduced.objective
      let scale = max(1, abs(reduced.objective))
      proved.append(
        CheckResult(
          name: "C = 2, N = 1 is Definition 3.2 at √2·Δx: |F − f*(√2‖Δx‖)|",
          measured: abs(summary.objective - reduced.objective), tolerance: 1e-10 * scale))
    }
    summary.binary_optimum = binaryOptimum
    let spectrum = hessian ? try HessianSpectrum.compute(model, at: x, seed: problem.seed) : nil
    let report = MulticlassSolveReport(
      L: model.depth, lambda: model.lambda, D: model.dimension, seed: problem.seed,
      algorithm: algorithm.rawValue, starts: starts, best_start: best,
      objective: summary.objective, gradient_norm: summary.gradient_norm,
      iterations: result.iterations, evaluations: result.evaluations,
      stop_reason: result.stopReason.kind, seconds: total, parallel_starts: parallelStarts,
      perturb: perturbation,
      checks: proved, observed: observed, multiclass: summary, hessian: spectrum,
      blas: .current)
    return (report, x)
  }

  /// The index of the converged result with the smallest F, or of the smallest F overall.
  static func best(_ results: [SolveResult]) -> Int {
    let candidates = results.indices.filter { results[$0].stopReason.isConverged }
    let pool = candidates.isEmpty ? Array(results.indices) : candidates
    return pool.min { a, b in
      let fa = results[a].objective.isFinite ? results[a].objective : .infinity
      let fb = results[b].objective.isFinite ? results[b].objective : .infinity
      return fa < fb
    }!
  }
}

/// The output slots of the starts, written concurrently, each by the one thread that solves
/// that start.
private struct StartSlots: @unchecked Sendable {
  let results: UnsafeMutableBufferPointer<SolveResult?>
  let seconds: UnsafeMutableBufferPointer<Double>
}

/// Adds to each of `blocks` consecutive blocks of x (the last may be shorter: the classifier) a
/// Gaussian perturbation of norm ε times the block's norm: the counterexample of `--perturb`.
func perturbedParameters(
  _ x: [Double], blocks: Int, relativeSize epsilon: Double,
  using generator: inout some RandomNumberGenerator
) -> [Double] {
  var out = x
  let size = (x.count + blocks - 1) / blocks
  var start = 0
  while start < x.count {
    let end = min(x.count, start + size)
    let block = Array(x[start..<end])
    let g: [Double] = Gaussian.sample(block.count, using: &generator)
    let scale = epsilon * block.euclideanNorm / max(g.euclideanNorm, .leastNormalMagnitude)
    for k in start..<end { out[k] += scale * g[k - start] }
    start = end
  }
  return out
}

/// Everything `ujm solve --classes` reports, with the field names of its JSON output.
public struct MulticlassSolveReport: Sendable, Codable, Equatable {
  /// One start's outcome.
  public struct Start: Sendable, Codable, Equatable {
    public var objective: Double
    public var gradient_norm: Double
    public var iterations: Int
    public var stop_reason: StopReason.Kind
    public var seconds: Double
  }

  public var L: Int
  public var lambda: Double
  public var D: Int
  public var seed: UInt64
  public var algorithm: String
  public var starts: [Start]
  /// The index (from 0) of the start returned.
  public var best_start: Int
  public var objective: Double
  public var gradient_norm: Double
  public var iterations: Int
  public var evaluations: Int
  public var stop_reason: StopReason.Kind
  /// The solver's wall time over all starts.
  public var seconds: Double
  /// The starts solved at once (each on its own thread, OpenBLAS single-threaded inside).
  public var parallel_starts: Int
  public var perturb: Double
  /// The proved properties of a stationary point (and the solver's stationarity).
  public var checks: [CheckResult]
  /// Observed properties (conjectures; they do not decide the exit status).
  public var observed: [CheckResult]
  public var multiclass: MulticlassSummary
  /// The Hessian's extreme eigenvalues (`--hessian`), else null.
  public var hessian: HessianSpectrum?
  public var blas: BLASEnvironment

  /// The best start converged and every proved check passed.
  public var succeeded: Bool { stop_reason == .converged && checks.allSatisfy(\.passed) }

  public func jsonData() throws -> Data { try ReportJSON.encode(self, pretty: true) }

  enum CodingKeys: String, CodingKey {
    case L, lambda, D, seed, algorithm, starts, best_start, objective, gradient_norm, iterations
    case evaluations, stop_reason, seconds, parallel_starts, perturb, checks, observed, multiclass
    case hessian, blas
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(L, forKey: .L)
    try c.encode(lambda, forKey: .lambda)
    try c.encode(D, forKey: .D)
    try c.encode(seed, forKey: .seed)
    try c.encode(algorithm, forKey: .algorithm)
    try c.encode(starts, forKey: .starts)
    try c.encode(best_start, forKey: .best_start)
    try c.encode(objective, forKey: .objective)
    try c.encode(gradient_norm, forKey: .gradient_norm)
    try c.encode(iterations, forKey: .iterations)
    try c.encode(evaluations, forKey: .evaluations)
    try c.encode(stop_reason, forKey: .stop_reason)
    try c.encode(seconds, forKey: .seconds)
    try c.encode(parallel_starts, forKey: .parallel_starts)
    try c.encode(perturb, forKey: .perturb)
    try c.encode(checks, forKey: .checks)
    try c.encode(observed, forKey: .observed)
    try c.encode(multiclass, forKey: .multiclass)
    try c.encode(hessian, forKey: .hessian)  // null when absent
    try c.encode(blas, forKey: .blas)
  }
}
