import LinearAlgebra
import TestSupport

@testable import UJM

/// A random multi-class model and point: C classes, N per class, width D, depth L, λ and the
/// draws from `seed` (inputs N(0, 1), point N(0, 0.25)).
func multiclassCase(
  classes c: Int, perClass n: Int, dimension d: Int, depth l: Int, seed: UInt64,
  lambda: Double? = nil
) -> (MulticlassUnconstrainedJacobiansModel, [Double]) {
  var rng = SeededGenerator(seed: seed)
  let lam = lambda ?? Double.random(in: 0.001...1, using: &rng)
  let inputs = Gaussian.matrix(rows: d, columns: c * n, as: Double.self, using: &rng)
  let labels = (0..<(c * n)).map { $0 % c }
  let model = MulticlassUnconstrainedJacobiansModel(
    inputs: inputs, labels: labels, classes: c, lambda: lam, depth: l)
  let x: [Double] = Gaussian.sample(model.parameterCount, standardDeviation: 0.5, using: &rng)
  return (model, x)
}

/// Central differences of F, step h.
func finiteDifferenceGradient(_ objective: some Objective, at x: [Double], step h: Double = 1e-6)
  -> [Double]
{
  x.indices.map { k in
    var xp = x
    var xm = x
    xp[k] += h
    xm[k] -= h
    return (objective.value(at: xp) - objective.value(at: xm)) / (2 * h)
  }
}

/// ∇²F·v by Richardson-extrapolated central differences of the analytic gradient
/// (error O(h⁴) + O(ε/h)): an independent path to the Hessian.
func finiteDifferenceHessianProduct(
  _ objective: some Objective, at x: [Double], along v: [Double], step h: Double = 1e-3
) -> [Double] {
  func central(_ t: Double) -> [Double] {
    var xp = x
    var xm = x
    for k in x.indices {
      xp[k] += t * v[k]
      xm[k] -= t * v[k]
    }
    let gp = objective.valueAndGradient(at: xp).gradient
    let gm = objective.valueAndGradient(at: xm).gradient
    return x.indices.map { (gp[$0] - gm[$0]) / (2 * t) }
  }
  let coarse = central(h)
  let fine = central(h / 2)
  return x.indices.map { (4 * fine[$0] - coarse[$0]) / 3 }
}

/// The instance of issue 17's reference solve: C = 3, two inputs per class, D = 12, L = 3,
/// λ = 1e-2, seed 0, solved from the default four starts.
let referenceSolve: (MulticlassSolveReport, [Double]) = {
  let problem = MulticlassProblem(
    classes: 3, examplesPerClass: 2, dimension: 12, depth: 3, lambda: 1e-2, seed: 0)
  return try! MulticlassSolveRun(
    problem: problem, algorithm: .lbfgs, test: ConvergenceTest(gradientTolerance: 1e-9)
  ).run()
}()
