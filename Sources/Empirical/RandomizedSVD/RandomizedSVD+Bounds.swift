// Goals: refuse, before any work, loop counts that would run for days or sizes that overflow,
// naming the option and what it would need.

extension RandomizedSVD {
  /// The most power iterations accepted. Each iteration costs two products with A (and a QR);
  /// the subspace converges geometrically at the rate (σ_{k+p+1}/σ_k)², so past a few hundred
  /// iterations nothing changes in Float64 except the time (the paper uses T = 20).
  public static let maximumPowerIterations = 1000
  /// The most oversampling columns accepted (a test matrix wider than this is a typo: the dense
  /// SVD takes over long before).
  public static let maximumOversampling = 100_000

  /// A one-line reason to refuse these settings, naming the option, or nil when they are
  /// acceptable for some matrix. Checked before the matrix is read.
  public static func refusal(rank: Int, oversampling: Int, powerIterations: Int) -> String? {
    if powerIterations > maximumPowerIterations {
      return "--iterations \(powerIterations): at most \(maximumPowerIterations) (the paper uses "
        + "\(defaultPowerIterations)); \(powerIterations) iterations would need "
        + "\(powerIterations.multipliedReportingOverflow(by: 2).overflow ? "more than 2^63" : "\(2 * powerIterations)") "
        + "products with the matrix, \(powerIterations / defaultPowerIterations)× the paper's work, "
        + "with no gain in accuracy"
    }
    if oversampling > maximumOversampling {
      return "--oversampling \(oversampling): at most \(maximumOversampling) (the default is "
        + "\(defaultOversampling)); the test matrix would have \(oversampling) extra columns"
    }
    if rank.addingReportingOverflow(oversampling).overflow {
      return "--rank \(rank) with --oversampling \(oversampling): the sum overflows"
    }
    return nil
  }
}
