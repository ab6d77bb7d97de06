// Goals, in order of priority: GSL's four gradient minimisers behind the `Minimizer` interface,
// memory-safe (docs/C-INTEROP.md pitfalls 3–8 and 10); a stall (`GSL_ENOPROG`) short of the
// tolerance is restarted from the current point, then handed to a polishing phase, rather than
// reported as success or as a crash; no copy of the parameters per evaluation (GSL's vectors are
// contiguous, so the objective reads them in place).
import CGSL

/// GSL's `gsl_multimin_fdfminimizer` family: `vector_bfgs2`, `conjugate_fr`, `conjugate_pr`,
/// `steepest_descent`.
///
/// GSL iterates; the convergence test is ours (‖∇F‖ ≤ tolerance, as `gsl_multimin_test_gradient`).
/// When the line search can make no progress (`GSL_ENOPROG`) before the tolerance is met, the
/// minimiser is set again at the current point with a smaller first step, up to `maxRestarts`
/// times. If it still stalls, a polishing phase takes over from the best point: `LBFGSMinimizer`,
/// whose line search uses the directional derivative (approximate Wolfe conditions), so it keeps
/// making progress where differences of F are at rounding level — which is where GSL's line
/// searches stop (at ‖∇F‖ ≈ 1e-9, F changes by about ‖∇F‖²/λ ≈ 1e-16). The result counts the
/// restarts and the polishing iterations (`polishIterations`, part of `iterations`), and its stop
/// reason is the polishing phase's (`stalled` if that stalls too). `polish: false` turns it off.
public struct GSLMinimizer: Minimizer {
  public enum Algorithm: String, Sendable, CaseIterable {
    case bfgs2
    case conjugateFR = "cg-fr"
    case conjugatePR = "cg-pr"
    case steepestDescent = "steepest"
  }

  public var algorithm: Algorithm
  /// GSL's `step_size`: the length of the first trial step.
  public var initialStep: Double
  /// GSL's line-search tolerance (GSL advises 0.1 for BFGS).
  public var lineSearchTolerance: Double
  public var maxRestarts: Int
  /// Whether a stall is handed to the polishing phase.
  public var polish: Bool

  public init(
    algorithm: Algorithm, initialStep: Double = 0.01, lineSearchTolerance: Double = 0.1,
    maxRestarts: Int = 2, polish: Bool = true
  ) {
    self.algorithm = algorithm
    self.initialStep = initialStep
    self.lineSearchTolerance = lineSearchTolerance
    self.maxRestarts = maxRestarts
    self.polish = polish
  }

  public var name: String { algorithm.rawValue }

  private var type: UnsafePointer<gsl_multimin_fdfminimizer_type> {
    switch algorithm {
    case .bfgs2: ujm_gsl_vector_bfgs2()
    case .conjugateFR: ujm_gsl_conjugate_fr()
    case .conjugatePR: ujm_gsl_conjugate_pr()
    case .steepestDescent: ujm_gsl_steepest_descent()
    }
  }

  public func minimize(
    _ objective: some Objective, from start: [Double], until test: ConvergenceTest
  ) -> SolveResult {
    let main = minimizeWithGSL(objective, from: start, until: test)
    guard polish, case .stalled = main.stopReason else { return main }
    var remaining = test
    remaining.maxIterations = max(0, test.maxIterations - main.iterations)
    let polished = LBFGSMinimizer.polishing(parameterCount: objective.parameterCount)
      .minimize(objective, from: main.optimum, until: remaining)
    return main.continued(by: polished)
  }

  private func minimizeWithGSL(
    _ objective: some Objective, from start: [Double], until test: ConvergenceTest
  ) -> SolveResult {
    gsl_set_error_handler_off()
    let n = objective.parameterCount
    precondition(start.count == n, "start has \(start.count) entries, expected \(n)")
    let box = EvaluationBox(objective)
    return withExtendedLifetime(box) {
      // The function struct must outlive every GSL call: GSL keeps its address (pitfall 5).
      let fdf = UnsafeMutablePointer<gsl_multimin_function_fdf>.allocate(capacity: 1)
      defer { fdf.deallocate() }
      fdf.initialize(
        to: gsl_multimin_function_fdf(
          f: { x, params in
            let box = Unmanaged<EvaluationBox>.fromOpaque(params!).takeUnretainedValue()
            return box.value(x!)
          },
          df: { x, params, g in
            let box = Unmanaged<EvaluationBox>.fromOpaque(params!).takeUnretainedValue()
            _ = box.valueAndGradient(x!, g!)
          },
          fdf: { x, params, f, g in
            let box = Unmanaged<EvaluationBox>.fromOpaque(params!).takeUnretainedValue()
            f!.pointee = box.valueAndGradient(x!, g!)
          },
          n: n, params: Unmanaged.passUnretained(box).toOpaque()))
      let state = gsl_multimin_fdfminimizer_alloc(type, n)!
      defer { gsl_multimin_fdfminimizer_free(state) }
      let x0 = gsl_vector_alloc(n)!
      defer { gsl_vector_free(x0) }
      for k in 0..<n { x0.pointee.data[k] = start[k] }

      var lastGood = start
      var f = objective.value(at: start)
      var gradientNorm = Double.infinity
      var history = [IterationRecord]()
      var iteration = 0
      var restarts = 0
      var reason: StopReason = .iterationLimit
      var step = initialStep

      func snapshot(_ v: UnsafeMutablePointer<gsl_vector>) -> [Double] {
        Array(UnsafeBufferPointer(start: v.pointee.data, count: n))
      }
      func norm(_ v: UnsafeMutablePointer<gsl_vector>) -> Double {
        var s = 0.0
        for k in 0..<n { s += v.pointee.data[k] * v.pointee.data[k] }
        return s.squareRoot()
      }

      var status = gsl_multimin_fdfminimizer_set(state, fdf, x0, step, lineSearchTolerance)
      gradientNorm = norm(state.pointee.gradient)
      f = state.pointee.f
      history.append(
        IterationRecord(iteration: 0, objective: f, gradientNorm: gradientNorm, step: 0))
      if status != Int32(GSL_SUCCESS) || !f.isFinite || !gradientNorm.isFinite {
        return SolveResult(
          optimum: start, objective: f, gradientNorm: gradientNorm, iterations: 0,
          evaluations: box.evaluations, stopReason: .nonFinite(iteration: 0), history: history)
      }
      while true {
        if let stop = test.stopReason(objective: f, gradientNorm: gradientNorm) {
          reason = stop
          break
        }
        if iteration >= test.maxIterations { break }
        iteration += 1
        status = gsl_multimin_fdfminimizer_iterate(state)
        let fNew = state.pointee.f
        let gNew = norm(state.pointee.gradient)
        if !fNew.isFinite || !gNew.isFinite {
          reason = .nonFinite(iteration: iteration)
          break
        }
        if status == Int32(GSL_ENOPROG) || fNew > f {
          // No progress: set the minimiser again at the best point with a smaller first step.
          if restarts >= maxRestarts {
            reason = .stalled(gradientNorm: gradientNorm)
            break
          }
          restarts += 1
          step = max(step / 4, 1e-12)
          for k in 0..<n { x0.pointee.data[k] = lastGood[k] }
          status = gsl_multimin_fdfminimizer_set(state, fdf, x0, step, lineSearchTolerance)
          f = state.pointee.f
          gradientNorm = norm(state.pointee.gradient)
          continue
        }
        if status != Int32(GSL_SUCCESS) {
          reason = .stalled(gradientNorm: gradientNorm)
          break
        }
        let moved = norm(state.pointee.dx)
        f = fNew
        gradientNorm = gNew
        lastGood = snapshot(state.pointee.x)
        history.append(
          IterationRecord(
            iteration: iteration, objective: f, gradientNorm: gradientNorm, step: moved))
      }
      return SolveResult(
        optimum: lastGood, objective: f, gradientNorm: gradientNorm, iterations: iteration,
        evaluations: box.evaluations, stopReason: reason, restarts: restarts, history: history)
    }
  }
}

/// The objective as GSL's callbacks see it, with an evaluation counter.
private final class EvaluationBox {
  let evaluate: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Double
  let evaluateValue: (UnsafeBufferPointer<Double>) -> Double
  let n: Int
  var evaluations = 0

  init(_ objective: some Objective) {
    n = objective.parameterCount
    // GSL's vectors as spans: the one place where a solver's storage is a C pointer.
    evaluate = { x, g in
      var gradient = g.mutableSpan
      return objective.valueAndGradient(at: x.span, gradient: &gradient)
    }
    evaluateValue = { objective.value(at: $0.span) }
  }

  func value(_ x: UnsafePointer<gsl_vector>) -> Double {
    evaluations += 1
    precondition(x.pointee.stride == 1, "GSL vector is not contiguous")
    return evaluateValue(UnsafeBufferPointer(start: x.pointee.data, count: n))
  }

  func valueAndGradient(_ x: UnsafePointer<gsl_vector>, _ g: UnsafeMutablePointer<gsl_vector>)
    -> Double
  {
    evaluations += 1
    precondition(x.pointee.stride == 1 && g.pointee.stride == 1, "GSL vector is not contiguous")
    return evaluate(
      UnsafeBufferPointer(start: x.pointee.data, count: n),
      UnsafeMutableBufferPointer(start: g.pointee.data, count: n))
  }
}
