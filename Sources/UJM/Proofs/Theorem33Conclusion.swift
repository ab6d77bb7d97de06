import LinearAlgebra

/// Theorem 3.3 end to end: from any (J₁…J_L, w), the point the proof constructs has objective
/// ≤ the original's and ≥ the reduced optimum f*.
///
/// Appendix B's conclusion, sampled in floating point: take the top singular values s_i of
/// the J_i, their mean s̄, u = Δx/‖Δx‖; the constructed point is J_i' = s̄·uuᵀ (aligned, rank
/// one, equal singular values) and w' = y·‖w‖·u (a positive multiple of y·Δx). Its objective
/// (Definition 3.2, `UnconstrainedJacobiansModel.objective(at:)`) must not exceed the original's,
/// and must not be below the global optimum f* of the reduced problem (`ReducedProblem`), since
/// it lies in the reduced family. Half of the cases start near the optimum (the reduced optimum
/// plus small noise), where both inequalities are tight.
///
/// The measured value is the worst of (F' − F)/max(1, |F|) and (f* − F')/max(1, |F'|).
public enum ProofConclusionCheck {
  public static let name = "thm3.3.conclusion"
  static let step = "constructed point: f* ≤ F(aligned) ≤ F(original)"
  public static let tolerance = 1e-12
  static let lambdas = [0.05, 0.2, 1.0]
  static let dxNorms = [0.5, 1.0, 2.0]

  /// The sign of the constructed w' relative to y·Δx.
  public enum ClassifierSign: Sendable {
    /// w' = +‖w‖·y·u (the proof's).
    case positive
    /// w' = −‖w‖·y·u (the counterexample).
    case wrong
  }

  /// Checks `cases` random points, D = 2…5, L = 1…6, λ ∈ {0.05, 0.2, 1}, ‖Δx‖ ∈ {0.5, 1, 2},
  /// y = ±1.
  public static func verify<G: RandomNumberGenerator>(
    cases: Int, sign: ClassifierSign = .positive, using generator: inout G
  ) -> ProofCheck {
    var optima: [Int: ReducedOptimum] = [:]
    var worstDescent = -Double.infinity
    var worstOptimum = -Double.infinity
    do {
      for c in 0..<cases {
        let d = 2 + c % 4
        let depth = 1 + (c / 4) % 6
        let lambdaIndex = (c / 24) % lambdas.count
        let normIndex = (c / 72) % dxNorms.count
        let label: Double = c % 2 == 0 ? 1 : -1
        let dx = Gaussian.sample(d, as: Double.self, using: &generator).normalized
          .scaled(by: dxNorms[normIndex])
        let model = UnconstrainedJacobiansModel(
          dx: dx, label: label, lambda: lambdas[lambdaIndex], depth: depth)
        let key = (depth * 8 + lambdaIndex) * 8 + normIndex
        let optimum =
          optima[key]
          ?? ReducedProblem(
            depth: depth, lambda: lambdas[lambdaIndex], dxNorm: dxNorms[normIndex]
          ).minimize()
        optima[key] = optimum
        // The original point: random, or the optimum plus noise.
        var original: UJMPoint
        if c % 4 < 2 {
          let scale = 0.8 / Double(d).squareRoot()
          original = UJMPoint(
            jacobians: (0..<depth).map { _ in
              Gaussian.matrix(
                rows: d, columns: d, standardDeviation: scale, as: Double.self,
                using: &generator)
            },
            w: Gaussian.sample(d, as: Double.self, using: &generator))
        } else {
          original = optimum.point(dx: dx, label: label, depth: depth)
          for i in 0..<depth {
            original.jacobians[i].add(
              Gaussian.matrix(
                rows: d, columns: d, standardDeviation: 1e-2, as: Double.self,
                using: &generator))
          }
          original.w.add(Gaussian.sample(d, standardDeviation: 1e-2, using: &generator))
        }
        let constructed = try constructedPoint(from: original, model: model, sign: sign)
        let f = model.objective(at: original)
        let fConstructed = model.objective(at: constructed)
        worstDescent = max(worstDescent, (fConstructed - f) / max(1, abs(f)))
        worstOptimum = max(
          worstOptimum, (optimum.objective - fConstructed) / max(1, abs(fConstructed)))
      }
    } catch {
      return ProofCheck(
        name: name, theorem: "3.3", step: step, kind: .sampled, cases: cases, measured: .nan,
        tolerance: tolerance, note: "LAPACK failed: \(error)")
    }
    let signLabel = sign == .positive ? "w' = +‖w‖·y·u" : "w' = −‖w‖·y·u (wrong sign)"
    return ProofCheck(
      name: name, theorem: "3.3", step: step, kind: .sampled, cases: cases,
      measured: max(worstDescent, worstOptimum), tolerance: tolerance,
      note: "\(signLabel), D = 2…5, L = 1…6, half near the optimum; worst (F'−F)/|F| "
        + "\(formatScientific(worstDescent)), worst (f*−F')/|F'| "
        + "\(formatScientific(worstOptimum)); f* from ReducedProblem")
  }

  /// The proof's point: J_i' = mean(s₁(J_i))·uuᵀ, w' = ±‖w‖·y·u with u = Δx/‖Δx‖.
  static func constructedPoint(
    from point: UJMPoint, model: UnconstrainedJacobiansModel, sign: ClassifierSign
  ) throws(LAPACKError) -> UJMPoint {
    var top = 0.0
    for j in point.jacobians { top += try j.singularValues()[0] }
    let mean = top / Double(point.jacobians.count)
    let u = model.dx.normalized
    let j = Matrix<Double>.outer(u, u).scaled(by: mean)
    let direction = sign == .positive ? model.label : -model.label
    return UJMPoint(
      jacobians: Array(repeating: j, count: point.jacobians.count),
      w: u.scaled(by: direction * point.w.euclideanNorm))
  }
}
