import Comparison
import Empirical
import LinearAlgebra
import TestSupport

/// Networks with known boundaries and Jacobians for the comparison's tests.
enum SyntheticNetworks {
  /// A network built to satisfy Theorem 3.3 on the region the test inputs occupy: D = n₀,
  /// stem h₁ = x + 50, every branch F_i(h) = s_i·uuᵀh with u > 0 entrywise (so every ReLU is
  /// active while h > 0, which I + s·uuᵀ keeps, and J_i = s_i·uuᵀ), BN_f the identity, and the
  /// classifier rows ∓(t/2)·u, so w = t·u with t = √(s(1+s)) (the balance) unless given. The
  /// bias puts z = 0 at x = 0; `steepness` scales the classifier. `sigma1` gives s_i per block
  /// (default s in every block: Theorem 3.3's equal singular values); `deadBlocks` (1-based)
  /// get F = 0. The network is linear on the region, so z is affine along any segment in it.
  static func theory(
    width d: Int = 8, blocks l: Int = 3, s: Double = 0.5, sigma1: [Double]? = nil,
    steepness: Double = 1, deadBlocks: [Int] = []
  ) -> (network: EvaluationNetwork, u: [Double]) {
    var rng = testGenerator(11)
    let u = (Gaussian.sample(d, standardDeviation: 1, using: &rng) as [Double])
      .map { abs($0) + 0.1 }.normalized
    let t = (s * (1 + s)).squareRoot() * steepness
    let one = [Double](repeating: 1, count: d)
    let zero = [Double](repeating: 0, count: d)
    let branches = (0..<l).map { i in
      let si = deadBlocks.contains(i + 1) ? 0 : (sigma1?[i] ?? s)
      return ResidualBranch(
        w1: Matrix.outer(u, u), scale1: one, shift1: zero,
        w2: Matrix<Double>.identity(d).scaled(by: si), scale2: one, shift2: zero)
    }
    var classifier = Matrix<Double>(rows: 2, columns: d)
    for k in 0..<d {
      classifier[0, k] = -t / 2 * u[k]
      classifier[1, k] = t / 2 * u[k]
    }
    var network = EvaluationNetwork(
      stem: .identity(d), stemScale: one, stemShift: [Double](repeating: 50, count: d),
      branches: branches, skips: true, finalScale: one, finalShift: zero,
      classifier: classifier, classifierBias: [0, 0])
    let z0 = network.margin(zero)
    network.classifierBias = [0, -z0]
    return (network, u)
  }

  /// A linear network (every ReLU active on the test region: h₁ ≈ 100, the second
  /// pre-activation shifted by 100, branch weights of size 0.1/√D) with random Gaussian weights: not rank one, not
  /// aligned, but z is affine in x. `isLinear(at:)` checks that no unit switches off.
  static func linear(width d: Int = 8, blocks l: Int = 3) -> EvaluationNetwork {
    var rng = testGenerator(12)
    let one = [Double](repeating: 1, count: d)
    func weights(_ size: Double = 0.1) -> Matrix<Double> {
      Gaussian.matrix(
        rows: d, columns: d, standardDeviation: size / Double(d).squareRoot(), using: &rng)
    }
    let branches = (0..<l).map { _ in
      ResidualBranch(
        w1: weights(), scale1: one, shift1: [Double](repeating: 0, count: d), w2: weights(),
        scale2: one, shift2: [Double](repeating: 100, count: d))
    }
    var network = EvaluationNetwork(
      stem: weights(1), stemScale: one, stemShift: [Double](repeating: 100, count: d),
      branches: branches, skips: true, finalScale: one,
      finalShift: [Double](repeating: 0, count: d),
      classifier: Gaussian.matrix(rows: 2, columns: d, standardDeviation: 1, using: &rng),
      classifierBias: [0, 0])
    let z0 = network.margin([Double](repeating: 0, count: d))
    network.classifierBias = [0, -z0]
    return network
  }

  /// Whether every ReLU of `network` is active at x (the network is then affine near x).
  static func isLinear(_ network: EvaluationNetwork, at x: [Double]) -> Bool {
    let h = network.trajectory(x)
    var stem = network.stem * x
    for k in stem.indices { stem[k] = network.stemScale[k] * stem[k] + network.stemShift[k] }
    guard stem.allSatisfy({ $0 > 0 }) else { return false }
    for (i, branch) in network.branches.enumerated() {
      let (a1, a2) = branch.preActivations(at: h[i])
      guard a1.allSatisfy({ $0 > 0 }) && a2.allSatisfy({ $0 > 0 }) else { return false }
    }
    return h[network.depth].indices.allSatisfy {
      network.finalScale[$0] * h[network.depth][$0] + network.finalShift[$0] > 0
    }
  }

  /// A randomly initialised binary network (PyTorch's initialisation, `ujm train --epochs 0`).
  static func randomInit(width d: Int = 16, blocks l: Int = 3) -> EvaluationNetwork {
    var rng = testGenerator(13)
    let model = ResidualNetwork<Float>(
      architecture: Architecture(blocks: l, width: d, skips: true), inputSize: d, classCount: 2,
      using: &rng)
    return EvaluationNetwork(model)
  }

  /// `count` pairs of inputs on opposite sides of `network`'s boundary, from Gaussian draws.
  static func pairs(
    _ network: EvaluationNetwork, count: Int, scale: Double = 1, seed: UInt64 = 14
  ) -> [InputPair] {
    var rng = testGenerator(seed)
    var negative = [[Double]]()
    var positive = [[Double]]()
    while negative.count < count || positive.count < count {
      let x: [Double] = Gaussian.sample(
        network.inputSize, standardDeviation: scale, using: &rng)
      if network.margin(x) < 0 { negative.append(x) } else { positive.append(x) }
    }
    return (0..<count).map {
      InputPair(a: 2 * $0, b: 2 * $0 + 1, xa: negative[$0], xb: positive[$0])
    }
  }
}
