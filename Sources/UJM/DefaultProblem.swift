import LinearAlgebra

/// The default UJM instance, so that results can be compared across implementations.
///
/// A generator seeded with `seed` draws, in this order: Δx ~ N(0, I/D), then each Jᵢ (i = 1…L,
/// column-major) entrywise ~ N(0, 0.01/D), then w ~ N(0, I/D). A given Δx (from `--dx`) replaces
/// the first draw and the Jᵢ and w are drawn from a generator seeded the same way.
public struct DefaultProblem: Sendable {
  public var model: UnconstrainedJacobiansModel
  /// The starting point (J₁⁰…J_L⁰, w⁰), flat.
  public var start: [Double]
  public var seed: UInt64

  public init(depth: Int, lambda: Double, dimension: Int, label: Double, seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    let sd = (1 / Double(dimension)).squareRoot()
    let dx: [Double] = Gaussian.sample(dimension, standardDeviation: sd, using: &generator)
    self.init(dx: dx, depth: depth, lambda: lambda, label: label, seed: seed, generator: &generator)
  }

  public init(dx: [Double], depth: Int, lambda: Double, label: Double, seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    self.init(dx: dx, depth: depth, lambda: lambda, label: label, seed: seed, generator: &generator)
  }

  private init(
    dx: [Double], depth: Int, lambda: Double, label: Double, seed: UInt64,
    generator: inout SeededGenerator
  ) {
    let d = dx.count
    model = UnconstrainedJacobiansModel(dx: dx, label: label, lambda: lambda, depth: depth)
    let jsd = (0.01 / Double(d)).squareRoot()
    var x: [Double] = Gaussian.sample(depth * d * d, standardDeviation: jsd, using: &generator)
    x.append(
      contentsOf: Gaussian.sample(
        d, standardDeviation: (1 / Double(d)).squareRoot(), using: &generator))
    start = x
    self.seed = seed
  }

  /// The reduced problem of this instance.
  public var reduced: ReducedProblem {
    ReducedProblem(depth: model.depth, lambda: model.lambda, dxNorm: model.dx.euclideanNorm)
  }
}
