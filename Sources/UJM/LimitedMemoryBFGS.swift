// Goals, in order of priority: reach the gradient tolerance (the line search trusts directional
// derivatives when F differences are at rounding level, so it does not stall where GSL's does);
// never return a non-finite point; few passes over the parameters and few copies of them (the
// buffers of evicted memory pairs are reused, so an iteration allocates nothing once the memory is
// full); one two-loop recursion shared with the structured solver.

/// A real vector space with an inner product: what the L-BFGS two-loop recursion needs.
protocol InnerProductSpace<Vector> {
  associatedtype Vector
  func dot(_ a: Vector, _ b: Vector) -> Double
  /// y ← y + α·x.
  func axpy(_ alpha: Double, _ x: Vector, _ y: inout Vector)
  /// x ← α·x.
  func scale(_ x: inout Vector, by alpha: Double)
}

/// The curvature pairs (sₖ, yₖ) of limited-memory BFGS and the product with the inverse-Hessian
/// approximation.
///
/// Nocedal & Wright, Numerical Optimization (2006), Algorithm 7.4: H₀ = γI with
/// γ = sᵀy / yᵀy of the newest pair; pairs with sᵀy ≤ 1e-10·‖s‖‖y‖ are skipped so that H stays
/// positive definite.
struct LBFGSMemory<Vector> {
  var capacity: Int
  private(set) var pairs: [(s: Vector, y: Vector, rho: Double)] = []
  private(set) var gamma = 1.0

  init(capacity: Int) {
    precondition(capacity >= 1, "L-BFGS memory must hold at least one pair")
    self.capacity = capacity
  }

  var isEmpty: Bool { pairs.isEmpty }

  /// Stores the pair if its curvature is positive; returns the vectors that were evicted or
  /// refused, so that the caller can reuse their storage.
  mutating func push(s: Vector, y: Vector, sy: Double, ss: Double, yy: Double) -> [Vector] {
    guard sy > 1e-10 * (ss * yy).squareRoot(), sy.isFinite, yy > 0 else { return [s, y] }
    var evicted = [Vector]()
    if pairs.count == capacity {
      let old = pairs.removeFirst()
      evicted = [old.s, old.y]
    }
    pairs.append((s, y, 1 / sy))
    gamma = sy / yy
    return evicted
  }

  /// Forgets every pair; returns their vectors for reuse.
  mutating func reset() -> [Vector] {
    let vectors = pairs.flatMap { [$0.s, $0.y] }
    pairs.removeAll()
    gamma = 1
    return vectors
  }

  /// Applies `body` to every stored vector (the structured solver extends them with a new basis
  /// coordinate).
  mutating func updateVectors(_ body: (inout Vector) -> Void) {
    for k in pairs.indices {
      body(&pairs[k].s)
      body(&pairs[k].y)
    }
  }

  /// q ← −H·q (the search direction when q holds the gradient): the two-loop recursion.
  func applyNegativeInverseHessian(to q: inout Vector, in space: some InnerProductSpace<Vector>) {
    var alphas = [Double](repeating: 0, count: pairs.count)
    for k in pairs.indices.reversed() {
      alphas[k] = pairs[k].rho * space.dot(pairs[k].s, q)
      space.axpy(-alphas[k], pairs[k].y, &q)
    }
    space.scale(&q, by: gamma)
    for k in pairs.indices {
      let beta = pairs[k].rho * space.dot(pairs[k].y, q)
      space.axpy(alphas[k] - beta, pairs[k].s, &q)
    }
    space.scale(&q, by: -1)
  }
}

/// The curvature pairs of the dense L-BFGS, in either representation
/// (`LBFGSMinimizer.Representation`).
protocol DenseCurvatureMemory {
  var isEmpty: Bool { get }
  /// Stores the pair if its curvature is positive; returns arrays the caller may reuse.
  mutating func push(s: [Double], y: [Double], sy: Double, ss: Double, yy: Double) -> [[Double]]
  /// Forgets every pair; returns arrays the caller may reuse.
  mutating func reset() -> [[Double]]
  /// q ← −H·q.
  mutating func applyNegativeInverseHessian(to q: inout [Double])
  /// Stores the pair as `push` does, where y = g − gₖ, g the new gradient and gₖ the vector the
  /// last direction was computed for; the compact memory reuses products with gₖ and g.
  mutating func push(
    s: [Double], y: [Double], sy: Double, ss: Double, yy: Double, gradient: [Double]
  ) -> [[Double]]
  /// q ← −H·q where q holds the gradient the last `push(…, gradient:)` was given.
  mutating func applyNegativeInverseHessian(toGradient q: inout [Double])
}

extension DenseCurvatureMemory {
  mutating func push(
    s: [Double], y: [Double], sy: Double, ss: Double, yy: Double, gradient: [Double]
  ) -> [[Double]] { push(s: s, y: y, sy: sy, ss: ss, yy: yy) }
  mutating func applyNegativeInverseHessian(toGradient q: inout [Double]) {
    applyNegativeInverseHessian(to: &q)
  }
}

/// The two-loop recursion over flat arrays.
struct TwoLoopMemory: DenseCurvatureMemory {
  var pairs: LBFGSMemory<[Double]>
  var isEmpty: Bool { pairs.isEmpty }
  mutating func push(s: [Double], y: [Double], sy: Double, ss: Double, yy: Double) -> [[Double]] {
    pairs.push(s: s, y: y, sy: sy, ss: ss, yy: yy)
  }
  mutating func reset() -> [[Double]] { pairs.reset() }
  mutating func applyNegativeInverseHessian(to q: inout [Double]) {
    pairs.applyNegativeInverseHessian(to: &q, in: DenseSpace())
  }
}

extension CompactLBFGSMemory: DenseCurvatureMemory {
  mutating func push(
    s: [Double], y: [Double], sy: Double, ss: Double, yy: Double, gradient: [Double]
  ) -> [[Double]] {
    push(s: s, y: y, sy: sy, ss: ss, yy: yy, gradient: Optional(gradient))
  }
}

/// ℝⁿ with the Euclidean inner product, as flat arrays.
struct DenseSpace: InnerProductSpace {
  func dot(_ a: [Double], _ b: [Double]) -> Double { VectorKernels.dot(a, b) }
  func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
    VectorKernels.axpy(alpha, x, &y)
  }
  func scale(_ x: inout [Double], by alpha: Double) { VectorKernels.scale(&x, by: alpha) }
}

/// Limited-memory BFGS on the flat parameter vector, with a Wolfe line search that also accepts
/// Hager–Zhang's approximate Wolfe conditions (`WolfeLineSearch`).
///
/// The first trial step along −∇F is t = min(1, 1/‖∇F‖); later iterations try t = 1 first. When the line search fails, the memory is cleared and the iteration
/// retried along −∇F; a failure along −∇F is a stall, and so is an iterate sequence that improves
/// neither F nor ‖∇F‖ for 50 iterations (`ProgressMonitor`). It keeps x, ∇F, the direction, a trial
/// point and its gradient, and 2·`memory` vectors: 5 + 2·memory copies of the parameters.
///
/// Reference: D. C. Liu and J. Nocedal, "On the limited memory BFGS method for large scale
/// optimization", Math. Programming 45 (1989) 503–528.
public struct LBFGSMinimizer: Minimizer {
  /// How the curvature pairs are stored and applied; both give the same H, to rounding.
  public enum Representation: Sendable {
    /// The two-loop recursion over pairs of arrays (`LBFGSMemory`): 4·m passes over the
    /// parameters per iteration, cheapest for large parameter vectors.
    case twoLoop
    /// The compact representation (`CompactLBFGSMemory`): two `dgemv` calls over an n×2m
    /// buffer per iteration, cheapest where the per-pass overhead dominates (a few hundred
    /// parameters).
    case compact
  }

  /// The number of curvature pairs kept.
  public var memory: Int
  /// The storage of the pairs: `.twoLoop` (the default) or `.compact`.
  public var representation: Representation

  public init(memory: Int = 5, representation: Representation = .twoLoop) {
    precondition(memory >= 1, "L-BFGS memory must be at least 1")
    self.memory = memory
    self.representation = representation
  }

  public var name: String { "lbfgs-dense" }

  public func minimize(
    _ objective: some Objective, from start: [Double], until test: ConvergenceTest
  ) -> SolveResult {
    let n = objective.parameterCount
    precondition(start.count == n, "start has \(start.count) entries, expected \(n)")
    switch representation {
    case .twoLoop:
      var pairs = TwoLoopMemory(pairs: LBFGSMemory<[Double]>(capacity: memory))
      return minimize(objective, from: start, until: test, pairs: &pairs)
    case .compact:
      var pairs = CompactLBFGSMemory(capacity: memory, count: n)
      return minimize(objective, from: start, until: test, pairs: &pairs)
    }
  }

  private func minimize(
    _ objective: some Objective, from start: [Double], until test: ConvergenceTest,
    pairs: inout some DenseCurvatureMemory
  ) -> SolveResult {
    let n = objective.parameterCount
    var x = start
    var g = [Double](repeating: 0, count: n)
    var f = evaluate(objective, x, &g)
    var evaluations = 1
    var gradientNorm = VectorKernels.norm(g)
    var history = [IterationRecord(iteration: 0, objective: f, gradientNorm: gradientNorm, step: 0)]
    guard f.isFinite, gradientNorm.isFinite else {
      return SolveResult(
        optimum: x, objective: f, gradientNorm: gradientNorm, iterations: 0,
        evaluations: evaluations, stopReason: .nonFinite(iteration: 0), history: history)
    }
    var spare = [[Double]]()
    func buffer() -> [Double] { spare.popLast() ?? [Double](repeating: 0, count: n) }
    var direction = buffer()
    var trialX = buffer()
    var trialG = buffer()
    var iteration = 0
    var restarts = 0
    var reason = StopReason.iterationLimit
    let search = WolfeLineSearch()
    var progress = ProgressMonitor()
    while true {
      if let stop = test.stopReason(objective: f, gradientNorm: gradientNorm) {
        reason = stop
        break
      }
      if iteration >= test.maxIterations { break }
      iteration += 1
      copy(g, into: &direction)
      pairs.applyNegativeInverseHessian(toGradient: &direction)
      var slope0 = VectorKernels.dot(g, direction)
      if !(slope0 < 0) || !slope0.isFinite {
        spare += pairs.reset()
        copy(g, into: &direction)
        VectorKernels.scale(&direction, by: -1)
        slope0 = -gradientNorm * gradientNorm
        if !(slope0 < 0) {
          reason = .stalled(gradientNorm: gradientNorm)
          break
        }
      }
      let initialStep = pairs.isEmpty ? min(1, 1 / gradientNorm) : 1
      var trialValue = f
      let (outcome, used) = search.search(value: f, slope: slope0, initialStep: initialStep) { t in
        VectorKernels.step(x, t, direction, into: &trialX)
        trialValue = evaluate(objective, trialX, &trialG)
        return LineSearchTrial(
          step: t, value: trialValue, slope: VectorKernels.dot(trialG, direction))
      }
      evaluations += used
      switch outcome {
      case .accepted(let trial):
        // s = t·d (in the direction's buffer), y = ∇F(x + s) − ∇F(x), and the products, in one
        // pass.
        var s = [Double]()
        swap(&s, &direction)
        var y = buffer()
        let (sy, ss, yy, gg) = VectorKernels.curvaturePair(
          step: trial.step, direction: &s, gradient: g, newGradient: trialG, y: &y)
        spare += pairs.push(s: s, y: y, sy: sy, ss: ss, yy: yy, gradient: trialG)
        direction = buffer()
        swap(&x, &trialX)
        swap(&g, &trialG)
        f = trial.value
        gradientNorm = gg.squareRoot()
        history.append(
          IterationRecord(
            iteration: iteration, objective: f, gradientNorm: gradientNorm,
            step: ss.squareRoot()))
        if progress.record(objective: f, gradientNorm: gradientNorm),
          test.stopReason(objective: f, gradientNorm: gradientNorm) == nil
        {
          reason = .stalled(gradientNorm: gradientNorm)
          break
        }
      case .failed(let nonFinite):
        if nonFinite {
          reason = .nonFinite(iteration: iteration)
        } else if !pairs.isEmpty {
          // Retry along −∇F with an empty memory.
          spare += pairs.reset()
          restarts += 1
          iteration -= 1
          continue
        } else {
          reason = .stalled(gradientNorm: gradientNorm)
        }
      }
      if case .failed = outcome { break }
    }
    return SolveResult(
      optimum: x, objective: f, gradientNorm: gradientNorm, iterations: iteration,
      evaluations: evaluations, stopReason: reason, restarts: restarts, history: history)
  }

  private func evaluate(_ objective: some Objective, _ x: [Double], _ g: inout [Double]) -> Double {
    objective.valueAndGradient(at: x, gradient: &g)
  }

  private func copy(_ source: [Double], into target: inout [Double]) {
    source.withUnsafeBufferPointer { s in
      target.withUnsafeMutableBufferPointer { t in
        t.baseAddress!.update(from: s.baseAddress!, count: s.count)
      }
    }
  }
}

extension LBFGSMinimizer {
  /// The polishing phase after another method stalls: memory 5, or 3 above a million parameters
  /// (11 copies of the parameters at most).
  static func polishing(parameterCount: Int) -> LBFGSMinimizer {
    LBFGSMinimizer(memory: parameterCount > 1_000_000 ? 3 : 5)
  }
}

extension SolveResult {
  /// This result followed by a polishing phase that started from its optimum: counts add up, the
  /// history goes on, and the polishing phase's point and stop reason are the result's.
  func continued(by polish: SolveResult) -> SolveResult {
    var history = self.history
    for record in polish.history.dropFirst() {
      var shifted = record
      shifted.iteration += iterations
      history.append(shifted)
    }
    var reason = polish.stopReason
    if case .nonFinite(let k) = reason { reason = .nonFinite(iteration: iterations + k) }
    return SolveResult(
      optimum: polish.optimum, objective: polish.objective, gradientNorm: polish.gradientNorm,
      iterations: iterations + polish.iterations, evaluations: evaluations + polish.evaluations,
      stopReason: reason, restarts: restarts + polish.restarts, history: history,
      polishIterations: polishIterations + polish.iterations)
  }
}
