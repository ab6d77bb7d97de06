import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

/// The fast paths of the multi-class solve (issue 17): the `dgemm` evaluation against the generic
/// one the Hessian uses, and the compact L-BFGS representation (with and without its products
/// taken from gradient differences) against the two-loop recursion.
@Suite("The multi-class solve's fast paths agree with the reference paths")
struct MulticlassSpeedPathTests {
  @Test func matrixProductEvaluationMatchesTheGenericPath() {
    var worst = 0.0
    for seed: UInt64 in 0..<12 {
      let (model, x) = multiclassCase(
        classes: 2 + Int(seed % 4), perClass: 1 + Int(seed % 3), dimension: 2 + Int(seed % 5),
        depth: 1 + Int(seed % 3), seed: seed)
      var generic = [Double](repeating: 0, count: x.count)
      let f = model.evaluate(x, gradient: &generic)
      let fast = model.valueAndGradient(at: x)
      worst = max(
        worst, abs(f - fast.value) / max(1, abs(f)), relativeError(generic, fast.gradient))
    }
    print("dgemm evaluation against the generic path: worst relative \(worst), tolerance 1e-13")
    #expect(worst < 1e-13, "measured \(worst), tolerance 1e-13")
  }

  @Test func theSameMeasureDetectsAGradientMissingOneBlocksProduct() {
    let (model, x) = multiclassCase(classes: 3, perClass: 2, dimension: 4, depth: 2, seed: 3)
    var generic = [Double](repeating: 0, count: x.count)
    _ = model.evaluate(x, gradient: &generic)
    var wrong = model.valueAndGradient(at: x).gradient
    // ∂F/∂J₁ without B₁A₀ᵀ: only the decay λJ₁ left.
    for k in 0..<16 { wrong[k] = model.lambda * x[k] }
    let error = relativeError(generic, wrong)
    print("a gradient without B₁A₀ᵀ: relative error \(error), must exceed 1e-13")
    #expect(error > 1e-13, "measured \(error)")
  }

  /// Random pairs with positive curvature, more than the memory holds (evictions included).
  private func pairs(count n: Int, pairs m: Int, seed: UInt64) -> [([Double], [Double])] {
    var rng = SeededGenerator(seed: seed)
    return (0..<m).map { _ in
      let s: [Double] = Gaussian.sample(n, using: &rng)
      var y: [Double] = Gaussian.sample(n, standardDeviation: 0.3, using: &rng)
      for k in 0..<n { y[k] += 2 * s[k] }
      return (s, y)
    }
  }

  private func directions(count n: Int, memory: Int, seed: UInt64, corruptGamma: Bool = false)
    -> (twoLoop: [[Double]], compact: [[Double]])
  {
    var twoLoop = TwoLoopMemory(pairs: LBFGSMemory<[Double]>(capacity: memory))
    var compact = CompactLBFGSMemory(capacity: memory, count: n)
    var rng = SeededGenerator(seed: seed &+ 99)
    var a = [[Double]]()
    var b = [[Double]]()
    for (s, y) in pairs(count: n, pairs: 2 * memory + 3, seed: seed) {
      let sy = VectorKernels.dot(s, y)
      let ss = VectorKernels.dot(s, s)
      let yy = VectorKernels.dot(y, y)
      _ = twoLoop.push(s: s, y: y, sy: sy, ss: ss, yy: yy)
      _ = compact.push(s: s, y: y, sy: sy, ss: ss, yy: corruptGamma ? 2 * yy : yy)
      var q: [Double] = Gaussian.sample(n, using: &rng)
      var r = q
      twoLoop.applyNegativeInverseHessian(to: &q)
      compact.applyNegativeInverseHessian(to: &r)
      a.append(q)
      b.append(r)
    }
    return (a, b)
  }

  @Test func compactRepresentationAppliesTheTwoLoopMatrix() {
    var worst = 0.0
    for (seed, (n, m)) in [(7, 3), (20, 5), (50, 10)].enumerated() {
      let (a, b) = directions(count: n, memory: m, seed: UInt64(seed))
      for (u, v) in zip(a, b) { worst = max(worst, relativeError(u, v)) }
    }
    print("compact against two-loop −H·q: worst relative \(worst), tolerance 1e-10")
    #expect(worst < 1e-10, "measured \(worst), tolerance 1e-10")
  }

  @Test func theSameMeasureDetectsACompactMemoryWithTheWrongScaling() {
    let (a, b) = directions(count: 20, memory: 5, seed: 4, corruptGamma: true)
    let error = zip(a, b).map { relativeError($0, $1) }.max()!
    print("compact memory with γ halved: relative error \(error), must exceed 1e-10")
    #expect(error > 1e-10, "measured \(error)")
  }

  /// Directions along a gradient sequence gₖ₊₁ = gₖ + yₖ: the compact memory told the new
  /// gradient at each push (its products with y from [S Y]ᵀgₖ₊₁ − [S Y]ᵀgₖ), against the
  /// two-loop recursion. `wrongPrevious` hands the pushes a gradient off by one step (y is then
  /// not the difference the memory assumes).
  private func gradientPathDirections(count n: Int, memory: Int, seed: UInt64, wrongPrevious: Bool)
    -> (twoLoop: [[Double]], compact: [[Double]])
  {
    var twoLoop = TwoLoopMemory(pairs: LBFGSMemory<[Double]>(capacity: memory))
    var compact = CompactLBFGSMemory(capacity: memory, count: n)
    var rng = SeededGenerator(seed: seed &+ 7)
    var g: [Double] = Gaussian.sample(n, using: &rng)
    var a = [[Double]]()
    var b = [[Double]]()
    for (s, y) in pairs(count: n, pairs: 2 * memory + 3, seed: seed) {
      var q = g
      var r = g
      twoLoop.applyNegativeInverseHessian(to: &q)
      compact.applyNegativeInverseHessian(toGradient: &r)
      a.append(q)
      b.append(r)
      let next = zip(g, y).map { $0 + $1 }
      let told = wrongPrevious ? zip(next, y).map { $0 + $1 } : next
      let sy = VectorKernels.dot(s, y)
      let ss = VectorKernels.dot(s, s)
      let yy = VectorKernels.dot(y, y)
      _ = twoLoop.push(s: s, y: y, sy: sy, ss: ss, yy: yy)
      _ = compact.push(s: s, y: y, sy: sy, ss: ss, yy: yy, gradient: told)
      g = next
    }
    return (a, b)
  }

  @Test func compactMemoryToldTheGradientAppliesTheTwoLoopMatrix() {
    var worst = 0.0
    for (seed, (n, m)) in [(7, 3), (20, 5), (50, 10)].enumerated() {
      let (a, b) = gradientPathDirections(
        count: n, memory: m, seed: UInt64(seed), wrongPrevious: false)
      for (u, v) in zip(a, b) { worst = max(worst, relativeError(u, v)) }
    }
    print(
      "compact (products with y from [S Y]ᵀg differences) against two-loop −H·g: worst relative "
        + "\(worst), tolerance 1e-10")
    #expect(worst < 1e-10, "measured \(worst), tolerance 1e-10")
  }

  @Test func theSameMeasureDetectsPushesToldTheWrongGradient() {
    let (a, b) = gradientPathDirections(count: 20, memory: 5, seed: 4, wrongPrevious: true)
    let error = zip(a, b).map { relativeError($0, $1) }.max()!
    print(
      "compact memory told gₖ₊₁ + yₖ instead of gₖ₊₁: relative error \(error), must exceed 1e-10")
    #expect(error > 1e-10, "measured \(error)")
  }

  @Test func theMulticlassSolveTakesTheTwoLoopIteratesToRounding() {
    let problem = MulticlassProblem(
      classes: 3, examplesPerClass: 2, dimension: 6, depth: 2, lambda: 1e-2, seed: 5, starts: 1)
    let test = ConvergenceTest()
    let twoLoop = LBFGSMinimizer(memory: 10).minimize(
      problem.model, from: problem.starts[0], until: test)
    let compact = LBFGSMinimizer(memory: 10, representation: .compact).minimize(
      problem.model, from: problem.starts[0], until: test)
    let gap = abs(twoLoop.objective - compact.objective) / abs(twoLoop.objective)
    print(
      "two-loop \(twoLoop.iterations) iterations, compact \(compact.iterations); "
        + "|ΔF|/F \(gap), tolerance 1e-12")
    #expect(compact.stopReason.isConverged && twoLoop.stopReason.isConverged)
    #expect(gap < 1e-12, "measured \(gap), tolerance 1e-12")
    #expect(abs(compact.iterations - twoLoop.iterations) <= 2)
  }
}
