/// Theorem 3.3, step 5: at the aligned point, keeping only the entry of each S_i where S_{L+1}
/// is non-zero leaves the logit unchanged and does not increase Σ‖J_i‖²_F.
///
/// Appendix B: "we can zero out all their other diagonal entries and leave a single non-zero
/// entry at the location that S_{L+1} has one, which does not affect the logits but reduces the
/// regularization terms". Checked exactly: the logit by the forward pass, ‖J_i‖²_F from the
/// entries of the rational matrices.
public enum ZeroingKeepsLogitCheck {
  public static let name = "thm3.3.zeroing"
  static let step = "zero S_i off supp S_{L+1}: same logit, Σ‖J_i‖² ≤"

  /// Checks the step on `cases` random aligned points (D = 2…4, L = 1…4, y = ±1), keeping the
  /// diagonal entry `keptIndex` of every S_i; 0 is S_{L+1}'s non-zero entry (the claim), any
  /// other index is the counterexample.
  public static func verify<G: RandomNumberGenerator>(
    cases: Int, keptIndex: Int = 0, using generator: inout G
  ) -> ProofCheck {
    var failures = 0
    for c in 0..<cases {
      let d = max(2 + c % 3, keptIndex + 1)
      let l = 1 + (c / 3) % 4
      let y = c % 2 == 0 ? 1 : -1
      let point = AlignedPoint.random(d: d, l: l, y: y, using: &generator)
      let zeroed = point.singularValues.map { s in
        RationalMatrix.diagonal(s.indices.map { $0 == keptIndex ? s[$0] : .zero })
      }.map { point.q * $0 * point.q.transposed }
      let before = AlignedPoint.logit(w: point.w, jacobians: point.jacobians, dx: point.dx)
      let after = AlignedPoint.logit(w: point.w, jacobians: zeroed, dx: point.dx)
      let regulariserBefore = point.jacobians.map(\.frobeniusNormSquared).sum()
      let regulariserAfter = zeroed.map(\.frobeniusNormSquared).sum()
      if before != after || regulariserAfter > regulariserBefore { failures += 1 }
    }
    return .exact(
      name: name, theorem: "3.3", step: step, cases: cases, failures: failures,
      note: "keep diagonal entry \(keptIndex + 1) of each S_i, D = 2…4, L = 1…4, y = ±1")
  }
}
