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
    switch self {
    case .fullyConnected(let m): NetworkWorkspace(model: m, capacity: capacity)
    case .convolutional(let m):
      ConvolutionalWorkspace(model: m, capacity: capacity, keepsActivations: forTraining)
    }
  }

  /// Whether stochastic depth may drop block i: a block with an identity skip.
  func droppable(_ i: Int) -> Bool {
    switch self {
    case .fullyConnected(let m): m.skips
    case .convolutional(let m): m.droppable(i)
    }
  }
}

extension NetworkWorkspace: TrainingWorkspace where Scalar == Float {
  func forward(_ network: AnyResidualNetwork, training: Bool, drop: [Bool]?) {
    forward(network.fullyConnected!, training: training, drop: drop)
  }
  func backward(_ network: AnyResidualNetwork) { backward(network.fullyConnected!) }
  func updateRunningStatistics(_ network: inout AnyResidualNetwork) {
    network.withFullyConnected { updateRunningStatistics(&$0) }
  }
  var anyGradients: AnyResidualNetwork { .fullyConnected(gradients) }
}

extension ConvolutionalWorkspace: TrainingWorkspace where Scalar == Float {
  func loadInput(_ features: UnsafePointer<Float>, count: Int) {
    loadInput(features as UnsafePointer<Float>, count: count, as: Float.self)
  }
  func forward(_ network: AnyResidualNetwork, training: Bool, drop: [Bool]?) {
    forward(network.convolutional!, training: training, drop: drop)
  }
  func backward(_ network: AnyResidualNetwork) { backward(network.convolutional!) }
  func updateRunningStatistics(_ network: inout AnyResidualNetwork) {
    network.withConvolutional { updateRunningStatistics(&$0) }
  }
  var anyGradients: AnyResidualNetwork { .convolutional(gradients) }
}
