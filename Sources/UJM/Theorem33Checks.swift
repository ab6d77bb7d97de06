import LinearAlgebra

/// Tolerances for the checks of Theorem 3.3 at a solver's optimum.
public struct Theorem33Tolerances: Sendable, Equatable {
  /// For σ₂/σ₁, 1 − |cos|, spreads and relative errors.
  public var structural: Double = 1e-6
  /// F − f* ≤ gapRelative · max(1, f*).
  public var gapRelative: Double = 1e-10
  /// F ≥ f* − roundingRelative · max(1, f*): how far below the oracle rounding may put F.
  public var roundingRelative: Double = 1e-13
  /// ‖∇F‖ must not exceed this (the solver's gradient tolerance).
  public var gradient: Double = 1e-9

  public init(structural: Double = 1e-6, gapRelative: Double = 1e-10, gradient: Double = 1e-9) {
    self.structural = structural
    self.gapRelative = gapRelative
    self.gradient = gradient
  }
}

/// Checks that a point of the UJM has what Theorem 3.3 says a global optimum has.
///
/// Theorem 3.3 (Li & Papyan 2023): for binary classification there is a global optimum where the
/// top singular vectors of the Jacobians align (RA2), every Jacobian has rank one (RA3) and their
/// top singular values are equal (RA4); the proof (appendix B) places it at Jᵢ = s*·uuᵀ,
/// w = y·t*·u with u = Δx/‖Δx‖. Each check reports the measured quantity and its tolerance.
public struct Theorem33Verifier: Sendable {
  public var model: UnconstrainedJacobiansModel
  public var reduced: ReducedOptimum
  public var tolerances: Theorem33Tolerances

  public init(
    model: UnconstrainedJacobiansModel, reduced: ReducedOptimum,
    tolerances: Theorem33Tolerances = Theorem33Tolerances()
  ) {
    self.model = model
    self.reduced = reduced
    self.tolerances = tolerances
  }

  /// Every check at `point`, whose objective is F and gradient norm ‖∇F‖.
  public func checks(at point: UJMPoint, objective f: Double, gradientNorm: Double)
    throws(LAPACKError)
    -> [CheckResult]
  {
    let tol = tolerances.structural
    let fStar = reduced.objective
    let scale = max(1, abs(fStar))
    var results = [CheckResult]()
    results.append(
      CheckResult(
        name: "optimality gap F − f*", measured: f - fStar,
        tolerance: tolerances.gapRelative * scale))
    results.append(
      CheckResult(
        name: "F not below the reduced optimum: f* − F", measured: fStar - f,
        tolerance: tolerances.roundingRelative * scale))

    let svds = try point.jacobians.enumerated().map { i, j throws(LAPACKError) in
      guard j.isFinite else {
        throw .nonFinite("the Jacobian of block \(i + 1)", routine: "SVD (dgesdd)")
      }
      return try j.singularValueDecomposition()
    }
    let u0 = model.dx.normalized
    // Rank one: σ₂/σ₁ of every block.
    var worstRatio = 0.0
    var worstRatioBlock = 1
    for (i, svd) in svds.enumerated() {
      let s = svd.singularValues
      let ratio = s.count > 1 ? (s[0] > 0 ? s[1] / s[0] : .infinity) : 0
      if !(ratio <= worstRatio) {
        worstRatio = ratio
        worstRatioBlock = i + 1
      }
    }
    results.append(
      CheckResult(
        name: "rank one: max σ₂/σ₁ over blocks (worst J_\(worstRatioBlock))",
        measured: worstRatio, tolerance: tol))

    // Alignment: 1 − |cos| among all top singular vectors and with Δx.
    var vectors = [(String, [Double])]()
    for (i, svd) in svds.enumerated() {
      vectors.append(("u₁(J_\(i + 1))", svd.u.column(0)))
      vectors.append(("v₁(J_\(i + 1))", svd.v.column(0)))
    }
    var worstMisalignment = 0.0
    var worstPair = ""
    for a in 0..<vectors.count {
      for b in (a + 1)..<vectors.count {
        let m = 1 - abs(vectors[a].1.dot(vectors[b].1))
        if !(m <= worstMisalignment) {
          worstMisalignment = m
          worstPair = "\(vectors[a].0), \(vectors[b].0)"
        }
      }
    }
    results.append(
      CheckResult(
        name: "aligned: max 1 − |cos| between top singular vectors"
          + (worstPair.isEmpty ? "" : " (worst \(worstPair))"),
        measured: worstMisalignment, tolerance: tol))
    var worstWithDx = 0.0
    for (_, v) in vectors { worstWithDx = max(worstWithDx, 1 - abs(v.dot(u0))) }
    results.append(
      CheckResult(
        name: "aligned with Δx: max 1 − |cos(top singular vector, Δx)|", measured: worstWithDx,
        tolerance: tol))

    // Equal top singular values, equal to s*.
    let sigma1 = svds.map { $0.singularValues.first ?? 0 }
    let mean = sigma1.reduce(0, +) / Double(sigma1.count)
    let spread = mean > 0 ? (sigma1.max()! - sigma1.min()!) / mean : .infinity
    results.append(
      CheckResult(name: "equal σ₁: (max − min)/mean over blocks", measured: spread, tolerance: tol))
    let worstS = sigma1.map { abs($0 - reduced.s) / reduced.s }.max() ?? .infinity
    results.append(
      CheckResult(name: "σ₁ = s*: max |σ₁ − s*|/s*", measured: worstS, tolerance: tol))

    // w a positive multiple of y·Δx, with ‖w‖ = t*.
    let yw = point.w.scaled(by: model.label)
    let wNorm = point.w.euclideanNorm
    let cosine = wNorm > 0 ? yw.dot(u0) / wNorm : -1
    results.append(
      CheckResult(name: "w ∥ y·Δx: 1 − cos(y·w, Δx)", measured: 1 - cosine, tolerance: tol))
    results.append(
      CheckResult(
        name: "‖w‖ = t*: |‖w‖ − t*|/t*", measured: abs(wNorm - reduced.t) / reduced.t,
        tolerance: tol))
    results.append(
      CheckResult(name: "stationary: ‖∇F‖", measured: gradientNorm, tolerance: tolerances.gradient))
    return results
  }
}

/// Adds to each Jᵢ and to w a Gaussian perturbation of norm ε·‖Jᵢ‖_F (ε·‖w‖): the built-in
/// counterexample of `ujm solve --perturb`. Draws block by block, Jacobians first, then w.
public func perturbed(
  _ point: UJMPoint, relativeSize epsilon: Double, using generator: inout some RandomNumberGenerator
) -> UJMPoint {
  var out = point
  for i in out.jacobians.indices {
    let j = out.jacobians[i]
    let g: [Double] = Gaussian.sample(j.storage.count, using: &generator)
    let scale = epsilon * j.frobeniusNorm / max(g.euclideanNorm, .leastNormalMagnitude)
    out.jacobians[i].add(Matrix(rows: j.rows, columns: j.columns, storage: g), scaledBy: scale)
  }
  let g: [Double] = Gaussian.sample(out.w.count, using: &generator)
  out.w.add(
    g, scaledBy: epsilon * point.w.euclideanNorm / max(g.euclideanNorm, .leastNormalMagnitude))
  return out
}
