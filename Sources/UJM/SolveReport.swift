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
  public var stop_reason: String
  /// The solver's wall time, start to stop, without set-up, checks or output.
  public var seconds: Double
  /// The relative perturbation applied before the checks (0 when none).
  public var perturb: Double
  public var checks: [CheckResult]
  public var blas: BLASEnvironment

  /// Converged and every check passed.
  public var succeeded: Bool { stop_reason == "converged" && checks.allSatisfy(\.passed) }

  /// The report as indented JSON (sorted keys, non-finite numbers as `null`).
  public func jsonData() throws -> Data { try ReportJSON.encode(self, pretty: true) }
}
