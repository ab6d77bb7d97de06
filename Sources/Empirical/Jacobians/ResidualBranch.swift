// Goals, in order of priority: the residual branch F_i of a fully-connected block exactly as the
// network evaluates it (evaluation mode, running BatchNorm statistics), in Float64 from the
// Float32 weights; its Jacobian J_i = ∂F_i/∂h in closed form.

import LinearAlgebra

/// The residual branch of one fully-connected pre-activation block in evaluation mode, in
/// Float64: F(h) = c·W2·ReLU(s2∘(W1·ReLU(s1∘h + t1)) + t2).
///
/// Paper: section 2.1 (Type 1 and 4 models: blocks of two fully-connected layers of width D)
/// and the definition of the Residual Jacobian J_i = ∂F_i/∂h at h_i (section 1). BatchNorm in
/// evaluation mode is the affine map y = s∘x + t with s = γ/√(v + ε), t = β − m∘s (running mean
/// m and variance v). c = 1 − p scales the branch when it was trained with stochastic depth p.
public struct ResidualBranch: Sendable, Equatable {
  /// W1 (D×D).
  public var w1: Matrix<Double>
  /// s1, t1: BN1's evaluation-mode scale and shift.
  public var scale1: [Double]
  public var shift1: [Double]
  /// W2 (D×D).
  public var w2: Matrix<Double>
  /// s2, t2: BN2's evaluation-mode scale and shift.
  public var scale2: [Double]
  public var shift2: [Double]
  /// c, the branch's scale in evaluation (1 − stochastic-depth probability).
  public var branchScale: Double

  public init(
    w1: Matrix<Double>, scale1: [Double], shift1: [Double], w2: Matrix<Double>,
    scale2: [Double], shift2: [Double], branchScale: Double = 1
  ) {
    let d = w1.columns
    precondition(
      w1.rows == d && w2.rows == d && w2.columns == d && scale1.count == d
        && shift1.count == d && scale2.count == d && shift2.count == d,
      "a fully-connected block needs D×D weights and D-vectors")
    self.w1 = w1
    self.scale1 = scale1
    self.shift1 = shift1
    self.w2 = w2
    self.scale2 = scale2
    self.shift2 = shift2
    self.branchScale = branchScale
  }

  /// D.
  public var dimension: Int { w1.columns }

  /// The pre-activations a1 = s1∘h + t1 and a2 = s2∘(W1·ReLU(a1)) + t2.
  public func preActivations(at h: [Double]) -> (a1: [Double], a2: [Double]) {
    precondition(h.count == dimension, "h has \(h.count) entries, expected \(dimension)")
    var a1 = h
    for k in a1.indices { a1[k] = scale1[k] * h[k] + shift1[k] }
    var z = w1 * a1.map { max($0, 0) }
    for k in z.indices { z[k] = scale2[k] * z[k] + shift2[k] }
    return (a1, z)
  }

  /// F(h).
  public func callAsFunction(_ h: [Double]) -> [Double] {
    let a2 = preActivations(at: h).a2
    return (w2 * a2.map { max($0, 0) }).scaled(by: branchScale)
  }

  /// J = ∂F/∂h at h = c·W2·diag(ReLU'(a2)∘s2)·W1·diag(ReLU'(a1)∘s1), as an operator
  /// (ReLU'(0) = 0, PyTorch's convention).
  public func jacobian(at h: [Double]) -> ResidualJacobian {
    let (a1, a2) = preActivations(at: h)
    let d1 = a1.indices.map { a1[$0] > 0 ? scale1[$0] : 0 }
    let d2 = a2.indices.map { a2[$0] > 0 ? branchScale * scale2[$0] : 0 }
    return ResidualJacobian(w1: w1, inner: d1, w2: w2, outer: d2)
  }
}
