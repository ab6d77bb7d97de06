/// RA3 for one Residual Jacobian: the shape of the top of its spectrum.
///
/// Paper: (RA3) "top singular values of Residual Jacobians … rank at most C" for
/// fully-connected networks with C classes (Figure 4a shows the top 20 singular values).
/// From the top singular values σ₁ ≥ σ₂ ≥ … (at least C + 1 of them):
///
///     gap           = σ_C / σ_{C+1}     (large when the Jacobian is close to rank C)
///     numericalRank = #{ i : σᵢ > threshold · σ₁ }
///
/// Caveat: only the values given are counted, so a `numericalRank` equal to the number of
/// values given is a lower bound (`rankIsLowerBound`).
public struct SpectrumShape: Sendable, Equatable, Codable {
  /// The default relative threshold of `numericalRank`.
  public static let defaultThreshold = 1e-2

  /// σ_C / σ_{C+1} (infinite when σ_{C+1} = 0 < σ_C).
  public var gap: Double
  /// The number of σᵢ above `threshold`·σ₁.
  public var numericalRank: Int
  /// The relative threshold used.
  public var threshold: Double
  /// True when every value given is above the threshold, so the rank may be larger.
  public var rankIsLowerBound: Bool

  /// RA3 from the top singular values (descending) of one Jacobian, for `classes` = C.
  public init(
    topSingularValues s: [Double], classes: Int, threshold: Double = defaultThreshold
  ) {
    precondition(classes >= 1 && s.count > classes, "need σ₁ … σ_{C+1} (C = \(classes))")
    // 0/0 (a Jacobian of rank below C) has no gap: NaN, which `Spread` leaves out.
    gap = s[classes] > 0 ? s[classes - 1] / s[classes] : (s[classes - 1] > 0 ? .infinity : .nan)
    let cut = threshold * s[0]
    numericalRank = s.prefix { $0 > cut }.count
    self.threshold = threshold
    rankIsLowerBound = numericalRank == s.count
  }
}
