import LinearAlgebra
import TestSupport
import Testing

@testable import UJM

@Suite("Theorem 3.3 checks pass at the optimum and fail on counterexamples", .serialized)
struct Theorem33CheckTests {
  func setting(label: Double) -> (UnconstrainedJacobiansModel, ReducedOptimum) {
    var rng = testGenerator(51)
    let dx: [Double] = Gaussian.sample(6, standardDeviation: (1.0 / 6).squareRoot(), using: &rng)
    let model = UnconstrainedJacobiansModel(dx: dx, label: label, lambda: 0.01, depth: 8)
    let reduced = ReducedProblem(depth: 8, lambda: 0.01, dxNorm: dx.euclideanNorm).minimize()
    return (model, reduced)
  }

  func run(_ model: UnconstrainedJacobiansModel, _ reduced: ReducedOptimum, _ point: UJMPoint)
    throws -> [CheckResult]
  {
    let (f, g) = model.valueAndGradient(at: model.flatten(point))
    return try Theorem33Verifier(model: model, reduced: reduced)
      .checks(at: point, objective: f, gradientNorm: g.euclideanNorm)
  }

  @Test(arguments: [1.0, -1.0])
  func everyCheckPassesAtTheConstructedOptimum(label: Double) throws {
    let (model, reduced) = setting(label: label)
    let point = reduced.point(dx: model.dx, label: label, depth: model.depth)
    let checks = try run(model, reduced, point)
    for c in checks { #expect(c.passed, "\(c.summary)") }
    #expect(checks.count == 10)
  }

  @Test func aPerturbedOptimumFailsTheStructuralChecks() throws {
    let (model, reduced) = setting(label: 1)
    var rng = testGenerator(52)
    let point = perturbed(
      reduced.point(dx: model.dx, label: 1, depth: model.depth), relativeSize: 1e-3, using: &rng)
    let checks = try run(model, reduced, point)
    let failed = checks.filter { !$0.passed }.map(\.name)
    for prefix in ["rank one", "equal σ₁", "σ₁ = s*", "stationary"] {
      #expect(failed.contains { $0.hasPrefix(prefix) }, "\(prefix) should fail")
    }
    // Each failing measurement is printed with its value.
    #expect(checks.first { $0.name.hasPrefix("rank one") }!.measured > 1e-4)
  }

  @Test func wrongSignOfWFailsTheDirectionCheck() throws {
    let (model, reduced) = setting(label: 1)
    var point = reduced.point(dx: model.dx, label: 1, depth: model.depth)
    point.w = point.w.scaled(by: -1)
    let checks = try run(model, reduced, point)
    let direction = checks.first { $0.name.hasPrefix("w ∥ y·Δx") }!
    #expect(!direction.passed)
    #expect(abs(direction.measured - 2) < 1e-12)
  }

  @Test func unequalSingularValuesFailTheEqualityChecks() throws {
    let (model, reduced) = setting(label: 1)
    var point = reduced.point(dx: model.dx, label: 1, depth: model.depth)
    point.jacobians[0].scale(by: 1.01)
    point.jacobians[1].scale(by: 0.99)
    let checks = try run(model, reduced, point)
    #expect(!checks.first { $0.name.hasPrefix("equal σ₁") }!.passed)
    #expect(!checks.first { $0.name.hasPrefix("σ₁ = s*") }!.passed)
    #expect(checks.first { $0.name.hasPrefix("rank one") }!.passed)
  }

  @Test func aPointBelowTheOracleWouldBeReported() throws {
    // If the oracle were wrong (f* too high), the lower-bound check must say so.
    let (model, reduced) = setting(label: 1)
    var wrong = reduced
    wrong.objective += 1e-6
    let point = reduced.point(dx: model.dx, label: 1, depth: model.depth)
    let checks = try run(model, wrong, point)
    #expect(!checks.first { $0.name.hasPrefix("F not below") }!.passed)
  }
}
