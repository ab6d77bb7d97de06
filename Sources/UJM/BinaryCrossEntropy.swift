import RealModule

/// The binary cross-entropy of a logit, ℓ(z, y) = log(1 + e^(−y·z)) with y ∈ {+1, −1}.
///
/// Definition 3.2 uses it as 𝓛. Computed as softplus(−y·z) = max(−yz, 0) + log1p(e^(−|yz|)), which
/// neither overflows nor loses the small tail for any finite z.
public enum BinaryCrossEntropy {
  /// ℓ(z, y).
  @inlinable
  public static func loss(logit z: Double, label y: Double) -> Double {
    let m = -y * z
    return max(m, 0) + Double.log(onePlus: Double.exp(-abs(m)))
  }

  /// ∂ℓ/∂z = −y / (1 + e^(y·z)), computed without overflow.
  @inlinable
  public static func derivative(logit z: Double, label y: Double) -> Double {
    let m = y * z
    // 1/(1+e^m): for m > 0 use e^(−m)/(1+e^(−m)).
    let sigma = m > 0 ? Double.exp(-m) / (1 + Double.exp(-m)) : 1 / (1 + Double.exp(m))
    return -y * sigma
  }
}
