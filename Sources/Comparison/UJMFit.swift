// Goals, in order of priority: the UJM with one fitted parameter (λ_eff) set against the trained
// network, or an honest null when no λ reproduces the measured σ₁; the exact inverse of s*(λ)
// from the reduced problem's stationarity conditions, checked against ReducedProblem's global
// minimiser; the full UJM solved on the model's own Δx.

import Foundation
import LinearAlgebra
import UJM

/// The Unconstrained Jacobians Model fitted to a trained network.
///
/// Paper: Definition 3.2 and Theorem 3.3; the reduced problem g(s, t) = ℓ(t·r·(1+s)ᴸ) +
/// λ/2·(L·s² + t²) (`ReducedProblem`). Its stationarity conditions ∂g/∂t = ∂g/∂s = 0 give, for
/// s > 0,
///
///     t² = s(1 + s),   λ(s) = c·σ(−z)/t,   c = r(1 + s)ᴸ,  z = t·c,  σ(−z) = 1/(1 + eᶻ),
///
/// so λ(s) is explicit; it decreases from ∞ (s → 0) to 0 (s → ∞), about like e^{−z}, so s*
/// grows only logarithmically in 1/λ and the σ₁ reachable for λ ∈ [1e-300, λ_max = 1] is a
/// bounded interval (`reachable`). Outside it λ_eff is null.
///
/// Invariant inputs only. A BatchNorm network computes the same function after h → c·h, which
/// leaves every J_i (so σ₁) and the margin unchanged but sends δ₁ → c·δ₁ and w → w/c: ‖δ₁‖ and ‖w‖
/// alone are not identifiable, their product ρ = ‖w‖·‖δ₁‖ is. The fit therefore uses L (the live
/// blocks), σ̄₁ (the median σ₁ at x_mid over pairs and live blocks) and ρ (the median over pairs
/// and endpoints), and reads the network in the one gauge the UJM's optimum allows: the one in
/// which its balance ‖w‖ = t* = √(σ̄₁(1 + σ̄₁)) holds, where r = ρ/t*. Then λ_eff is the λ at
/// which s*(λ) = σ̄₁ (one fitted parameter), the predicted margin is t*·r·(1 + s*)ᴸ = ρ(1 + σ̄₁)ᴸ,
/// and ReducedProblem's global minimiser at λ_eff is compared with σ̄₁ (`globalCheck`): a
/// stationary point need not be the global minimum. λ_eff is set against the training weight
/// decay when the checkpoint records one (`weightDecay`; PyTorch's files do not).
public struct UJMFit: Sendable, Encodable {
  /// The smallest λ searched.
  public static let smallestLambda = 1e-300
  /// λ_max: no training recipe decays its weights by more than this.
  public static let largestLambda = 1.0

  /// L, the live blocks.
  public var blocks: Int
  /// r = ρ/t*, ‖Δx‖ in the gauge where the UJM's balance ‖w‖ = t* holds.
  public var dxNorm: Double
  /// ρ, the median ‖w‖·‖δ₁‖ (invariant under h → c·h).
  public var classifierDeltaNorm: Double
  /// The training weight decay recorded in the checkpoint, if any.
  public var weightDecay: Double?
  /// σ̄₁, the median σ₁ at x_mid over pairs and live blocks: the s* to reproduce.
  public var targetSigma1: Double
  /// [s*(λ_max), s*(1e-300)].
  public var reachable: [Double]
  public var lambdaEffective: Double?
  public var sStar: Double?
  public var tStar: Double?
  /// t*·r·(1 + s*)ᴸ.
  public var predictedMargin: Double?
  /// The median of y·z over the endpoints.
  public var measuredMargin: Double
  /// |s*_global − σ̄₁|/σ̄₁ from ReducedProblem.minimize() at λ_eff (nil without λ_eff).
  public var globalCheck: Double?
  /// The full UJM solved with Δx = δ₁ of the first pair at λ_eff (nil without λ_eff).
  public var fullSolve: FullSolve?
  public var note: String

  /// λ_eff over the training weight decay (nil without either).
  public var lambdaRatio: Double? {
    guard let lambdaEffective, let weightDecay, weightDecay > 0 else { return nil }
    return lambdaEffective / weightDecay
  }

  /// The full solve's outcome.
  public struct FullSolve: Sendable, Encodable {
    public var dimension: Int
    public var stopReason: String
    public var iterations: Int
    public var objective: Double
    public var reducedObjective: Double
    public var checksPassed: Int
    public var checks: Int
    public var failedChecks: [String]

    enum CodingKeys: String, CodingKey {
      case dimension, iterations, objective, checks
      case stopReason = "stop_reason"
      case reducedObjective = "reduced_objective"
      case checksPassed = "checks_passed"
      case failedChecks = "failed_checks"
    }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(dimension, forKey: .dimension)
      try c.encode(stopReason, forKey: .stopReason)
      try c.encode(iterations, forKey: .iterations)
      try c.encodeFinite(objective, forKey: .objective)
      try c.encodeFinite(reducedObjective, forKey: .reducedObjective)
      try c.encode(checksPassed, forKey: .checksPassed)
      try c.encode(checks, forKey: .checks)
      try c.encode(failedChecks, forKey: .failedChecks)
    }
  }

  /// The largest D of a full UJM solve: L dense D×D Jacobians (L·D² parameters; 8·4096² = 134M
  /// doubles is 1 GiB). A convolutional network's D = 16,384 gets no full solve (its note says
  /// so); the reduced problem and λ_eff need no Jacobian.
  public static let fullSolveDimensionLimit = 4096

  /// The full solve's ‖∇F‖ tolerance: `ujm solve`'s 1e-9 at λ = 0.01, scaled with λ below
  /// that (min(1e-9, 1e-7·λ)). At λ_eff ≈ 1e-40 the optimum has f* ≈ 1e-40 and gradients of that
  /// size, so 1e-9 would accept any point with a logit above 20 as converged.
  public static func solveGradientTolerance(lambda: Double) -> Double {
    max(Double.leastNormalMagnitude, min(1e-9, 1e-7 * lambda))
  }

  /// log λ(s) on the stationary curve (see the type's documentation).
  public static func logLambda(s: Double, depth: Int, dxNorm r: Double) -> Double {
    let t = (s * (1 + s)).squareRoot()
    let logC = Foundation.log(r) + Double(depth) * Foundation.log1p(s)
    let z = t * Foundation.exp(logC)
    let softplus =
      z > 0 ? z + Foundation.log1p(Foundation.exp(-z)) : Foundation.log1p(Foundation.exp(z))
    return logC - Foundation.log(t) - softplus
  }

  /// The s with log λ(s) = `logLambda`, by bisection (λ(s) decreases).
  static func stationaryS(logLambda target: Double, depth: Int, dxNorm r: Double) -> Double {
    var lo = 0.0
    var hi = 1.0
    while logLambda(s: hi, depth: depth, dxNorm: r) > target && hi < 1e300 { hi *= 2 }
    while true {
      let mid = lo + (hi - lo) / 2
      if mid <= lo || mid >= hi { return mid }
      if logLambda(s: mid, depth: depth, dxNorm: r) > target { lo = mid } else { hi = mid }
    }
  }

  /// Fits the UJM: `depth` live blocks, `classifierDeltaNorm` ρ, `targetSigma1` σ̄₁; `dx` is δ₁
  /// of the first pair (at x_b, y = +1) for the full solve, rescaled to ‖Δx‖ = r, with
  /// `solveIterations` L-BFGS iterations at most; `weightDecay` the training λ, when known.
  public static func fit(
    depth: Int, classifierDeltaNorm rho: Double, targetSigma1: Double, measuredMargin: Double,
    dx: [Double]?, weightDecay: Double? = nil, seed: UInt64, solveIterations: Int = 20_000
  ) throws(LAPACKError) -> UJMFit {
    let gaugeT = (targetSigma1 * (1 + targetSigma1)).squareRoot()
    let dxNorm = targetSigma1 > 0 ? rho / gaugeT : .nan
    guard depth >= 1 else {
      return UJMFit(
        blocks: 0, dxNorm: dxNorm, classifierDeltaNorm: rho, weightDecay: weightDecay,
        targetSigma1: targetSigma1, reachable: [.nan, .nan], lambdaEffective: nil, sStar: nil,
        tStar: nil, predictedMargin: nil, measuredMargin: measuredMargin, globalCheck: nil,
        fullSolve: nil,
        note: "lambda_effective is null: no live block, so the UJM has L = 0 and nothing to fit")
    }
    guard dxNorm.isFinite && dxNorm > 0 else {
      return UJMFit(
        blocks: depth, dxNorm: dxNorm, classifierDeltaNorm: rho, weightDecay: weightDecay,
        targetSigma1: targetSigma1, reachable: [.nan, .nan], lambdaEffective: nil, sStar: nil,
        tStar: nil, predictedMargin: nil, measuredMargin: measuredMargin, globalCheck: nil,
        fullSolve: nil,
        note: "lambda_effective is null: ‖w‖·‖δ₁‖ = \(short(rho)) and σ̄₁ = "
          + "\(short(targetSigma1)) give no positive ‖Δx‖ in the balanced gauge")
    }
    let logSmallest = Foundation.log(smallestLambda)
    let logLargest = Foundation.log(largestLambda)
    let sLow = stationaryS(logLambda: logLargest, depth: depth, dxNorm: dxNorm)
    let sHigh = stationaryS(logLambda: logSmallest, depth: depth, dxNorm: dxNorm)
    var fit = UJMFit(
      blocks: depth, dxNorm: dxNorm, classifierDeltaNorm: rho, weightDecay: weightDecay,
      targetSigma1: targetSigma1, reachable: [sLow, sHigh], lambdaEffective: nil, sStar: nil,
      tStar: nil, predictedMargin: nil, measuredMargin: measuredMargin, globalCheck: nil,
      fullSolve: nil, note: "")
    let range =
      "σ₁ reachable for λ ∈ [1e-300, 1] with L = \(depth), r = ρ/t* = \(short(dxNorm)): "
      + "[\(short(sLow)), \(short(sHigh))]"
    guard targetSigma1.isFinite, targetSigma1 >= sLow, targetSigma1 <= sHigh else {
      fit.note =
        "lambda_effective is null: the median σ₁ at x_mid, \(short(targetSigma1)), is "
        + "outside the " + range + " (s* grows only like log(1/λ)^(1/(L+1)))."
      return fit
    }
    let s = targetSigma1
    let t = (s * (1 + s)).squareRoot()
    let lambda = Foundation.exp(logLambda(s: s, depth: depth, dxNorm: dxNorm))
    fit.lambdaEffective = lambda
    fit.sStar = s
    fit.tStar = t
    fit.predictedMargin = t * dxNorm * Foundation.pow(1 + s, Double(depth))
    var notes = [
      "one fitted parameter: λ_eff from s*(λ_eff) = σ̄₁ (" + range + "); inputs invariant "
        + "under h → c·h: σ̄₁, the margin and ρ = ‖w‖·‖δ₁‖ = \(short(rho)), read in the gauge "
        + "where ‖w‖ = t* (‖w‖ and ‖δ₁‖ alone are not identifiable)"
    ]
    if let weightDecay, weightDecay > 0 {
      notes.append(
        "training weight decay \(short(weightDecay)): λ_eff/λ = \(short(lambda / weightDecay))")
    } else {
      notes.append("no training weight decay recorded in the checkpoint: λ_eff stands alone")
    }
    let global = ReducedProblem(depth: depth, lambda: lambda, dxNorm: dxNorm).minimize()
    fit.globalCheck = abs(global.s - s) / s
    notes.append("ReducedProblem's global s* at λ_eff: \(short(global.s))")
    if let dx, dx.count > fullSolveDimensionLimit {
      notes.append(
        "full UJM not solved: D = \(dx.count) exceeds \(fullSolveDimensionLimit) (L dense D×D "
          + "Jacobians)")
    } else if var dx, dx.euclideanNorm > 0 {
      let factor = dxNorm / dx.euclideanNorm
      dx = dx.map { $0 * factor }
      let problem = DefaultProblem(dx: dx, depth: depth, lambda: lambda, label: 1, seed: seed)
      let run = UJMSolveRun(
        problem: problem, algorithm: .lbfgs,
        test: ConvergenceTest(
          gradientTolerance: solveGradientTolerance(lambda: lambda),
          maxIterations: solveIterations))
      let report = try run.run().report
      fit.fullSolve = FullSolve(
        dimension: dx.count, stopReason: report.stop_reason, iterations: report.iterations,
        objective: report.objective, reducedObjective: report.reduced.objective,
        checksPassed: report.checks.filter(\.passed).count, checks: report.checks.count,
        failedChecks: report.checks.filter { !$0.passed }.map(\.name))
      notes.append(
        "full UJM solved with Δx = δ₁ of the first pair (at x_b, y = +1) scaled to ‖Δx‖ = r, "
          + "‖∇F‖ tolerance "
          + short(solveGradientTolerance(lambda: lambda)))
    }
    fit.note = notes.joined(separator: "; ")
    return fit
  }

  enum CodingKeys: String, CodingKey {
    case blocks, reachable, note
    case dxNorm = "dx_norm"
    case classifierDeltaNorm = "w_dx_norm"
    case weightDecay = "weight_decay"
    case lambdaRatio = "lambda_over_weight_decay"
    case targetSigma1 = "target_sigma1"
    case lambdaEffective = "lambda_effective"
    case sStar = "s_star"
    case tStar = "t_star"
    case predictedMargin = "predicted_margin"
    case measuredMargin = "measured_margin"
    case globalCheck = "global_check"
    case fullSolve = "full_solve"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(blocks, forKey: .blocks)
    try c.encodeFinite(dxNorm, forKey: .dxNorm)
    try c.encodeFinite(classifierDeltaNorm, forKey: .classifierDeltaNorm)
    try c.encodeFinite(weightDecay, forKey: .weightDecay)
    try c.encodeFinite(lambdaRatio, forKey: .lambdaRatio)
    try c.encodeFinite(targetSigma1, forKey: .targetSigma1)
    try c.encodeFinite(reachable, forKey: .reachable)
    try c.encodeFinite(lambdaEffective, forKey: .lambdaEffective)
    try c.encodeFinite(sStar, forKey: .sStar)
    try c.encodeFinite(tStar, forKey: .tStar)
    try c.encodeFinite(predictedMargin, forKey: .predictedMargin)
    try c.encodeFinite(measuredMargin, forKey: .measuredMargin)
    try c.encodeFinite(globalCheck, forKey: .globalCheck)
    if let fullSolve {
      try c.encode(fullSolve, forKey: .fullSolve)
    } else {
      try c.encodeNil(forKey: .fullSolve)
    }
    try c.encode(note, forKey: .note)
  }
}
