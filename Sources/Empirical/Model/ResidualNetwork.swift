// Goals, in order of priority: the paper's fully-connected pre-activation ResNets exactly as the
// PyTorch reference defines them (so checkpoints move between the two); value types whose
// weights and statistics the measurements (Jacobians, trajectories) read directly.

import LinearAlgebra

/// The shape of a fully-connected residual network: depth L, width D, skips on or off.
///
/// The paper's Type 1 is 16 blocks of width 512 with skips; Type 4a is 8 blocks with skips,
/// Type 4b the same without skips (Section 2, Table 1).
public struct Architecture: Sendable, Equatable, Codable {
  /// L, the number of residual blocks.
  public var blocks: Int
  /// D, the width of every hidden layer.
  public var width: Int
  /// Whether h_{i+1} = h_i + F_i(h_i) (true) or h_{i+1} = F_i(h_i).
  public var skips: Bool

  public init(blocks: Int, width: Int, skips: Bool) {
    self.blocks = blocks
    self.width = width
    self.skips = skips
  }

  /// A preset by the paper's name: `1`, `4a` or `4b`.
  public static func preset(_ name: String) -> Architecture? {
    switch name.lowercased() {
    case "1": Architecture(blocks: 16, width: 512, skips: true)
    case "4a": Architecture(blocks: 8, width: 512, skips: true)
    case "4b": Architecture(blocks: 8, width: 512, skips: false)
    default: nil
    }
  }
}

/// One residual block: F(h) = W2·ReLU(BN2(W1·ReLU(BN1(h)))), W1, W2 ∈ R^{D×D}, no biases.
public struct ResidualBlock<Scalar: BLASScalar>: Sendable, Equatable {
  /// BN1, applied to the block's input h.
  public var bn1: BatchNorm<Scalar>
  /// W1 (D×D, `[out, in]`).
  public var fc1: Matrix<Scalar>
  /// BN2, applied to W1·ReLU(BN1(h)).
  public var bn2: BatchNorm<Scalar>
  /// W2 (D×D).
  public var fc2: Matrix<Scalar>

  public init(
    bn1: BatchNorm<Scalar>, fc1: Matrix<Scalar>, bn2: BatchNorm<Scalar>, fc2: Matrix<Scalar>
  ) {
    self.bn1 = bn1
    self.fc1 = fc1
    self.bn2 = bn2
    self.fc2 = fc2
  }
}

/// A pre-activation fully-connected residual network (the paper's Types 1 and 4):
///
///     h₁ = ReLU(BN₀(W₀x)),
///     h_{i+1} = h_i + F_i(h_i)   (F_i(h_i) without skips),   i = 1…L,
///     logits = W_c·ReLU(BN_f(h_{L+1})) + b_c.
///
/// With stochastic depth p (`dropPath`), each residual branch is dropped with probability p in
/// training and scaled by 1 − p in evaluation (Huang et al., 2016). Property names follow the
/// PyTorch `state_dict` (`fc0`, `bn0`, `blocks.i.{bn1,fc1,bn2,fc2}`, `bnf`, `cls`).
public struct ResidualNetwork<Scalar: BLASScalar>: Sendable, Equatable {
  /// W₀ (D×n₀), the stem.
  public var fc0: Matrix<Scalar>
  /// BN₀.
  public var bn0: BatchNorm<Scalar>
  /// The L residual blocks.
  public var blocks: [ResidualBlock<Scalar>]
  /// BN_f, before the classifier.
  public var bnf: BatchNorm<Scalar>
  /// W_c (C×D), the classifier.
  public var cls: Matrix<Scalar>
  /// b_c (C).
  public var clsBias: [Scalar]
  /// Whether the blocks have skip connections.
  public var skips: Bool
  /// p, the probability of dropping a residual branch in training.
  public var dropPath: Double

  /// D.
  public var width: Int { fc0.rows }
  /// n₀, the input dimension (784 for 28×28 images).
  public var inputSize: Int { fc0.columns }
  /// C.
  public var classCount: Int { cls.rows }
  /// L.
  public var depth: Int { blocks.count }
  /// The architecture.
  public var architecture: Architecture {
    Architecture(blocks: depth, width: width, skips: skips)
  }

  public init(
    fc0: Matrix<Scalar>, bn0: BatchNorm<Scalar>, blocks: [ResidualBlock<Scalar>],
    bnf: BatchNorm<Scalar>, cls: Matrix<Scalar>, clsBias: [Scalar], skips: Bool,
    dropPath: Double = 0
  ) {
    precondition(cls.columns == fc0.rows && clsBias.count == cls.rows, "classifier shape")
    self.fc0 = fc0
    self.bn0 = bn0
    self.blocks = blocks
    self.bnf = bnf
    self.cls = cls
    self.clsBias = clsBias
    self.skips = skips
    self.dropPath = dropPath
  }

  /// A network with PyTorch's default initialisation: every Linear weight (and the classifier
  /// bias) uniform on [−1/√fan_in, 1/√fan_in] — `kaiming_uniform_(a=√5)` — and BatchNorm γ = 1,
  /// β = 0. Draws in the order fc0, blocks (fc1, fc2), cls.weight, cls.bias.
  public init(
    architecture: Architecture, inputSize: Int, classCount: Int, dropPath: Double = 0,
    using generator: inout some RandomNumberGenerator
  ) {
    let d = architecture.width
    func linear(_ rows: Int, _ columns: Int) -> Matrix<Scalar> {
      // PyTorch fills the row-major [out, in] tensor in order; Matrix is column-major.
      var m = Matrix<Scalar>(rows: rows, columns: columns)
      let bound = 1 / Double(columns).squareRoot()
      for i in 0..<rows {
        for j in 0..<columns { m[i, j] = Scalar(uniform(bound, &generator)) }
      }
      return m
    }
    let fc0 = linear(d, inputSize)
    var blocks: [ResidualBlock<Scalar>] = []
    for _ in 0..<architecture.blocks {
      let fc1 = linear(d, d)
      let fc2 = linear(d, d)
      blocks.append(
        ResidualBlock(
          bn1: BatchNorm(features: d), fc1: fc1, bn2: BatchNorm(features: d), fc2: fc2))
    }
    let cls = linear(classCount, d)
    let biasBound = 1 / Double(d).squareRoot()
    let clsBias = (0..<classCount).map { _ in Scalar(uniform(biasBound, &generator)) }
    self.init(
      fc0: fc0, bn0: BatchNorm(features: d), blocks: blocks, bnf: BatchNorm(features: d),
      cls: cls, clsBias: clsBias, skips: architecture.skips, dropPath: dropPath)
  }

  /// A network of the same shape with every trainable parameter zero (gradient and momentum
  /// buffers): the one visitor of `PreActivationParameters`.
  public var zeroed: ResidualNetwork { zeroedParameters }
}

/// A draw uniform on [−bound, bound) from 53 random bits.
func uniform(_ bound: Double, _ generator: inout some RandomNumberGenerator) -> Double {
  let u = Double(generator.next() >> 11) * 0x1p-53
  return (2 * u - 1) * bound
}

/// What a trainable parameter is, for the scope of weight decay.
public enum ParameterKind: Sendable, CaseIterable {
  /// A linear (or convolutional) layer's weight matrix.
  case weight
  /// A BatchNorm scale γ or shift β.
  case normalization
  /// A bias (the classifier's).
  case bias
}
