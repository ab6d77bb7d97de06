// Goals, in order of priority: the paper's training recipe exactly (SGD with momentum 0.9 and
// weight decay, cosine annealing per epoch, batch 128 reshuffled each epoch from the seed,
// last partial batch kept); bit-for-bit resumption from the saved state; speed (the step is
// sgemm-bound: preallocated buffers, no allocation per step).

import Foundation
import LinearAlgebra

/// Loss and accuracy of a network on a set of examples, in evaluation mode.
public struct Evaluation: Sendable, Equatable, Codable {
  /// Mean cross-entropy.
  public var loss: Double
  /// Fraction classified correctly, in [0, 1].
  public var accuracy: Double
  /// Examples evaluated.
  public var count: Int

  public init(loss: Double, accuracy: Double, count: Int) {
    self.loss = loss
    self.accuracy = accuracy
    self.count = count
  }
}

/// Evaluates `model` on `examples` in evaluation mode (running BatchNorm statistics), in chunks
/// of `batchSize` examples.
public func evaluate(
  _ model: ResidualNetwork<Float>, on examples: LabeledExamples, batchSize: Int = 500
) -> Evaluation {
  evaluate(.fullyConnected(model), on: examples, batchSize: batchSize)
}

/// Evaluates a network of either kind on `examples` in evaluation mode, in chunks of
/// `batchSize` examples (the batched forward pass of `ujm evaluate`).
public func evaluate(
  _ network: AnyResidualNetwork, on examples: LabeledExamples, batchSize: Int = 500
) -> Evaluation {
  evaluate(
    network, on: examples,
    workspace: network.makeWorkspace(capacity: Swift.max(1, batchSize), forTraining: false))
}

func evaluate(
  _ model: AnyResidualNetwork, on examples: LabeledExamples, workspace: any TrainingWorkspace
) -> Evaluation {
  precondition(examples.featureCount == model.inputSize, "examples do not fit the model's input")
  var lossSum = 0.0
  var correct = 0
  let n = examples.count
  examples.features.withUnsafeBufferPointer { features in
    examples.labels.withUnsafeBufferPointer { labels in
      var start = 0
      while start < n {
        let count = Swift.min(workspace.capacity, n - start)
        workspace.loadInput(features.baseAddress! + start * examples.featureCount, count: count)
        workspace.forward(model, training: false, drop: nil)
        let (loss, right) = workspace.loss(labels: labels.baseAddress! + start, withGradient: false)
        lossSum += loss * Double(count)
        correct += right
        start += count
      }
    }
  }
  return Evaluation(
    loss: n > 0 ? lossSum / Double(n) : .nan, accuracy: n > 0 ? Double(correct) / Double(n) : .nan,
    count: n)
}

/// Trains a `ResidualNetwork<Float>` on an image-classification data set, one epoch at a time.
public final class Trainer {
  /// What ended an epoch.
  public enum EpochOutcome: Sendable {
    /// The epoch (or the steps up to `maxSteps`) finished; its metrics.
    case completed(EpochMetrics)
    /// A step's loss was not finite; the model is left as it was before that step's update.
    case diverged(epoch: Int, step: Int, loss: Double)
  }

  public let configuration: TrainingConfiguration
  public let data: ImageClassificationData
  /// The network being trained.
  public private(set) var network: AnyResidualNetwork
  /// The network being trained, when it is fully-connected (a programmer error otherwise).
  public var model: ResidualNetwork<Float> {
    guard let m = network.fullyConnected else { preconditionFailure("a convolutional network") }
    return m
  }
  /// Momentum buffers, counters and generator states.
  public private(set) var state: TrainingState
  let workspace: any TrainingWorkspace
  let optimizer: StochasticGradientDescent
  private var labels: [Int32]

  /// A fresh run: the network initialised from `configuration.seed`, then the shuffling
  /// generator continues the same stream.
  public convenience init(configuration: TrainingConfiguration, data: ImageClassificationData) {
    var generator = SeededGenerator(seed: configuration.seed)
    let model: AnyResidualNetwork
    if let convolutional = configuration.convolutional {
      guard let image = ConvolutionalInput(image: data.imageShape) else {
        preconditionFailure("no image shape for \(data.train.featureCount) features")
      }
      model = .convolutional(
        ConvolutionalNetwork<Float>(
          architecture: convolutional, image: image, classCount: data.classes.count,
          dropPath: configuration.dropPath, using: &generator))
    } else {
      model = .fullyConnected(
        ResidualNetwork<Float>(
          architecture: configuration.architecture, inputSize: data.train.featureCount,
          classCount: data.classes.count, dropPath: configuration.dropPath, using: &generator))
    }
    let state = TrainingState(
      momentum: model.zeroed, epoch: 0, step: 0, stepInEpoch: 0, shuffleState: generator,
      dropState: SeededGenerator(seed: configuration.seed ^ 0xD1B5_4A32_D192_ED03))
    self.init(configuration: configuration, data: data, network: model, state: state)
  }

  /// A run that continues from a saved model and state.
  public convenience init(
    configuration: TrainingConfiguration, data: ImageClassificationData,
    model: ResidualNetwork<Float>, state: TrainingState
  ) {
    self.init(
      configuration: configuration, data: data, network: .fullyConnected(model), state: state)
  }

  /// A run that continues from a saved network (either kind) and state.
  public init(
    configuration: TrainingConfiguration, data: ImageClassificationData,
    network: AnyResidualNetwork, state: TrainingState
  ) {
    var network = network
    var state = state
    network.dropPath = configuration.dropPath
    // A convolutional network reads images of the data's geometry (the tensors do not say).
    if case .convolutional = network,
      let image = ConvolutionalInput(image: data.imageShape)
    {
      network.withConvolutional { $0.image = image }
      state.momentum.withConvolutional { $0.image = image }
    }
    self.configuration = configuration
    self.data = data
    self.network = network
    self.state = state
    workspace = network.makeWorkspace(capacity: configuration.batchSize)
    optimizer = StochasticGradientDescent(
      momentum: configuration.momentum, weightDecay: configuration.weightDecay,
      weightDecayScope: configuration.weightDecayScope)
    labels = Array(repeating: 0, count: configuration.batchSize)
  }

  /// Per-pass times and FLOPs of the training steps since it was set (nil: not profiled).
  /// Setting it starts profiling; the totals accumulate until `reset()`.
  public var passProfile: PassProfile? {
    get { workspace.profile }
    set { workspace.profile = newValue }
  }

  /// The number of parts the passes between the matrix products (BatchNorm, ReLU,
  /// im2col/col2im, pooling, copies) split into on the shared worker pool: the BLAS thread count
  /// by default, 1 for OpenBLAS's threads only. Results do not depend on it.
  public var passThreads: Int {
    get { workspace.parallelism.parts }
    set { workspace.parallelism = Parallelism(parts: Swift.max(1, newValue)) }
  }

  /// Whether only OpenBLAS's threads split the work (the passes between the products on one
  /// core, each convolution's products over large chunks of images): the code before issue 21,
  /// for comparison. Off by default.
  public var openBLASThreadsOnly: Bool {
    get { !workspace.parallelism.pooledConvolutions }
    set {
      workspace.parallelism =
        newValue ? Parallelism(parts: 1, pooledConvolutions: false) : .matchingBLAS
    }
  }

  /// Checks that a saved `model` and `state` can continue on `data` with `configuration`: the
  /// images must have the size `fc0.weight` takes, and the saved `step_in_epoch` must lie within
  /// an epoch of this data and batch size. `path` names the run in the error.
  public static func checkResumable(
    model: ResidualNetwork<Float>, state: TrainingState, data: ImageClassificationData,
    configuration: TrainingConfiguration, path: String
  ) throws(CheckpointError) {
    try checkResumable(
      network: .fullyConnected(model), state: state, data: data, configuration: configuration,
      path: path)
  }

  /// The same for a network of either kind: a convolutional one must read the images'
  /// channels (any square size).
  public static func checkResumable(
    network: AnyResidualNetwork, state: TrainingState, data: ImageClassificationData,
    configuration: TrainingConfiguration, path: String
  ) throws(CheckpointError) {
    if case .convolutional(let m) = network {
      guard let image = ConvolutionalInput(image: data.imageShape),
        image.channels == m.image.channels
      else {
        throw .wrongShape(
          path: path, name: "conv0.weight",
          expected: [m.conv0.outChannels, data.imageShape.channels, 3, 3],
          found: m.conv0.pytorchShape)
      }
      guard m.classCount == data.classes.count else {
        throw .wrongShape(
          path: path, name: "cls.weight", expected: [data.classes.count, m.cls.columns],
          found: [m.classCount, m.cls.columns])
      }
    }
    guard case .fullyConnected(let model) = network else {
      let n = data.train.count
      let steps = n / configuration.batchSize + (n % configuration.batchSize == 0 ? 0 : 1)
      try state.checkResumable(stepsPerEpoch: steps, path: path)
      return
    }
    guard model.inputSize == data.train.featureCount else {
      throw .wrongShape(
        path: path, name: "fc0.weight", expected: [model.width, data.train.featureCount],
        found: [model.width, model.inputSize])
    }
    guard model.classCount == data.classes.count else {
      throw .wrongShape(
        path: path, name: "cls.weight", expected: [data.classes.count, model.width],
        found: [model.classCount, model.width])
    }
    let n = data.train.count
    let steps = n / configuration.batchSize + (n % configuration.batchSize == 0 ? 0 : 1)
    try state.checkResumable(stepsPerEpoch: steps, path: path)
  }

  /// Steps per epoch, ⌈N/B⌉.
  public var stepsPerEpoch: Int {
    (data.train.count + configuration.batchSize - 1) / configuration.batchSize
  }

  /// Whether every epoch has run, or `maxSteps` steps.
  public var isFinished: Bool {
    if state.epoch >= configuration.epochs { return true }
    if let maxSteps = configuration.maxSteps, state.step >= maxSteps { return true }
    return false
  }

  /// Trains until the end of the current epoch (or `maxSteps`), then evaluates on the test set.
  public func trainEpoch(progress: (StepProgress) -> Void = { _ in }) -> EpochOutcome {
    let n = data.train.count
    let batch = configuration.batchSize
    let steps = stepsPerEpoch
    var shuffle = state.shuffleState
    let order = randomPermutation(n, using: &shuffle)
    let learningRate = cosineLearningRate(
      base: configuration.learningRate, epoch: state.epoch, epochs: configuration.epochs)
    let depth = network.depth
    let dropping = configuration.dropPath > 0 && network.skips
    var drop = [Bool](repeating: false, count: depth)
    var dropGenerator = state.dropState
    var lossSum = 0.0
    var correct = 0
    var seen = 0
    var stepsTaken = 0
    var trainingTime = Duration.zero
    let clock = ContinuousClock()
    let firstStep = state.stepInEpoch
    for s in firstStep..<steps {
      if let maxSteps = configuration.maxSteps, state.step >= maxSteps { break }
      let indices = order[(s * batch)..<Swift.min((s + 1) * batch, n)]
      data.train.features.withUnsafeBufferPointer { f in
        workspace.gatherInput(f.baseAddress!, indices: indices)
      }
      for (b, index) in indices.enumerated() { labels[b] = data.train.labels[index] }
      if dropping {
        for i in 0..<depth {
          drop[i] =
            uniform(0.5, &dropGenerator) + 0.5 < configuration.dropPath
            && network.droppable(i)
        }
      }
      let start = clock.now
      workspace.forward(network, training: true, drop: dropping ? drop : nil)
      let (loss, right) = labels.withUnsafeBufferPointer {
        workspace.loss(labels: $0.baseAddress!, withGradient: true)
      }
      guard loss.isFinite else {
        return .diverged(epoch: state.epoch + 1, step: state.step + 1, loss: loss)
      }
      workspace.backward(network)
      let profile = workspace.profile
      profile.time(.runningStatistics) { workspace.updateRunningStatistics(&network) }
      profile.time(.update) {
        optimizer.update(
          &network, gradients: workspace.anyGradients, momentumBuffers: &state.momentum,
          learningRate: learningRate, parallelism: workspace.parallelism)
      }
      trainingTime += clock.now - start
      state.step += 1
      state.stepInEpoch = s + 1
      state.dropState = dropGenerator
      stepsTaken += 1
      lossSum += loss * Double(indices.count)
      correct += right
      seen += indices.count
      progress(
        StepProgress(
          epoch: state.epoch + 1, epochs: configuration.epochs, stepInEpoch: s + 1,
          stepsPerEpoch: steps, loss: lossSum / Double(seen),
          accuracy: Double(correct) / Double(seen),
          samplesPerSecond: Double(seen) / trainingTime.seconds))
    }
    let epochNumber = state.epoch + 1
    if state.stepInEpoch == steps {
      state.epoch += 1
      state.stepInEpoch = 0
      state.shuffleState = shuffle
    }
    let test = evaluate(network, on: data.test, workspace: workspace)
    guard test.loss.isFinite else {
      return .diverged(epoch: epochNumber, step: state.step, loss: test.loss)
    }
    let seconds = trainingTime.seconds
    return .completed(
      EpochMetrics(
        epoch: epochNumber, steps: state.step, epochSteps: stepsTaken, lr: learningRate,
        trainLoss: seen > 0 ? lossSum / Double(seen) : .nan,
        trainAccuracy: seen > 0 ? Double(correct) / Double(seen) : .nan, testLoss: test.loss,
        testAccuracy: test.accuracy, seconds: seconds,
        samplesPerSecond: seconds > 0 ? Double(seen) / seconds : 0))
  }

  /// Evaluation-mode loss and accuracy on the test split.
  public func evaluateTest() -> Evaluation {
    evaluate(network, on: data.test, workspace: workspace)
  }

  /// The checkpoint of the current model with its metadata.
  public var checkpoint: Checkpoint {
    Checkpoint(
      network: network,
      metadata: CheckpointMetadata(
        arch: configuration.archDescription, classes: data.classes, epochs: state.epoch,
        seed: configuration.seed, weightDecay: configuration.weightDecay,
        weightDecayScope: configuration.weightDecayScope.rawValue, skips: network.skips,
        dropPath: configuration.dropPath, steps: state.step,
        standardisation: data.standardisation, labels: data.labels == .coarse ? .coarse : nil))
  }

  /// Writes `optimizer.safetensors`, then `checkpoint.safetensors`, each atomically, into
  /// `directory` (no snapshot manifest: `ujm train` commits through `RunDirectory`, which keeps
  /// the pair and the metrics consistent). Returns the checkpoint's path.
  @discardableResult
  public func save(to directory: String) throws(SafeTensorsError) -> String {
    let checkpointPath = (directory as NSString).appendingPathComponent("checkpoint.safetensors")
    let optimizerPath = (directory as NSString).appendingPathComponent("optimizer.safetensors")
    try state.write(to: optimizerPath)
    try checkpoint.write(to: checkpointPath)
    return checkpointPath
  }
}

extension Duration {
  /// The duration in seconds.
  var seconds: Double {
    let c = components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
  }
}
