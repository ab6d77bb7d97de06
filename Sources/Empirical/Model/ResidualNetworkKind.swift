// Goals, in order of priority: one seam for the kinds of trained network `AnyResidualNetwork`
// holds, so that its properties, the training workspaces and the parameter visitor are written
// once for every kind (the enum's switch on the case is the one place that names the kinds); a
// new kind is a conformance plus a case.

import LinearAlgebra

/// One kind of trained (Float32) pre-activation residual network (Section 2 of the paper): the
/// fully-connected `ResidualNetwork` (Types 1 and 4) or the convolutional `ConvolutionalNetwork`
/// (Types 2, 3 and 5), as training, checkpoints and evaluation take it.
protocol ResidualNetworkKind: PreActivationParameters, Sendable where Scalar == Float {
  /// L.
  var depth: Int { get }
  /// C.
  var classCount: Int { get }
  /// n₀, the features of one example.
  var inputSize: Int { get }
  /// Whether the blocks have skip connections.
  var skips: Bool { get }
  /// p, the stochastic-depth probability.
  var dropPath: Double { get set }
  /// The same shape with every trainable parameter zero.
  var zeroed: Self { get }
  /// The fewest values one example gives a BatchNorm layer per channel
  /// (`AnyResidualNetwork.batchNormValuesPerExample`).
  var batchNormValuesPerExample: Int { get }
  /// A short description of the shape (`AnyResidualNetwork.shapeDescription`).
  var shapeDescription: String { get }
  /// The evaluation-mode network in Float64 that the measurements take.
  var measurable: any MeasurableResidualNetwork { get }
  /// Whether stochastic depth may drop block i: a block with an identity skip.
  func droppable(_ i: Int) -> Bool
  /// A training workspace for this shape; `forTraining: false` may keep fewer activations.
  func makeWorkspace(capacity: Int, forTraining: Bool) -> any TrainingWorkspace
  /// This network as its case of `AnyResidualNetwork`.
  var erased: AnyResidualNetwork { get }
  /// The network `network` holds if it is of this kind, else nil.
  static func payload(of network: consuming AnyResidualNetwork) -> Self?
}

extension ResidualNetwork: ResidualNetworkKind where Scalar == Float {
  var batchNormValuesPerExample: Int { 1 }
  var shapeDescription: String { "\(depth) blocks, width \(width)" }
  var measurable: any MeasurableResidualNetwork { EvaluationNetwork(self) }
  func droppable(_ i: Int) -> Bool { skips }
  func makeWorkspace(capacity: Int, forTraining: Bool) -> any TrainingWorkspace {
    NetworkWorkspace(model: self, capacity: capacity)
  }
  var erased: AnyResidualNetwork { .fullyConnected(self) }
  static func payload(of network: consuming AnyResidualNetwork) -> Self? {
    guard case .fullyConnected(let m) = consume network else { return nil }
    return m
  }
}

extension ConvolutionalNetwork: ResidualNetworkKind where Scalar == Float {
  /// side² of the smallest feature map (the last representation's): `BatchNorm2d` normalises
  /// over N·H·W values.
  var batchNormValuesPerExample: Int {
    representationShapes.map { $0.side * $0.side }.min() ?? 1
  }
  var shapeDescription: String {
    let stages = representationShapes.dropFirst().map {
      "\($0.channels) channels at \($0.side)×\($0.side)"
    }
    var runs = [(String, Int)]()
    for s in stages {
      if let last = runs.last, last.0 == s {
        runs[runs.count - 1].1 += 1
      } else {
        runs.append((s, 1))
      }
    }
    return runs.map { "\($0.1) blocks, \($0.0)" }.joined(separator: " then ")
  }
  var measurable: any MeasurableResidualNetwork { ConvolutionalEvaluationNetwork(self) }
  func makeWorkspace(capacity: Int, forTraining: Bool) -> any TrainingWorkspace {
    ConvolutionalWorkspace(model: self, capacity: capacity, keepsActivations: forTraining)
  }
  var erased: AnyResidualNetwork { .convolutional(self) }
  static func payload(of network: consuming AnyResidualNetwork) -> Self? {
    guard case .convolutional(let m) = consume network else { return nil }
    return m
  }
}
