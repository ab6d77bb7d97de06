import Foundation
import UJM

/// The human-readable form of a `SolveReport`.
enum SolveReportFormatter {
  static func text(_ r: SolveReport) -> String {
    func f(_ x: Double) -> String { String(format: "%.15g", x) }
    var lines = [String]()
    lines.append("Unconstrained Jacobians Model (Definition 3.2)")
    lines.append(
      "  L = \(r.L), λ = \(f(r.lambda)), D = \(r.D), y = \(r.label > 0 ? "+1" : "-1"), seed = \(r.seed), ‖Δx‖ = \(f(r.dx_norm))"
    )
    lines.append("Reduced problem (J_i = s·uuᵀ, w = y·t·u): oracle")
    lines.append(
      "  f* = \(f(r.reduced.objective)), s* = \(f(r.reduced.s)), t* = \(f(r.reduced.t)), ‖∇g‖ = \(formatScientific(r.reduced.gradient_norm))"
    )
    lines.append("Solver \(r.algorithm): \(r.stop_reason)")
    lines.append(
      "  F = \(f(r.objective)), F − f* = \(formatScientific(r.gap)), ‖∇F‖ = \(formatScientific(r.gradient_norm))"
    )
    lines.append(
      "  iterations \(r.iterations), evaluations \(r.evaluations), restarts \(r.restarts), polish iterations \(r.polish_iterations), "
        + String(format: "%.3f s", r.seconds))
    if r.perturb > 0 {
      lines.append(
        "Perturbed by \(formatScientific(r.perturb)) (relative, seeded) before the checks")
    }
    lines.append("Theorem 3.3 checks:")
    for c in r.checks { lines.append("  " + c.summary) }
    if let h = r.hessian { lines.append(contentsOf: HessianFormatter.lines(h)) }
    let passed = r.checks.filter(\.passed).count
    lines.append("\(passed) of \(r.checks.count) checks passed")
    lines.append("BLAS: \(r.blas.core), \(r.blas.threads) thread(s)")
    return lines.joined(separator: "\n")
  }
}
