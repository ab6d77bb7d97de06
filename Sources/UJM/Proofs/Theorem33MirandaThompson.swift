// Goals, in order of priority: test the bound where it is tight (rotations near the optimum, not
// only Haar-random ones); cover rank-deficient factors; stay fast (n ≤ 6, thousands of cases).

import LinearAlgebra

/// Theorem 3.3, step 3: Miranda and Thompson's trace bound (the paper's Theorem 2),
///   sup_{P_j ∈ SO(n)} tr(A₁P₁⋯A_mP_m) = Σ_{i<n}∏_j s_i(A_j) + sign det(A₁⋯A_m)·∏_j s_n(A_j).
///
/// Appendix B, Theorem 2 (Miranda & Thompson, 1993), sampled in floating point:
/// (a) no rotation exceeds the bound — Haar-random rotations and rotations near the optimum
///     (the optimum times a Cayley transform of a small random skew matrix);
/// (b) rotations built from the SVDs attain it: with A_j = U_jD_jV_jᵀ, U_j, V_j ∈ SO(n) and D_j
///     the singular values with the last one's sign adjusted, P_j = V_jU_{j+1}ᵀ telescopes the
///     product to U₁D₁⋯D_mU₁ᵀ;
/// (c) a third of the cases have a rank-deficient factor: footnote 7 assumes positive singular
///     values, which rank-one Jacobians do not have, and the formula still holds.
/// The measured value is the larger of the worst relative excess (tr − bound)/Σ_i∏_j s_i over
/// (a) and the worst relative attainment error over (b).
public enum MirandaThompsonCheck {
  public static let name = "thm3.3.miranda-thompson"
  static let step = "sup_SO(n) tr(A₁P₁⋯A_mP_m) = MT bound"
  public static let tolerance = 1e-12

  /// The bound held against the traces.
  public enum Bound: Sendable {
    /// Σ_{i<n}∏ s_i + sign det·∏ s_n (the theorem).
    case mirandaThompson
    /// Σ_{i<n}∏ s_i + ∏ s_n: the sign term dropped (the counterexample).
    case signTermDropped
  }

  /// Which matrices A_j are drawn.
  public enum Family: Sendable {
    /// Gaussian A_j; every third case has one factor of rank r < n.
    case general
    /// Gaussian A_j of full rank with sign det(A₁⋯A_m) = −1.
    case negativeDeterminant
  }

  /// Checks (a)–(c) on `cases` random tuples, n = 2…6, m = 1…4, with `rotations` random
  /// rotation tuples per case (half Haar, half near the optimum).
  public static func verify<G: RandomNumberGenerator>(
    cases: Int, bound: Bound = .mirandaThompson, family: Family = .general,
    rotations: Int = 4, using generator: inout G
  ) -> ProofCheck {
    var worstExcess = -Double.infinity
    var worstAttainment = 0.0
    var rankDeficient = 0
    // (c): the worst of (a) and (b) over the cases with a rank-deficient factor.
    var worstDeficient = -Double.infinity
    var negative = 0
    do {
      for c in 0..<cases {
        let n = 2 + c % 5
        let m = 1 + (c / 5) % 4
        var a = (0..<m).map { _ in
          Gaussian.matrix(rows: n, columns: n, as: Double.self, using: &generator)
        }
        let deficient = family == .general && c % 3 == 2
        if deficient {
          let r = 1 + c % (n - 1)
          let left = Gaussian.matrix(rows: n, columns: r, as: Double.self, using: &generator)
          let right = Gaussian.matrix(rows: r, columns: n, as: Double.self, using: &generator)
          a[c % m] = left * right
          rankDeficient += 1
        }
        var signDet = 1.0
        for aj in a { signDet *= try aj.determinantSign() }
        if family == .negativeDeterminant && signDet > 0 {
          for j in 0..<n { a[0][0, j] = -a[0][0, j] }
          signDet = -signDet
        }
        if signDet < 0 { negative += 1 }
        let svds = try a.map { try $0.singularValueDecomposition() }
        let value = boundValue(svds.map(\.singularValues), signDet: signDet, bound: bound)
        let scale = (0..<n).map { i in svds.map { $0.singularValues[i] }.reduce(1, *) }
          .reduce(0, +)
        // (b) The rotations built from the SVDs.
        let optimal = try optimalRotations(svds)
        let attained = try traceOfProduct(a, optimal)
        let attainment = abs(attained - value) / scale
        worstAttainment = max(worstAttainment, attainment)
        if deficient { worstDeficient = max(worstDeficient, attainment) }
        // (a) Haar rotations and perturbations of the optimum.
        for t in 0..<rotations {
          let p = try (0..<m).map { j in
            t % 2 == 0
              ? try randomRotation(n, using: &generator)
              : try optimal[j] * smallRotation(n, size: 1e-3, using: &generator)
          }
          let excess = (try traceOfProduct(a, p) - value) / scale
          worstExcess = max(worstExcess, excess)
          if deficient { worstDeficient = max(worstDeficient, excess) }
        }
      }
    } catch {
      return ProofCheck(
        name: name, theorem: "3.3", step: step, kind: .sampled, cases: cases,
        measured: .nan, tolerance: tolerance, note: "LAPACK failed: \(error)")
    }
    let boundLabel = bound == .mirandaThompson ? "MT bound" : "bound without sign term"
    let familyLabel =
      family == .general
      ? "\(rankDeficient) with a rank-deficient factor" : "all with sign det = −1"
    return ProofCheck(
      name: name, theorem: "3.3", step: step, kind: .sampled, cases: cases,
      measured: max(worstExcess, worstAttainment), tolerance: tolerance,
      note: "\(boundLabel), n = 2…6, m = 1…4, \(familyLabel), \(negative) with sign det = −1;"
        + " (a) worst excess \(formatScientific(worstExcess)) over \(cases * rotations) rotation"
        + " tuples, (b) worst attainment error \(formatScientific(worstAttainment))"
        + (rankDeficient > 0
          ? ", (c) worst of (a), (b) with a rank-deficient factor "
            + formatScientific(worstDeficient) : ""))
  }

  /// The right-hand side of the bound from each factor's singular values (decreasing).
  static func boundValue(_ singularValues: [[Double]], signDet: Double, bound: Bound) -> Double {
    let n = singularValues[0].count
    var total = 0.0
    for i in 0..<(n - 1) { total += singularValues.map { $0[i] }.reduce(1, *) }
    let last = singularValues.map { $0[n - 1] }.reduce(1, *)
    return total + (bound == .mirandaThompson ? signDet : 1) * last
  }

  /// tr(A₁P₁⋯A_mP_m).
  static func traceOfProduct(_ a: [Matrix<Double>], _ p: [Matrix<Double>]) -> Double {
    var product = Matrix<Double>.identity(a[0].rows)
    for j in a.indices { product = product * a[j] * p[j] }
    return product.trace
  }

  /// P_j = V_jU_{j+1}ᵀ (cyclically) with every U_j, V_j turned into a rotation by flipping its
  /// last column, which only flips the sign of the last (smallest) singular value.
  static func optimalRotations(_ svds: [SingularValueDecomposition<Double>]) throws(LAPACKError)
    -> [Matrix<Double>]
  {
    let n = svds[0].u.rows
    var us: [Matrix<Double>] = []
    var vs: [Matrix<Double>] = []
    for svd in svds {
      var u = svd.u
      var v = svd.v
      if try u.determinantSign() < 0 { for i in 0..<n { u[i, n - 1] = -u[i, n - 1] } }
      if try v.determinantSign() < 0 { for i in 0..<n { v[i, n - 1] = -v[i, n - 1] } }
      us.append(u)
      vs.append(v)
    }
    return svds.indices.map { j in
      vs[j].multiplied(by: us[(j + 1) % svds.count], transposingOther: true)
    }
  }

  /// A Haar-random rotation: a Haar orthogonal matrix with its first column flipped when its
  /// determinant is −1.
  static func randomRotation<G: RandomNumberGenerator>(_ n: Int, using generator: inout G)
    throws(LAPACKError) -> Matrix<Double>
  {
    var q = try Gaussian.orthogonalMatrix(n, as: Double.self, using: &generator)
    if try q.determinantSign() < 0 { for i in 0..<n { q[i, 0] = -q[i, 0] } }
    return q
  }

  /// A rotation near I: the Cayley transform (I + K)⁻¹(I − K) of a random skew-symmetric K with
  /// entries of order `size`.
  static func smallRotation<G: RandomNumberGenerator>(
    _ n: Int, size: Double, using generator: inout G
  ) throws(LAPACKError) -> Matrix<Double> {
    let g = Gaussian.matrix(rows: n, columns: n, as: Double.self, using: &generator)
    let k = (g - g.transposed).scaled(by: size / 2)
    let identity = Matrix<Double>.identity(n)
    return try (identity + k).solving(identity - k)
  }
}
