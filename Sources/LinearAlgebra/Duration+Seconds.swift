extension Duration {
  /// The duration in seconds as a `Double`: seconds + attoseconds·10⁻¹⁸ (the one conversion
  /// every timing of ujm uses).
  public var secondsValue: Double {
    let c = components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
  }
}
