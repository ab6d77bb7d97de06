import LinearAlgebra

/// The Unconstrained Jacobians Model (Li & Papyan 2023, Definition 3.2).
///
/// Given an input Δx ∈ ℝᴰ and its label y ∈ {+1, −1}, minimise over J₁…J_L ∈ ℝᴰˣᴰ and w ∈ ℝᴰ
///
///     F(J₁…J_L, w) = ℓ(wᵀ(I+J_L)⋯(I+J₁)Δx, y) + λ/2 Σᵢ‖Jᵢ‖²_F + λ/2‖w‖²,
///
/// with ℓ the binary cross-entropy. Variables are stored flat, J₁ … J_L column-major (D² each),
/// then w: x = [vec J₁, …, vec J_L, w], L·D² + D entries.
///
/// The gradient costs O(L·D²) and two passes over the parameters (see
/// `UnconstrainedJacobiansModel+Gradient.swift`): forward vectors a₀ = Δx, aᵢ = (I+Jᵢ)aᵢ₋₁,
/// backward vectors b_L = w, bᵢ₋₁ = (I+Jᵢ)ᵀbᵢ, ℓ′ = −y/(1+e^{yz}),
/// ∂F/∂Jᵢ = ℓ′·bᵢaᵢ₋₁ᵀ + λJᵢ, ∂F/∂w = ℓ′·a_L + λw.
public struct UnconstrainedJacobiansModel: Objective, Sendable, Equatable {
  /// The input Δx.
  public let dx: [Double]
  /// The label y, +1 or −1.
  public let label: Double
  /// The weight decay λ > 0.
  public let lambda: Double
  /// The number of residual blocks L ≥ 1.
  public let depth: Int

  /// A model; `label` must be ±1, `lambda` positive and finite, `depth` at least 1.
  public init(dx: [Double], label: Double, lambda: Double, depth: Int) {
    precondition(label == 1 || label == -1, "label must be +1 or −1")
    precondition(lambda > 0 && lambda.isFinite, "λ must be positive and finite")
    precondition(depth >= 1, "depth must be at least 1")
    precondition(!dx.isEmpty, "Δx must not be empty")
    self.dx = dx
    self.label = label
    self.lambda = lambda
    self.depth = depth
  }

  /// The width D.
  public var dimension: Int { dx.count }

  /// L·D² + D.
  public var parameterCount: Int { depth * dimension * dimension + dimension }

  /// The flat parameter vector of the point (J₁…J_L, w).
  public func flatten(_ point: UJMPoint) -> [Double] {
    precondition(point.jacobians.count == depth && point.w.count == dimension, "shape mismatch")
    var x = [Double]()
    x.reserveCapacity(parameterCount)
    for j in point.jacobians {
      precondition(j.rows == dimension && j.columns == dimension, "Jacobian shape mismatch")
      x.append(contentsOf: j.storage)
    }
    x.append(contentsOf: point.w)
    return x
  }

  /// The point (J₁…J_L, w) of a flat parameter vector.
  public func point(from x: [Double]) -> UJMPoint {
    precondition(x.count == parameterCount, "x has \(x.count) entries, expected \(parameterCount)")
    let d = dimension
    let jacobians = (0..<depth).map { i in
      Matrix<Double>(rows: d, columns: d, storage: Array(x[(i * d * d)..<((i + 1) * d * d)]))
    }
    return UJMPoint(jacobians: jacobians, w: Array(x[(depth * d * d)...]))
  }

  /// The logit z = wᵀ(I+J_L)⋯(I+J₁)Δx at a point.
  public func logit(at point: UJMPoint) -> Double {
    var a = dx
    for j in point.jacobians { a.add(j * a) }
    return point.w.dot(a)
  }

  /// F at a point given as matrices (the reference evaluation, straight from Definition 3.2).
  public func objective(at point: UJMPoint) -> Double {
    let z = logit(at: point)
    var reg = point.w.dot(point.w)
    for j in point.jacobians { reg += j.storage.dot(j.storage) }
    return BinaryCrossEntropy.loss(logit: z, label: label) + lambda / 2 * reg
  }
}

/// A point of the UJM: the Residual Jacobians J₁…J_L and the classifier Jacobian w.
public struct UJMPoint: Sendable, Equatable {
  public var jacobians: [Matrix<Double>]
  public var w: [Double]

  public init(jacobians: [Matrix<Double>], w: [Double]) {
    self.jacobians = jacobians
    self.w = w
  }
}
