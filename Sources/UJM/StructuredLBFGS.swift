// Goals, in order of priority:
// 1. Reach the gradient tolerance (default 1e-9), confirmed by a dense evaluation of the dense
//    point it returns; never return a non-finite point.
// 2. Speed at the paper's width: D = 512, L = 16 (4.2 million parameters) in well under 2 s. A
//    dense L-BFGS iteration makes tens of passes over the 33 MB parameter vector; here an
//    iteration makes two passes over the starting Jacobians (read only) and O(L·D·M) other work.
// 3. Memory: the starting point, the bundles (2·L·D numbers per iteration) and, at the end, the
//    dense optimum and one dense gradient: far below 12 copies of the parameters.
// 4. The same iterates as a dense L-BFGS from the same start (up to rounding), so that it is the
//    textbook method, merely stored differently.

/// Limited-memory BFGS on the Unconstrained Jacobians Model (Definition 3.2), run in the subspace
/// spanned by the starting Jacobians and the rank-one gradient terms (`RankOneBundleBasis`).
///
/// Every gradient is ∂F/∂Jᵢ = λJᵢ + ℓ′·bᵢaᵢ₋₁ᵀ, so every iterate, gradient and L-BFGS pair of a
/// gradient method started at (J⁰, w⁰) is Jᵢ = c₀Jᵢ⁰ + Σₘ cₘbᵢ,ₘaᵢ₋₁,ₘᵀ with coefficients common
/// to all blocks, plus a dense w. Vectors are stored as (c, G·c, w), G the Gram matrix of the
/// basis, so an inner product costs O(M + D) and the two-loop recursion never touches a D×D
/// matrix. The line search is `WolfeLineSearch` (Wolfe, or Hager–Zhang's approximate Wolfe
/// conditions where differences of F are at rounding level).
///
/// Stopping: F and ‖∇F‖ in Gram form drive the iteration. When they meet the test, the point is
/// materialised (Jᵢ = c₀Jᵢ⁰ + Bᵢ·diag(c)·Aᵢᵀ, one gemm per block) and evaluated densely; only the
/// dense F and ‖∇F‖ decide convergence and are reported. Gram-form inner products lose accuracy
/// when a small vector is a difference of large terms (‖∇F‖ near the minimum), so if the dense
/// check fails `maxVerifications` times, or the line search stalls, or the basis is full
/// (`maxBundles`), a dense L-BFGS (`LBFGSMinimizer`) polishes from the materialised point and
/// `polishIterations` says how many iterations it took.
///
/// For an objective other than the UJM it is the dense `LBFGSMinimizer` in the compact
/// representation.
public struct StructuredLBFGS: Minimizer {
  /// The number of curvature pairs kept.
  public var memory: Int
  /// The most bundles (iterations) kept before handing over to the dense polishing phase.
  public var maxBundles: Int
  /// How many dense checks may fail before handing over to the dense polishing phase.
  public var maxVerifications: Int

  public init(memory: Int = 10, maxBundles: Int = 500, maxVerifications: Int = 4) {
    precondition(memory >= 1 && maxBundles >= 2 && maxVerifications >= 1, "invalid settings")
    self.memory = memory
    self.maxBundles = maxBundles
    self.maxVerifications = maxVerifications
  }

  public var name: String { "lbfgs" }

  public func minimize(
    _ objective: some Objective, from start: [Double], until test: ConvergenceTest
  ) -> SolveResult {
    // Any other objective (the multi-class model, a few hundred parameters at the atlas's sizes):
    // the compact representation, whose two dgemv calls beat the two-loop's 4·m passes there.
    objective.structuredMinimum(from: start, settings: self, until: test)
      ?? LBFGSMinimizer(memory: memory, representation: .compact).minimize(
        objective, from: start, until: test)
  }
}

extension UnconstrainedJacobiansModel {
  /// The structured L-BFGS's run on the UJM (its structure declared by the type: no run-time
  /// cast of the objective).
  public func structuredMinimum(
    from start: [Double], settings: StructuredLBFGS, until test: ConvergenceTest
  ) -> SolveResult? {
    precondition(start.count == parameterCount, "start has the wrong length")
    var run = StructuredRun(model: self, start: start, settings: settings)
    return run.solve(until: test)
  }
}

/// A vector of the structured space: coefficients c on E₀…E_M, the image G·c, and w.
struct StructuredVector {
  var c: [Double]
  var gc: [Double]
  var w: [Double]
}

/// The structured space with M + 1 active coordinates: ⟨u, v⟩ = u.cᵀ(G·v.c) + u.wᵀv.w.
struct StructuredSpace: InnerProductSpace {
  var active: Int

  func dot(_ a: StructuredVector, _ b: StructuredVector) -> Double {
    var s = 0.0
    for k in 0..<active { s += a.c[k] * b.gc[k] }
    return s + VectorKernels.dot(a.w, b.w)
  }

  func axpy(_ alpha: Double, _ x: StructuredVector, _ y: inout StructuredVector) {
    for k in 0..<active {
      y.c[k] += alpha * x.c[k]
      y.gc[k] += alpha * x.gc[k]
    }
    VectorKernels.axpy(alpha, x.w, &y.w)
  }

  func scale(_ x: inout StructuredVector, by alpha: Double) {
    for k in 0..<active {
      x.c[k] *= alpha
      x.gc[k] *= alpha
    }
    VectorKernels.scale(&x.w, by: alpha)
  }
}

/// The state of one structured solve.
private struct StructuredRun {
  let model: UnconstrainedJacobiansModel
  let start: [Double]
  let settings: StructuredLBFGS
  var basis: RankOneBundleBasis
  var evaluations = 0

  init(model: UnconstrainedJacobiansModel, start: [Double], settings: StructuredLBFGS) {
    self.model = model
    self.start = start
    self.settings = settings
    basis = RankOneBundleBasis(model: model, start: start, capacity: settings.maxBundles)
  }

  var space: StructuredSpace { StructuredSpace(active: basis.activeCount) }

  func zero() -> StructuredVector {
    StructuredVector(
      c: [Double](repeating: 0, count: basis.coefficientLength),
      gc: [Double](repeating: 0, count: basis.coefficientLength),
      w: [Double](repeating: 0, count: model.dimension))
  }

  /// Fills the newest coordinate of G·c for a vector without a coefficient on it.
  func extend(_ v: inout StructuredVector) {
    let n = basis.count
    v.gc[n] = basis.gramRowProduct(n, v.c)
  }

  /// ∇F at x, whose evaluation was just committed as the newest bundle:
  /// λ·x + ℓ′·(E_new, a_L).
  func gradient(at x: StructuredVector, _ e: RankOneBundleBasis.Evaluation) -> StructuredVector {
    let lam = model.lambda
    let n = basis.count
    var g = zero()
    for k in 0...n {
      g.c[k] = lam * x.c[k]
      g.gc[k] = lam * x.gc[k] + e.lossDerivative * e.gramRow[k]
    }
    g.c[n] += e.lossDerivative
    for k in 0..<model.dimension { g.w[k] = lam * x.w[k] + e.lossDerivative * e.output[k] }
    return g
  }

  /// F at x + t·d in Gram form, and its slope along d, from an evaluation there.
  func valueAndSlope(
    x: StructuredVector, t: Double, d: StructuredVector, _ e: RankOneBundleBasis.Evaluation,
    w: [Double]
  ) -> (value: Double, slope: Double) {
    var regularizer = 0.0
    var along = 0.0
    var bundle = 0.0
    for k in 0..<basis.activeCount {
      let ck = x.c[k] + t * d.c[k]
      regularizer += ck * (x.gc[k] + t * d.gc[k])
      along += ck * d.gc[k]
      bundle += e.gramRow[k] * d.c[k]
    }
    regularizer += VectorKernels.dot(w, w)
    along += VectorKernels.dot(w, d.w)
    bundle += VectorKernels.dot(e.output, d.w)
    let lam = model.lambda
    return (e.loss + lam / 2 * regularizer, lam * along + e.lossDerivative * bundle)
  }

  func materialize(_ x: StructuredVector) -> [Double] {
    basis.materialize(coefficients: x.c, w: x.w)
  }

  mutating func denseCheck(_ x: StructuredVector) -> (point: [Double], f: Double, g: Double) {
    let point = materialize(x)
    let (f, g) = model.valueAndGradient(at: point)
    evaluations += 1
    return (point, f, VectorKernels.norm(g))
  }

  mutating func solve(until test: ConvergenceTest) -> SolveResult {
    let lam = model.lambda
    let jCount = model.depth * model.dimension * model.dimension
    var x = zero()
    x.c[0] = 1
    x.gc[0] = basis.gram[0]
    x.w = Array(start[jCount...])
    let first = basis.evaluate(coefficients: x.c, w: x.w)
    evaluations = 1
    var f = first.loss + lam / 2 * (x.gc[0] + VectorKernels.dot(x.w, x.w))
    guard f.isFinite, first.lossDerivative.isFinite, VectorKernels.allFinite(first.gramRow) else {
      return SolveResult(
        optimum: start, objective: f, gradientNorm: .nan, iterations: 0, evaluations: 1,
        stopReason: .nonFinite(iteration: 0),
        history: [IterationRecord(iteration: 0, objective: f, gradientNorm: .nan, step: 0)])
    }
    basis.commit(first)
    extend(&x)
    var g = gradient(at: x, first)
    var gradientNorm = max(0, space.dot(g, g)).squareRoot()
    var history = [IterationRecord(iteration: 0, objective: f, gradientNorm: gradientNorm, step: 0)]
    var pairs = LBFGSMemory<StructuredVector>(capacity: settings.memory)
    var iteration = 0
    var restarts = 0
    var failedChecks = 0
    var gradientTrigger = test.gradientTolerance
    var objectiveTrigger = test.objectiveTarget ?? -.infinity
    var handOver = false
    var reason = StopReason.iterationLimit
    let search = WolfeLineSearch()
    var progress = ProgressMonitor()

    while true {
      if gradientNorm <= gradientTrigger || f <= objectiveTrigger {
        let check = denseCheck(x)
        if let stop = test.stopReason(objective: check.f, gradientNorm: check.g) {
          return SolveResult(
            optimum: check.point, objective: check.f, gradientNorm: check.g,
            iterations: iteration, evaluations: evaluations, stopReason: stop,
            restarts: restarts, history: history)
        }
        failedChecks += 1
        if failedChecks >= settings.maxVerifications {
          handOver = true
          break
        }
        // Ask for more before the next dense check.
        gradientTrigger = min(gradientTrigger, gradientNorm / 2)
        if f <= objectiveTrigger { objectiveTrigger = f - max(check.f - f, 0) - 1e-15 * abs(f) }
      }
      if iteration >= test.maxIterations { break }
      if basis.isFull {
        handOver = true
        break
      }
      iteration += 1
      var d = g
      pairs.applyNegativeInverseHessian(to: &d, in: space)
      var slope0 = space.dot(g, d)
      if !(slope0 < 0) || !slope0.isFinite {
        _ = pairs.reset()
        d = g
        space.scale(&d, by: -1)
        slope0 = -gradientNorm * gradientNorm
        // Gram-form norms can cancel to 0 or below (NaN root): let the dense phase take over.
        if !(slope0 < 0) {
          handOver = true
          break
        }
      }
      let initialStep = pairs.isEmpty ? min(1, 1 / gradientNorm) : 1
      var last: RankOneBundleBasis.Evaluation?
      let direction = d
      let current = x
      let (outcome, used) = search.search(value: f, slope: slope0, initialStep: initialStep) {
        t in
        var c = current.c
        for k in 0..<basis.activeCount { c[k] += t * direction.c[k] }
        var w = current.w
        VectorKernels.axpy(t, direction.w, &w)
        let e = basis.evaluate(coefficients: c, w: w)
        last = e
        let (value, slope) = valueAndSlope(x: current, t: t, d: direction, e, w: w)
        return LineSearchTrial(step: t, value: value, slope: slope)
      }
      evaluations += used
      switch outcome {
      case .accepted(let trial):
        let e = last!
        basis.commit(e)
        extend(&x)
        extend(&d)
        extend(&g)
        pairs.updateVectors { extend(&$0) }
        var s = d
        space.scale(&s, by: trial.step)
        space.axpy(1, s, &x)
        let gNew = gradient(at: x, e)
        var y = gNew
        space.axpy(-1, g, &y)
        let ss = space.dot(s, s)
        _ = pairs.push(s: s, y: y, sy: space.dot(s, y), ss: ss, yy: space.dot(y, y))
        g = gNew
        f = trial.value
        gradientNorm = max(0, space.dot(g, g)).squareRoot()
        history.append(
          IterationRecord(
            iteration: iteration, objective: f, gradientNorm: gradientNorm,
            step: max(0, ss).squareRoot()))
        if progress.record(objective: f, gradientNorm: gradientNorm) {
          handOver = true
          break
        }
      case .failed(let nonFinite):
        if nonFinite {
          reason = .nonFinite(iteration: iteration)
        } else if !pairs.isEmpty {
          _ = pairs.reset()
          restarts += 1
          iteration -= 1
          continue
        } else {
          handOver = true
        }
      }
      if case .failed = outcome { break }
    }

    let check = denseCheck(x)
    if let stop = test.stopReason(objective: check.f, gradientNorm: check.g) {
      reason = stop
    } else if handOver {
      let structured = SolveResult(
        optimum: check.point, objective: check.f, gradientNorm: check.g, iterations: iteration,
        evaluations: evaluations, stopReason: .stalled(gradientNorm: check.g), restarts: restarts,
        history: history)
      var remaining = test
      remaining.maxIterations = max(0, test.maxIterations - iteration)
      let polished = LBFGSMinimizer.polishing(parameterCount: model.parameterCount)
        .minimize(model, from: check.point, until: remaining)
      return structured.continued(by: polished)
    }
    if !check.f.isFinite || !check.g.isFinite {
      // The materialised point is not finite: fall back to the start, the last finite point known.
      let (f0, g0) = model.valueAndGradient(at: start)
      return SolveResult(
        optimum: start, objective: f0, gradientNorm: VectorKernels.norm(g0),
        iterations: iteration, evaluations: evaluations + 1,
        stopReason: .nonFinite(iteration: iteration), restarts: restarts, history: history)
    }
    return SolveResult(
      optimum: check.point, objective: check.f, gradientNorm: check.g, iterations: iteration,
      evaluations: evaluations, stopReason: reason, restarts: restarts, history: history)
  }
}
