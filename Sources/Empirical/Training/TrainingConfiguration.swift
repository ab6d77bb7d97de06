/// Everything that determines a training run (Section 2 of the paper; PyTorch defaults).
public struct TrainingConfiguration: Sendable, Equatable {
  /// The preset's name (`1`, `4a`, `4b`) or `custom`, for display and the checkpoint's `arch`.
  public var typeName: String
  /// Depth, width, skips.
  public var architecture: Architecture
  /// E, the number of epochs (the cosine schedule reaches 0 after E epochs).
  public var epochs: Int
  /// η₀, the initial learning rate.
  public var learningRate: Double
  /// B, examples per step (the last partial batch of an epoch is kept).
  public var batchSize: Int
  /// λ, the weight decay.
  public var weightDecay: Double
  /// Which parameters λ applies to (PyTorch's default: all).
  public var weightDecayScope: WeightDecayScope
  /// μ, the momentum.
  public var momentum: Double
  /// The seed of the initialisation, the shuffling and the dropped blocks.
  public var seed: UInt64
  /// p, the probability of dropping a residual branch in a training step.
  public var dropPath: Double
  /// Stop after this many steps in all (nil: run every epoch).
  public var maxSteps: Int?

  public init(
    typeName: String = "1", architecture: Architecture, epochs: Int, learningRate: Double = 0.1,
    batchSize: Int = 128, weightDecay: Double = 5e-4, momentum: Double = 0.9, seed: UInt64 = 0,
    dropPath: Double = 0, maxSteps: Int? = nil, weightDecayScope: WeightDecayScope = .all
  ) {
    self.weightDecayScope = weightDecayScope
    self.typeName = typeName
    self.architecture = architecture
    self.epochs = epochs
    self.learningRate = learningRate
    self.batchSize = batchSize
    self.weightDecay = weightDecay
    self.momentum = momentum
    self.seed = seed
    self.dropPath = dropPath
    self.maxSteps = maxSteps
  }

  /// The checkpoint's `arch` string.
  public var archDescription: String {
    "ujm-fc-resnet type=\(typeName) blocks=\(architecture.blocks) width=\(architecture.width) "
      + "skips=\(architecture.skips)"
  }
}

/// The metrics of one epoch, one line of `metrics.jsonl`.
public struct EpochMetrics: Sendable, Equatable, Codable {
  /// 1-based epoch number.
  public var epoch: Int
  /// Steps taken in all so far.
  public var steps: Int
  /// Steps taken in this epoch (fewer than an epoch's when `--max-steps` ended it).
  public var epochSteps: Int
  /// The learning rate of the epoch.
  public var lr: Double
  /// Mean training loss over the epoch's steps (training mode, as the steps saw it).
  public var trainLoss: Double
  /// Fraction of the epoch's training examples classified correctly during the steps.
  public var trainAccuracy: Double
  /// Test loss in evaluation mode after the epoch.
  public var testLoss: Double
  /// Test accuracy in evaluation mode after the epoch.
  public var testAccuracy: Double
  /// Wall-clock seconds of the epoch's training steps.
  public var seconds: Double
  /// Examples per second of the training steps (forward, backward, update).
  public var samplesPerSecond: Double

  enum CodingKeys: String, CodingKey {
    case epoch, steps, lr, seconds
    case epochSteps = "epoch_steps"
    case trainLoss = "train_loss"
    case trainAccuracy = "train_accuracy"
    case testLoss = "test_loss"
    case testAccuracy = "test_accuracy"
    case samplesPerSecond = "samples_per_second"
  }
}

/// Progress within an epoch, reported after every step.
public struct StepProgress: Sendable {
  public var epoch: Int
  public var epochs: Int
  public var stepInEpoch: Int
  public var stepsPerEpoch: Int
  /// Mean loss of the epoch's steps so far.
  public var loss: Double
  /// Training accuracy of the epoch's steps so far.
  public var accuracy: Double
  public var samplesPerSecond: Double
}
