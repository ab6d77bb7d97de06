// Goals, in order of priority: the paper's convolutional pre-activation ResNets (Types 2, 3, 5a,
// 5b) exactly as the PyTorch reference of issue 12 defines them, so that state_dicts move
// between the two; value types whose weights and statistics training, checkpoints and the
// Jacobians read directly.

import LinearAlgebra

/// The shape of a convolutional residual network: stages of blocks, skips on or off.
///
/// Paper: Table 1 (Types 2 and 3), Figure 6 (Types 5a and 5b: skip connections cause RA).
/// Type 2: 16 blocks of 64 channels at 16×16 (D = 16,384, footnote 2); Type 3: 8 blocks of 64
/// channels at 16×16, then 8 of 128 at 8×8, the first of which downsamples (conv1 stride 2 and
/// a 1×1 stride-2 projection `shortcut` on ReLU(BN1(h))); Type 5a: 8 blocks of 64 channels;
/// Type 5b: Type 5a without skips.
public struct ConvolutionalArchitecture: Sendable, Equatable {
  /// A run of blocks of one width; every stage after the first halves the side.
  public struct Stage: Sendable, Equatable {
    public var blocks: Int
    public var channels: Int
    public init(blocks: Int, channels: Int) {
      self.blocks = blocks
      self.channels = channels
    }
  }

  public var stages: [Stage]
  /// Whether h_{i+1} = h_i + F_i(h_i) (true) or h_{i+1} = F_i(h_i).
  public var skips: Bool

  public init(stages: [Stage], skips: Bool) {
    precondition(!stages.isEmpty && stages.allSatisfy { $0.blocks >= 1 && $0.channels >= 1 })
    self.stages = stages
    self.skips = skips
  }

  /// L.
  public var blocks: Int { stages.reduce(0) { $0 + $1.blocks } }

  /// A preset by the paper's name: `2`, `3`, `5a` or `5b`.
  public static func preset(_ name: String) -> ConvolutionalArchitecture? {
    switch name.lowercased() {
    case "2": ConvolutionalArchitecture(stages: [Stage(blocks: 16, channels: 64)], skips: true)
    case "3":
      ConvolutionalArchitecture(
        stages: [Stage(blocks: 8, channels: 64), Stage(blocks: 8, channels: 128)], skips: true)
    case "5a": ConvolutionalArchitecture(stages: [Stage(blocks: 8, channels: 64)], skips: true)
    case "5b": ConvolutionalArchitecture(stages: [Stage(blocks: 8, channels: 64)], skips: false)
    default: nil
    }
  }
}

/// The images a convolutional network reads: C channels of side × side pixels, each example's
/// features in CHW order (`ImageClassificationData`'s layout; for C = 1 the IDX file's row-major
/// pixels), zero-padded by `padding` pixels on every side after standardisation (28×28 →
/// 32×32: 2; 0.0 is the mean, not a black pixel).
public struct ConvolutionalInput: Sendable, Equatable, Codable {
  public var channels: Int
  public var side: Int
  public var padding: Int

  public init(channels: Int, side: Int, padding: Int) {
    precondition(channels >= 1 && side >= 1 && padding >= 0)
    self.channels = channels
    self.side = side
    self.padding = padding
  }

  /// The paper's geometry for a data set's images: 28×28 (MNIST, Fashion-MNIST) padded to
  /// 32×32, any other square image (CIFAR's 32×32×3) unpadded; nil for a non-square image.
  public init?(image: ImageShape) {
    guard image.height == image.width, image.height >= 1 else { return nil }
    self.init(
      channels: image.channels, side: image.height, padding: image.height == 28 ? 2 : 0)
  }

  /// C·side², the features of one example.
  public var featureCount: Int { channels * side * side }
  /// The side after padding.
  public var paddedSide: Int { side + 2 * padding }
}

/// One convolutional pre-activation basic block (He et al. 2016b):
/// F(h) = conv2(ReLU(BN2(conv1(ReLU(BN1(h)))))), 3×3 convolutions, padding 1, no bias; with a
/// projection, h_{i+1} = shortcut(ReLU(BN1(h))) + F(h).
public struct ConvolutionalBlock<Scalar: BLASScalar>: Sendable, Equatable {
  public var bn1: BatchNorm<Scalar>
  public var conv1: Convolution<Scalar>
  public var bn2: BatchNorm<Scalar>
  public var conv2: Convolution<Scalar>
  /// The 1×1 stride-2 projection of a downsampling block (nil: identity skip).
  public var shortcut: Convolution<Scalar>?

  public init(
    bn1: BatchNorm<Scalar>, conv1: Convolution<Scalar>, bn2: BatchNorm<Scalar>,
    conv2: Convolution<Scalar>, shortcut: Convolution<Scalar>? = nil
  ) {
    self.bn1 = bn1
    self.conv1 = conv1
    self.bn2 = bn2
    self.conv2 = conv2
    self.shortcut = shortcut
  }

  /// A block from `inChannels` to `outChannels`; stride 2 and a projection when they differ.
  init(inChannels: Int, outChannels: Int) {
    let stride = inChannels == outChannels ? 1 : 2
    self.init(
      bn1: BatchNorm(features: inChannels),
      conv1: Convolution(
        inChannels: inChannels, outChannels: outChannels, kernel: 3, stride: stride, padding: 1),
      bn2: BatchNorm(features: outChannels),
      conv2: Convolution(
        inChannels: outChannels, outChannels: outChannels, kernel: 3, stride: 1, padding: 1),
      shortcut: stride == 1
        ? nil
        : Convolution(
          inChannels: inChannels, outChannels: outChannels, kernel: 1, stride: 2, padding: 0))
  }

  /// C_in, C_out.
  public var inChannels: Int { conv1.inChannels }
  public var outChannels: Int { conv2.outChannels }
}

/// A convolutional pre-activation ResNet (the paper's Types 2, 3 and 5):
///
///     h₁ = ReLU(BN₀(conv₀(pad(x))))            conv₀: 3×3, stride 2, padding 1, C_in → 64
///     h_{i+1} = h_i + F_i(h_i)   (F_i(h_i) without skips; shortcut(ReLU(BN1(h_i))) + F_i(h_i)
///                                 for a downsampling block),   i = 1…L
///     logits = W_c·avgpool(ReLU(BN_f(h_{L+1}))) + b_c
///
/// With stochastic depth p, each identity-skip branch is dropped with probability p in training
/// and scaled by 1 − p in evaluation (a downsampling block is never dropped). Property names
/// follow the PyTorch `state_dict` (`conv0`, `bn0`, `blocks.i.{bn1,conv1,bn2,conv2,shortcut}`,
/// `bnf`, `cls`).
public struct ConvolutionalNetwork<Scalar: BLASScalar>: Sendable, Equatable {
  public var image: ConvolutionalInput
  public var conv0: Convolution<Scalar>
  public var bn0: BatchNorm<Scalar>
  public var blocks: [ConvolutionalBlock<Scalar>]
  public var bnf: BatchNorm<Scalar>
  /// W_c (C × channels of the last stage).
  public var cls: Matrix<Scalar>
  public var clsBias: [Scalar]
  public var skips: Bool
  public var dropPath: Double

  public init(
    image: ConvolutionalInput, conv0: Convolution<Scalar>, bn0: BatchNorm<Scalar>,
    blocks: [ConvolutionalBlock<Scalar>], bnf: BatchNorm<Scalar>, cls: Matrix<Scalar>,
    clsBias: [Scalar], skips: Bool, dropPath: Double = 0
  ) {
    precondition(conv0.inChannels == image.channels, "conv0 must read the image's channels")
    var channels = conv0.outChannels
    for b in blocks {
      precondition(b.inChannels == channels, "block channels do not chain")
      precondition(
        (b.shortcut != nil) == (b.conv1.stride != 1 || b.inChannels != b.outChannels),
        "a block that changes shape needs a shortcut")
      channels = b.outChannels
    }
    precondition(cls.columns == channels && clsBias.count == cls.rows, "classifier shape")
    self.image = image
    self.conv0 = conv0
    self.bn0 = bn0
    self.blocks = blocks
    self.bnf = bnf
    self.cls = cls
    self.clsBias = clsBias
    self.skips = skips
    self.dropPath = dropPath
  }

  /// PyTorch's default initialisation: every convolution and the classifier
  /// `kaiming_uniform_(a=√5)`, the classifier bias uniform on ±1/√fan_in, BatchNorm γ = 1,
  /// β = 0. Draws in the order conv0, blocks (conv1, conv2, shortcut), cls.weight, cls.bias.
  public init(
    architecture: ConvolutionalArchitecture, image: ConvolutionalInput, classCount: Int,
    stemChannels: Int? = nil, dropPath: Double = 0,
    using generator: inout some RandomNumberGenerator
  ) {
    let stem = stemChannels ?? architecture.stages[0].channels
    var conv0 = Convolution<Scalar>(
      inChannels: image.channels, outChannels: stem, kernel: 3, stride: 2, padding: 1)
    conv0.initialize(using: &generator)
    var blocks = [ConvolutionalBlock<Scalar>]()
    var channels = stem
    for stage in architecture.stages {
      for _ in 0..<stage.blocks {
        var block = ConvolutionalBlock<Scalar>(inChannels: channels, outChannels: stage.channels)
        block.conv1.initialize(using: &generator)
        block.conv2.initialize(using: &generator)
        block.shortcut?.initialize(using: &generator)
        blocks.append(block)
        channels = stage.channels
      }
    }
    var cls = Matrix<Scalar>(rows: classCount, columns: channels)
    let bound = 1 / Double(channels).squareRoot()
    for i in 0..<classCount {
      for j in 0..<channels { cls[i, j] = Scalar(uniform(bound, &generator)) }
    }
    let clsBias = (0..<classCount).map { _ in Scalar(uniform(bound, &generator)) }
    self.init(
      image: image, conv0: conv0, bn0: BatchNorm(features: stem), blocks: blocks,
      bnf: BatchNorm(features: channels), cls: cls, clsBias: clsBias, skips: architecture.skips,
      dropPath: dropPath)
  }

  /// C.
  public var classCount: Int { cls.rows }
  /// L.
  public var depth: Int { blocks.count }
  /// n₀ = C_in·side², the features of one example.
  public var inputSize: Int { image.featureCount }
  /// The side of h₁ (16 for 32×32 inputs).
  public var stemSide: Int { conv0.outputSide(image.paddedSide) }

  /// (channels, side) of h_i for i = 1…L+1 (index i − 1).
  public var representationShapes: [(channels: Int, side: Int)] {
    var shapes = [(channels: conv0.outChannels, side: stemSide)]
    for b in blocks {
      shapes.append((b.outChannels, b.conv1.outputSide(shapes[shapes.count - 1].side)))
    }
    return shapes
  }

  /// Whether the drop-path rule may drop block i (identity skips only).
  func droppable(_ i: Int) -> Bool { skips && blocks[i].shortcut == nil }

  /// A network of the same shape with every trainable parameter zero (gradient and momentum
  /// buffers): the one visitor of `PreActivationParameters`.
  public var zeroed: ConvolutionalNetwork { zeroedParameters }

  /// The same network with every weight and statistic converted to `Other`.
  public func converted<Other: BLASScalar>(to: Other.Type = Other.self)
    -> ConvolutionalNetwork<Other>
  {
    return ConvolutionalNetwork<Other>(
      image: image, conv0: conv0.converted(), bn0: bn0.converted(),
      blocks: blocks.map {
        ConvolutionalBlock(
          bn1: $0.bn1.converted(), conv1: $0.conv1.converted(), bn2: $0.bn2.converted(),
          conv2: $0.conv2.converted(), shortcut: $0.shortcut?.converted())
      }, bnf: bnf.converted(), cls: cls.converted(), clsBias: clsBias.map { Other($0) },
      skips: skips,
      dropPath: dropPath)
  }
}
