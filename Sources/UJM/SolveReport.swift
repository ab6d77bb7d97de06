import Foundation
import LinearAlgebra

/// Everything `ujm solve` reports, with the field names of its JSON output.
public struct SolveReport: Sendable, Codable, Equatable {
  public struct Reduced: Sendable, Codable, Equatable {
    public var objective: Double
    public var s: Double
    public var t: Double
    public var gradient_norm: Double
  }

  public var L: Int
  public var lambda: Double
  public var D: Int
  public var label: Int
  public var seed: UInt64
  public var algorithm: String
  public var dx_norm: Double
  public var objective: Double
  public var reduced: Reduced
  /// F − f*.
  public var gap: Double
  public var gradient_norm: Double
  public var iterations: Int
  public var evaluations: Int
  public var restarts: Int
  /// Iterations of the dense L-BFGS polishing phase after a stall (0 when it was not needed).
  public var polish_iterations: Int
  /// Why the solver stopped (`stop_reason` in JSON).
  public var stopReason: StopReason.Kind
  /// The solver's wall time, start to stop, without set-up, checks or output.
  public var seconds: Double
  /// The relative perturbation applied before the checks (0 when none).
  public var perturb: Double
  public var checks: [CheckResult]
  public var blas: BLASEnvironment
  /// The Hessian's extreme eigenvalues at the optimum (`--hessian`), else null.
  public var hessian: HessianSpectrum? = nil

  /// Converged and every check passed.
  public var succeeded: Bool { stopReason == .converged && checks.allSatisfy(\.passed) }

  /// The JSON's one word for `stopReason`.
  public var stop_reason: String { stopReason.rawValue }

  /// The report as indented JSON (sorted keys, non-finite numbers as `null`).
  public func jsonData() throws -> Data { try ReportJSON.encode(self, pretty: true) }

  enum CodingKeys: String, CodingKey {
    case L, lambda, D, label, seed, algorithm, dx_norm, objective, reduced, gap, gradient_norm
    case iterations, evaluations, restarts, polish_iterations, seconds, perturb
    case stopReason = "stop_reason"
    case checks, blas, hessian
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(L, forKey: .L)
    try c.encode(lambda, forKey: .lambda)
    try c.encode(D, forKey: .D)
    try c.encode(label, forKey: .label)
    try c.encode(seed, forKey: .seed)
    try c.encode(algorithm, forKey: .algorithm)
    try c.encode(dx_norm, forKey: .dx_norm)
    try c.encode(objective, forKey: .objective)
    try c.encode(reduced, forKey: .reduced)
    try c.encode(gap, forKey: .gap)
    try c.encode(gradient_norm, forKey: .gradient_norm)
    try c.encode(iterations, forKey: .iterations)
    try c.encode(evaluations, forKey: .evaluations)
    try c.encode(restarts, forKey: .restarts)
    try c.encode(polish_iterations, forKey: .polish_iterations)
    try c.encode(stopReason, forKey: .stopReason)
    try c.encode(seconds, forKey: .seconds)
    try c.encode(perturb, forKey: .perturb)
    try c.encode(checks, forKey: .checks)
    try c.encode(blas, forKey: .blas)
    try c.encode(hessian, forKey: .hessian)  // null when not asked for
  }
}
