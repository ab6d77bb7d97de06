import LinearAlgebra

/// The default multi-class UJM instance and its seeded starting points.
///
/// One generator seeded with `seed` draws, in this order: the class means μ₀…μ_{C−1} ~ N(0, I/D);
/// then the inputs class by class, Δx = μ_c + ε with ε ~ N(0, σ²·I/D), σ = `spread` (0.1), N per
/// class (labels 0,…,0, 1,…,1, …); then the starts one after the other, each Jᵢ (i = 1…L,
/// column-major) entrywise ~ N(0, 0.01/D) and W (C×D, column-major) ~ N(0, 1/D) entrywise, as in
/// the binary `DefaultProblem`. Given inputs (`--inputs`) replace the first two draws.
public struct MulticlassProblem: Sendable {
  public var model: MulticlassUnconstrainedJacobiansModel
  /// The starting points, flat.
  public var starts: [[Double]]
  public var seed: UInt64

  /// The spread σ of the inputs around their class mean, in units of 1/√D.
  public static let spread = 0.1
  /// The number of starts `ujm solve --classes` runs by default.
  public static let defaultStarts = 4

  /// The default instance: C classes, `examplesPerClass` inputs each, width D.
  public init(
    classes: Int, examplesPerClass: Int, dimension: Int, depth: Int, lambda: Double, seed: UInt64,
    starts: Int = defaultStarts
  ) {
    precondition(classes >= 2 && examplesPerClass >= 1 && dimension >= 1 && starts >= 1)
    var generator = SeededGenerator(seed: seed)
    let sd = (1 / Double(dimension)).squareRoot()
    let means = (0..<classes).map { _ in
      Gaussian.sample(dimension, standardDeviation: sd, as: Double.self, using: &generator)
    }
    var storage = [Double]()
    var labels = [Int]()
    for c in 0..<classes {
      for _ in 0..<examplesPerClass {
        var x = means[c]
        x.add(
          Gaussian.sample(dimension, standardDeviation: Self.spread * sd, using: &generator))
        storage.append(contentsOf: x)
        labels.append(c)
      }
    }
    let inputs = Matrix(rows: dimension, columns: classes * examplesPerClass, storage: storage)
    self.init(
      inputs: inputs, labels: labels, classes: classes, depth: depth, lambda: lambda, seed: seed,
      starts: starts, generator: &generator)
  }

  /// A given instance (inputs D×N, labels in 0..<C); the starts come from a generator seeded
  /// with `seed`.
  public init(
    inputs: Matrix<Double>, labels: [Int], classes: Int, depth: Int, lambda: Double,
    seed: UInt64, starts: Int = defaultStarts
  ) {
    var generator = SeededGenerator(seed: seed)
    self.init(
      inputs: inputs, labels: labels, classes: classes, depth: depth, lambda: lambda, seed: seed,
      starts: starts, generator: &generator)
  }

  private init(
    inputs: Matrix<Double>, labels: [Int], classes: Int, depth: Int, lambda: Double,
    seed: UInt64, starts: Int, generator: inout SeededGenerator
  ) {
    model = MulticlassUnconstrainedJacobiansModel(
      inputs: inputs, labels: labels, classes: classes, lambda: lambda, depth: depth)
    let d = inputs.rows
    let jsd = (0.01 / Double(d)).squareRoot()
    let wsd = (1 / Double(d)).squareRoot()
    self.starts = (0..<starts).map { _ in
      var x: [Double] = Gaussian.sample(depth * d * d, standardDeviation: jsd, using: &generator)
      x.append(contentsOf: Gaussian.sample(classes * d, standardDeviation: wsd, using: &generator))
      return x
    }
    self.seed = seed
  }
}
