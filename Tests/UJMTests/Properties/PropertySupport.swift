import LinearAlgebra
import PropertyBased
import TestSupport

@testable import UJM

// Property tests, issue 17: each property runs under swift-property-based's `propertyCheck`
// (random inputs, shrunk to the smallest failing one when the property breaks), then replays
// the same property on inputs drawn with a fixed seed (`replay`), which are the same bits on
// every run. `.fixedSeed` is not committed: it always records an issue (STYLE.md).

/// A small multi-class instance: sizes that shrink toward the smallest model, and a seed for
/// everything else (inputs, point, direction).
struct MulticlassInstance: CustomStringConvertible, Sendable {
  var classes: Int
  var perClass: Int
  var dimension: Int
  var depth: Int
  var lambda: Double
  var seed: UInt64

  var description: String {
    "C = \(classes), N/class = \(perClass), D = \(dimension), L = \(depth), λ = \(lambda), "
      + "seed = \(seed)"
  }

  /// The model and a point N(0, 0.25) drawn from `seed`.
  var modelAndPoint: (MulticlassUnconstrainedJacobiansModel, [Double]) {
    multiclassCase(
      classes: classes, perClass: perClass, dimension: dimension, depth: depth, seed: seed,
      lambda: lambda)
  }

  /// A direction N(0, 1) drawn from `seed` + 1.
  func direction(_ count: Int, offset: UInt64 = 1) -> [Double] {
    var rng = SeededGenerator(seed: seed &+ offset)
    return Gaussian.sample(count, using: &rng)
  }
}

/// Instances with C = 2…4, N/class = 1…2, D = 1…5, L = 1…3, λ ∈ [0.001, 1].
let multiclassInstances = zip(
  Gen.int(in: 2...4), Gen.int(in: 1...2), Gen.int(in: 1...5), Gen.int(in: 1...3),
  Gen.double(in: 0.001...1), Gen.uint64(in: 0...1_000_000)
).map { c, n, d, l, lambda, seed in
  MulticlassInstance(
    classes: c, perClass: n, dimension: d, depth: l, lambda: lambda, seed: seed)
}

/// A binary (Definition 3.2) instance.
struct BinaryInstance: CustomStringConvertible, Sendable {
  var dimension: Int
  var depth: Int
  var lambda: Double
  var positive: Bool
  var seed: UInt64

  var description: String {
    "D = \(dimension), L = \(depth), λ = \(lambda), y = \(positive ? "+1" : "-1"), seed = \(seed)"
  }

  var model: UnconstrainedJacobiansModel {
    var rng = SeededGenerator(seed: seed)
    return UnconstrainedJacobiansModel(
      dx: Gaussian.sample(dimension, using: &rng), label: positive ? 1 : -1, lambda: lambda,
      depth: depth)
  }

  func vector(_ count: Int, offset: UInt64, standardDeviation: Double = 1) -> [Double] {
    var rng = SeededGenerator(seed: seed &+ offset)
    return Gaussian.sample(count, standardDeviation: standardDeviation, using: &rng)
  }
}

/// Binary instances with D = 1…6, L = 1…4, λ ∈ [0.01, 1].
let binaryInstances = zip(
  Gen.int(in: 1...6), Gen.int(in: 1...4), Gen.double(in: 0.01...1), Gen.bool,
  Gen.uint64(in: 0...1_000_000)
).map { d, l, lambda, positive, seed in
  BinaryInstance(dimension: d, depth: l, lambda: lambda, positive: positive, seed: seed)
}

/// Runs `property` on `count` inputs drawn from `generator` with a Xoshiro generator seeded
/// with `seed`: the deterministic replay of a property (same inputs, same bits, every run).
func replay<T>(
  _ generator: Generator<T, some Sequence>, seed: UInt64, count: Int = 8, _ property: (T) -> Void
) {
  var rng = Xoshiro(seed: (seed, seed ^ 0x9E37_79B9_7F4A_7C15, ~seed, seed &* 31 &+ 1))
  for _ in 0..<count { property(generator.run(using: &rng)) }
}
