import LinearAlgebra

/// Tolerances of the multi-class checks.
public struct MulticlassTolerances: Sendable, Equatable {
  /// For singular-value ratios, relative spreads, 1 − cos of principal angles and relative
  /// residuals.
  public var structural: Double
  /// ‖∇F‖ must not exceed this (the solver's gradient tolerance).
  public var gradient: Double
  /// |Σ_k G_kn| must not exceed this: the loss gradients sum to zero over classes up to rounding.
  public var columnSum: Double

  public init(structural: Double = 1e-6, gradient: Double = 1e-9, columnSum: Double = 1e-12) {
    self.structural = structural
    self.gradient = gradient
    self.columnSum = columnSum
  }
}

/// What the multi-class UJM's stationary points are proved, or observed, to have.
///
/// Proved (see `MulticlassUnconstrainedJacobiansModel`): the loss gradients G sum to zero over
/// classes (1ᵀG = 0), hence at a stationary point rows of W sum to zero (1ᵀW = 0) and every
/// Jᵢ has rank ≤ C − 1. Observed, not proved (a multi-class form of Theorem 3.3's RA2–RA4, Li &
/// Papyan 2023): the non-zero singular values are the same in every block, the top-(C−1)
/// singular subspaces of all blocks coincide, and each block's left and right subspaces coincide.
public struct MulticlassVerifier: Sendable {
  public var model: MulticlassUnconstrainedJacobiansModel
  public var tolerances: MulticlassTolerances

  public init(
    model: MulticlassUnconstrainedJacobiansModel,
    tolerances: MulticlassTolerances = MulticlassTolerances()
  ) {
    self.model = model
    self.tolerances = tolerances
  }

  /// The proved checks, the observed ones, and the summary of the point (`MulticlassSummary`).
  public func checks(at x: [Double]) throws(LAPACKError) -> (
    proved: [CheckResult], observed: [CheckResult], summary: MulticlassSummary
  ) {
    let c = model.classes
    let tol = tolerances.structural
    let point = model.point(from: x)
    let (f, gradient) = model.valueAndGradient(at: x)
    let gradientNorm = gradient.euclideanNorm
    let svds = try point.jacobians.enumerated().map { i, j throws(LAPACKError) in
      guard j.isFinite else {
        throw .nonFinite("the Jacobian of block \(i + 1)", routine: "SVD (dgesdd)")
      }
      return try j.singularValueDecomposition()
    }
    let d = model.dimension
    let kept = min(c + 1, d)
    var blocks = [MulticlassSummary.Block]()
    for svd in svds {
      let s = svd.singularValues
      let rank = s.filter { $0 > tol * (s.first ?? 0) }.count
      blocks.append(.init(singular_values: Array(s.prefix(kept)), rank: s[0] > 0 ? rank : 0))
    }
    var proved = [CheckResult]()
    // 1ᵀG = 0, the one fact the bound rests on.
    let g = model.lossGradients(at: x)
    var worstColumn = 0.0
    for n in 0..<g.columns { worstColumn = max(worstColumn, abs(g.column(n).reduce(0, +))) }
    proved.append(
      CheckResult(
        name: "loss gradients sum to zero over classes: max_n |Σ_k G_kn|", measured: worstColumn,
        tolerance: tolerances.columnSum))
    proved.append(
      CheckResult(name: "stationary: ‖∇F‖", measured: gradientNorm, tolerance: tolerances.gradient))
    // Stationarity identity λJᵢ = −BᵢAᵢ₋₁ᵀ, λW = −G·A_Lᵀ: residual relative to λ‖·‖. Its residual
    // is the gradient block, so at ‖∇F‖ ≤ ε it is at most ε/(λ·‖block‖): the tolerance is that
    // bound (at least the structural tolerance), so the check is decided by how stationary the
    // point is, not by λ (at λ = 1e-3, ε = 1e-9 and ‖J‖ = 0.2 the bound is 5e-6).
    let blockSize = d * d
    var worstResidual = 0.0
    var worstName = ""
    var smallestBlock = Double.infinity
    for i in 0...model.depth {
      let range =
        i < model.depth
        ? (i * blockSize)..<((i + 1) * blockSize) : (model.depth * blockSize)..<x.count
      let residual = Array(gradient[range]).euclideanNorm
      let size = model.lambda * Array(x[range]).euclideanNorm
      smallestBlock = min(smallestBlock, size)
      let r = size > 0 ? residual / size : (residual == 0 ? 0 : .infinity)
      if !(r <= worstResidual) {
        worstResidual = r
        worstName = i < model.depth ? "J_\(i + 1)" : "W"
      }
    }
    let identityTolerance =
      smallestBlock > 0 ? max(tol, tolerances.gradient / smallestBlock) : tol
    proved.append(
      CheckResult(
        name: "stationarity identity λJᵢ = −BᵢAᵢ₋₁ᵀ, λW = −G·A_Lᵀ: max ‖residual‖/(λ‖·‖)"
          + (worstName.isEmpty ? "" : " (worst \(worstName))"),
        measured: worstResidual, tolerance: identityTolerance))
    // Rank ≤ C − 1: σ_C/σ₁ in every block.
    var worstRatio = 0.0
    var worstBlock = 1
    for (i, svd) in svds.enumerated() {
      let s = svd.singularValues
      let ratio = s.count >= c ? (s[0] > 0 ? s[c - 1] / s[0] : 0) : 0
      if !(ratio <= worstRatio) {
        worstRatio = ratio
        worstBlock = i + 1
      }
    }
    proved.append(
      CheckResult(
        name: "rank ≤ C−1: max σ_C/σ₁ over blocks (worst J_\(worstBlock))", measured: worstRatio,
        tolerance: tol))
    let w = point.classifier
    var rowSum = [Double](repeating: 0, count: d)
    for k in 0..<c { rowSum.add(w.row(k)) }
    let wNorm = w.frobeniusNorm
    let rowSumRatio = wNorm > 0 ? rowSum.euclideanNorm / wNorm : 0
    proved.append(
      CheckResult(
        name: "rows of W sum to zero: ‖1ᵀW‖/‖W‖_F", measured: rowSumRatio, tolerance: tol))

    // Observed: equal non-zero spectra, aligned subspaces, symmetry.
    let r = max(1, min(c - 1, blocks.map(\.rank).min() ?? 1, d))
    var spread = 0.0
    let top = svds.map { $0.singularValues[0] }
    let scale = top.reduce(0, +) / Double(top.count)
    for k in 0..<r {
      let values = svds.map { $0.singularValues[k] }
      spread = max(spread, scale > 0 ? (values.max()! - values.min()!) / scale : .infinity)
    }
    var observed = [CheckResult]()
    observed.append(
      CheckResult(
        name: "equal non-zero spectra: max_k (max_i σ_k − min_i σ_k)/mean σ₁, k ≤ \(r)",
        measured: spread, tolerance: tol))
    let left = svds.map { $0.u.leadingColumns(r) }
    let right = svds.map { $0.v.leadingColumns(r) }
    var worstAcross = 0.0
    for i in 0..<svds.count {
      for j in (i + 1)..<svds.count {
        worstAcross = max(worstAcross, try principalGap(left[i], left[j]))
        worstAcross = max(worstAcross, try principalGap(right[i], right[j]))
        worstAcross = max(worstAcross, try principalGap(left[i], right[j]))
      }
    }
    observed.append(
      CheckResult(
        name: "aligned top-\(r) singular subspaces across blocks: max 1 − cos θ_max",
        measured: worstAcross, tolerance: tol))
    var worstSymmetry = 0.0
    for i in 0..<svds.count {
      worstSymmetry = max(worstSymmetry, try principalGap(left[i], right[i]))
    }
    observed.append(
      CheckResult(
        name: "symmetric: left against right top-\(r) subspace, max 1 − cos θ_max",
        measured: worstSymmetry, tolerance: tol))
    let summary = MulticlassSummary(
      classes: c, examples: model.examples, objective: f, gradient_norm: gradientNorm,
      blocks: blocks, rank_bound: c - 1, classifier_row_sum: rowSumRatio,
      compared_rank: r, binary_optimum: nil)
    return (proved, observed, summary)
  }
}

/// 1 − cos θ_max, θ_max the largest principal angle between the column spans of two matrices
/// with orthonormal columns: 1 − σ_min(AᵀB).
func principalGap(_ a: Matrix<Double>, _ b: Matrix<Double>) throws(LAPACKError) -> Double {
  let product = a.transposed * b
  let s = try product.singularValues()
  return max(0, 1 - (s.last ?? 0))
}

/// The state of a multi-class solution, with the field names of its JSON (`multiclass: {…}`).
public struct MulticlassSummary: Sendable, Codable, Equatable {
  public struct Block: Sendable, Codable, Equatable {
    /// The top C + 1 singular values (fewer when D is smaller).
    public var singular_values: [Double]
    /// The numerical rank: singular values above the structural tolerance times σ₁.
    public var rank: Int
  }
  public var classes: Int
  public var examples: Int
  public var objective: Double
  public var gradient_norm: Double
  public var blocks: [Block]
  /// C − 1.
  public var rank_bound: Int
  /// ‖1ᵀW‖/‖W‖_F.
  public var classifier_row_sum: Double
  /// The number of leading singular values/vectors the observed checks compare:
  /// min(C − 1, smallest numerical rank over blocks), at least 1.
  public var compared_rank: Int
  /// C = 2, N = 1 only: the optimum of Definition 3.2 at √2·Δx (the reduced problem's f*), which
  /// this model's optimum equals; null otherwise.
  public var binary_optimum: Double?

  enum CodingKeys: String, CodingKey {
    case classes, examples, objective, gradient_norm, blocks, rank_bound, classifier_row_sum
    case compared_rank, binary_optimum
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(classes, forKey: .classes)
    try c.encode(examples, forKey: .examples)
    try c.encode(objective, forKey: .objective)
    try c.encode(gradient_norm, forKey: .gradient_norm)
    try c.encode(blocks, forKey: .blocks)
    try c.encode(rank_bound, forKey: .rank_bound)
    try c.encode(classifier_row_sum, forKey: .classifier_row_sum)
    try c.encode(compared_rank, forKey: .compared_rank)
    try c.encode(binary_optimum, forKey: .binary_optimum)  // null unless C = 2, N = 1
  }
}
