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
  static func pairs<N: ComparableResidualNetwork>(
    _ network: N, count: Int, scale: Double = 1, seed: UInt64 = 14
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

extension SyntheticNetworks {
  /// A network built to satisfy Theorem 3.3 with a direction that depends on the pair: D = n₀ =
  /// 2m, u_A = (u, 0) and u_B = (0, u) with u > 0 entrywise. The stem h₁ = ReLU(x + 50) zeroes
  /// the half of h where x is −100, every branch is F_i(h) = s_i·(u_Au_Aᵀ + u_Bu_Bᵀ)·ReLU(h), and
  /// w = t·(u_A + u_B) through the final ReLU. On inputs of kind A (second half −100, `pairs`)
  /// h stays in the first half, J_i = s_i·u_Au_Aᵀ and w = t·u_A; on kind B the same with u_B.
  /// So every Theorem 3.3 row holds on each pair, and pairs of different kinds are unrelated:
  /// the pair-mismatch nulls are 0.
  static func regions(
    half m: Int = 4, s: Double = 0.5, sigma1: [Double]? = nil, blocks l: Int = 3
  ) -> (network: EvaluationNetwork, u: [Double]) {
    var rng = testGenerator(17)
    let u = (Gaussian.sample(m, standardDeviation: 1, using: &rng) as [Double])
      .map { abs($0) + 0.1 }.normalized
    let d = 2 * m
    let uA = u + [Double](repeating: 0, count: m)
    let uB = [Double](repeating: 0, count: m) + u
    let t = (s * (1 + s)).squareRoot()
    let one = [Double](repeating: 1, count: d)
    let zero = [Double](repeating: 0, count: d)
    var projection = Matrix.outer(uA, uA)
    projection.add(Matrix.outer(uB, uB))
    let branches = (0..<(sigma1?.count ?? l)).map { i in
      ResidualBranch(
        w1: projection, scale1: one, shift1: zero,
        w2: Matrix<Double>.identity(d).scaled(by: sigma1?[i] ?? s), scale2: one, shift2: zero)
    }
    var classifier = Matrix<Double>(rows: 2, columns: d)
    for k in 0..<d {
      classifier[0, k] = -t / 2 * (uA[k] + uB[k])
      classifier[1, k] = t / 2 * (uA[k] + uB[k])
    }
    var network = EvaluationNetwork(
      stem: .identity(d), stemScale: one, stemShift: [Double](repeating: 50, count: d),
      branches: branches, skips: true, finalScale: one, finalShift: zero,
      classifier: classifier, classifierBias: [0, 0])
    let z0 = network.margin(
      [Double](repeating: 0, count: m) + [Double](repeating: -100, count: m))
    network.classifierBias = [0, -z0]
    return (network, u)
  }

  /// `count` pairs of the `regions` network, kinds A and B alternating: x_a = c − α·u,
  /// x_b = c + β·u in the live half (c ⟂ u), −100 in the other. `offAxis` adds that multiple of a
  /// unit vector ⟂ u to x_b − x_a (then δ is not along u).
  static func regionPairs(_ u: [Double], count: Int, offAxis: Double = 0) -> [InputPair] {
    var rng = testGenerator(22)
    let m = u.count
    let dead = [Double](repeating: -100, count: m)
    return (0..<count).map { k in
      var c: [Double] = Gaussian.sample(m, standardDeviation: 1, using: &rng)
      c.add(u, scaledBy: -c.dot(u))
      var side: [Double] = Gaussian.sample(m, standardDeviation: 1, using: &rng)
      side.add(u, scaledBy: -side.dot(u))
      side = side.normalized
      let alpha = 0.5 + Double(k) * 0.2
      let beta = 1.5 - Double(k) * 0.1
      var xa = c
      xa.add(u, scaledBy: -alpha)
      var xb = c
      xb.add(u, scaledBy: beta)
      xb.add(side, scaledBy: offAxis)
      return k % 2 == 0
        ? InputPair(a: 2 * k, b: 2 * k + 1, xa: xa + dead, xb: xb + dead)
        : InputPair(a: 2 * k, b: 2 * k + 1, xa: dead + xa, xb: dead + xb)
    }
  }

  /// The same function after h → c·h, on the evaluation network: s₀, t₀ × c; every branch's
  /// first BatchNorm scale ÷ c (running mean × c, variance c²v + (c²−1)ε leaves t unchanged) and
  /// W2 × c; the final BatchNorm's scale ÷ c.
  static func rescaled(_ network: EvaluationNetwork, by c: Double) -> EvaluationNetwork {
    var out = network
    out.stemScale = network.stemScale.map { $0 * c }
    out.stemShift = network.stemShift.map { $0 * c }
    out.branches = network.branches.map { b in
      ResidualBranch(
        w1: b.w1, scale1: b.scale1.map { $0 / c }, shift1: b.shift1, w2: b.w2.scaled(by: c),
        scale2: b.scale2, shift2: b.shift2, branchScale: b.branchScale)
    }
    out.finalScale = network.finalScale.map { $0 / c }
    return out
  }

  /// Trained-looking statistics: γ, β, running means and variances drawn away from 1 and 0.
  static func perturb(_ bn: inout BatchNorm<Float>, using rng: inout some RandomNumberGenerator) {
    for k in 0..<bn.features {
      bn.weight[k] = Float(0.5 + Double(rng.next() % 1000) / 1000)
      bn.bias[k] = Float(Double(rng.next() % 1000) / 1000 - 0.5) * 0.2
      bn.runningMean[k] = Float(Double(rng.next() % 1000) / 1000 - 0.5) * 0.2
      bn.runningVariance[k] = Float(0.5 + Double(rng.next() % 1000) / 1000)
    }
  }

  /// A randomly initialised binary convolutional network (Type 5a's shape, smaller: `blocks`
  /// blocks of `channels` channels on side×side grey images, stem stride 2, so D =
  /// channels·(side/2)²) with trained-looking BatchNorm statistics. `downsampling`: then 2
  /// blocks of 2·channels at half the side, the first with a projection shortcut (Type 3's
  /// shape: block `blocks` + 1 changes the representation's size, D → D/2).
  static func randomConvolutionalModel(
    blocks l: Int = 3, channels: Int = 4, side: Int = 8, skips: Bool = true,
    downsampling: Bool = false
  ) -> ConvolutionalNetwork<Float> {
    var rng = testGenerator(19)
    var stages = [ConvolutionalArchitecture.Stage(blocks: l, channels: channels)]
    if downsampling { stages.append(.init(blocks: 2, channels: 2 * channels)) }
    var model = ConvolutionalNetwork<Float>(
      architecture: ConvolutionalArchitecture(stages: stages, skips: skips),
      image: ConvolutionalInput(channels: 1, side: side, padding: 0), classCount: 2,
      using: &rng)
    perturb(&model.bn0, using: &rng)
    for i in model.blocks.indices {
      perturb(&model.blocks[i].bn1, using: &rng)
      perturb(&model.blocks[i].bn2, using: &rng)
    }
    perturb(&model.bnf, using: &rng)
    if downsampling {
      // Centre the margin on Gaussian inputs (`pairs` draws until it has both signs).
      let network = ConvolutionalEvaluationNetwork(model)
      var draws = testGenerator(14)
      let z = (0..<15).map { _ in
        let x: [Double] = Gaussian.sample(network.inputSize, standardDeviation: 1, using: &draws)
        return network.margin(x)
      }.sorted()
      model.clsBias[1] -= Float(z[7])
    }
    return model
  }

  /// A randomly initialised binary model (PyTorch's initialisation) whose BatchNorms have
  /// trained-looking statistics: γ, β, running means and variances drawn away from 1 and 0.
  static func randomModel(width d: Int = 16, blocks l: Int = 3) -> ResidualNetwork<Float> {
    var rng = testGenerator(18)
    var model = ResidualNetwork<Float>(
      architecture: Architecture(blocks: l, width: d, skips: true), inputSize: d, classCount: 2,
      using: &rng)
    perturb(&model.bn0, using: &rng)
    for i in model.blocks.indices {
      perturb(&model.blocks[i].bn1, using: &rng)
      perturb(&model.blocks[i].bn2, using: &rng)
    }
    perturb(&model.bnf, using: &rng)
    return model
  }
}
