/// Theorem 3.3, step 1: the logit is a trace, wᵀ∏(I + J_i)Δx = tr{Δx wᵀ∏(I + J_i)}.
///
/// Appendix B, first display of the proof (the cyclic property of the trace), with
/// ∏_{i=1}^{L}(I + J_i) = (I + J_L)⋯(I + J₁), the order of the residual stream. The left side is
/// computed as the forward pass h ← (I + J_i)h followed by wᵀh; the right side as the trace of
/// the matrix Δx wᵀ·P with P the product of the blocks; both exactly.
public enum LogitIsTraceCheck {
  public static let name = "thm3.3.trace"
  static let step = "wᵀ∏(I+J_i)Δx = tr{Δx wᵀ∏(I+J_i)}"

  /// The order in which the trace side multiplies the blocks.
  public enum Order: Sendable {
    /// (I + J_L)⋯(I + J₁), the paper's.
    case residualStream
    /// (I + J₁)⋯(I + J_L), the reverse (the counterexample).
    case reversed
  }

  /// Checks the identity on `cases` random rational (Δx, w, J₁…J_L), D = 2…4, L = 2…5.
  public static func verify<G: RandomNumberGenerator>(
    cases: Int, order: Order = .residualStream, using generator: inout G
  ) -> ProofCheck {
    var failures = 0
    for c in 0..<cases {
      let d = 2 + c % 3
      let l = 2 + (c / 3) % 4
      let dx = ExactSampling.vector(d, using: &generator)
      let w = ExactSampling.vector(d, using: &generator)
      let jacobians = (0..<l).map { _ in ExactSampling.matrix(d, using: &generator) }
      // Forward pass.
      var h = dx
      for j in jacobians { h = h.adding(j * h) }
      let logit = w.dot(h)
      // Trace of Δx wᵀ·P.
      let identity = RationalMatrix.identity(d)
      var p = identity
      for j in jacobians {
        p = order == .residualStream ? (identity + j) * p : p * (identity + j)
      }
      let trace = (RationalMatrix.outer(dx, w) * p).trace
      if logit != trace { failures += 1 }
    }
    let orderLabel = order == .residualStream ? "(I+J_L)⋯(I+J₁)" : "(I+J₁)⋯(I+J_L)"
    return .exact(
      name: name, theorem: "3.3", step: step, cases: cases, failures: failures,
      note: "product \(orderLabel), D = 2…4, L = 2…5, random rationals")
  }
}
