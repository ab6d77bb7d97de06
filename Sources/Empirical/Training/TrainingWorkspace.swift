// Goals, in order of priority: one training step for both kinds of network — the trainer calls
// these and never asks which kind it trains; the kind's own workspace (`NetworkWorkspace`,
// `ConvolutionalWorkspace`) does the work on its preallocated buffers.

import LinearAlgebra

/// Forward, loss, backward and running statistics of one network shape on batches of up to
/// `capacity` examples (Float32).
protocol TrainingWorkspace: AnyObject {
  var capacity: Int { get }
  /// Copies `count` examples (n₀ features each, contiguous) into the input.
  func loadInput(_ features: UnsafePointer<Float>, count: Int)
  /// Gathers examples `indices` of `features` into the input.
  func gatherInput(_ features: UnsafePointer<Float>, indices: ArraySlice<Int>)
  func forward(_ network: AnyResidualNetwork, training: Bool, drop: [Bool]?)
  func loss(labels: UnsafePointer<Int32>, withGradient: Bool) -> (loss: Double, correct: Int)
  func backward(_ network: AnyResidualNetwork)
  func updateRunningStatistics(_ network: inout AnyResidualNetwork)
  /// The gradients of the last backward pass.
  var anyGradients: AnyResidualNetwork { get }
  /// Per-pass times of the steps that follow, when set.
  var profile: PassProfile? { get set }
  /// How the passes between the matrix products split across cores.
  var parallelism: Parallelism { get set }
}

extension AnyResidualNetwork {
  /// A workspace for this network's kind and shape; `forTraining: false` gives a
  /// convolutional network a workspace that keeps only two representations (evaluation only).
  func makeWorkspace(capacity: Int, forTraining: Bool = true) -> any TrainingWorkspace {
    kind.makeWorkspace(capacity: capacity, forTraining: forTraining)
  }

  /// Whether stochastic depth may drop block i: a block with an identity skip.
  func droppable(_ i: Int) -> Bool { kind.droppable(i) }
}

/// The workspace of one network kind: its typed passes, which `TrainingWorkspace`'s passes on
/// `AnyResidualNetwork` reach through the kind's case (written once for every kind).
protocol KindTrainingWorkspace: TrainingWorkspace, PreActivationWorkspace
where Scalar == Float, Network: ResidualNetworkKind {
  func forward(_ model: Network, training: Bool, drop: [Bool]?)
  func backward(_ model: Network)
}

extension KindTrainingWorkspace {
  func forward(_ network: AnyResidualNetwork, training: Bool, drop: [Bool]?) {
    forward(network.payload(as: Network.self), training: training, drop: drop)
  }
  func backward(_ network: AnyResidualNetwork) { backward(network.payload(as: Network.self)) }
  func updateRunningStatistics(_ network: inout AnyResidualNetwork) {
    network.withNetwork(as: Network.self) { updateRunningStatistics(&$0) }
  }
  var anyGradients: AnyResidualNetwork { gradients.erased }
}

extension NetworkWorkspace: TrainingWorkspace, KindTrainingWorkspace where Scalar == Float {}

extension ConvolutionalWorkspace: TrainingWorkspace, KindTrainingWorkspace where Scalar == Float {
  func loadInput(_ features: UnsafePointer<Float>, count: Int) {
    loadInput(features as UnsafePointer<Float>, count: count, as: Float.self)
  }
}

extension ConvolutionalWorkspace {
  /// The forward pass with no representation visited.
  func forward(_ model: ConvolutionalNetwork<Scalar>, training: Bool, drop: [Bool]? = nil) {
    forward(model, training: training, drop: drop, visit: { _, _, _ in })
  }
}
