// Goals, in order of priority: one value for "the network a checkpoint or a training run
// holds", whichever kind it is, so that training, checkpoints and evaluation have one path with
// the kind-specific work (workspace, tensors, evaluation network) behind `ResidualNetworkKind`
// (the switch in `kind` is the one place that names the kinds); in-place mutation without
// copying the weights.

import LinearAlgebra

/// A trained (Float32) residual network of either kind: the paper's fully-connected Types 1 and 4
/// or its convolutional Types 2, 3 and 5.
public enum AnyResidualNetwork: Sendable, Equatable {
  case fullyConnected(ResidualNetwork<Float>)
  case convolutional(ConvolutionalNetwork<Float>)

  /// The network, whichever kind: the one switch on the case that the properties below share.
  var kind: any ResidualNetworkKind {
    switch self {
    case .fullyConnected(let m): m
    case .convolutional(let m): m
    }
  }

  /// L.
  public var depth: Int { kind.depth }

  /// C.
  public var classCount: Int { kind.classCount }

  /// n₀, the features of one example.
  public var inputSize: Int { kind.inputSize }

  /// The fewest values one example gives a BatchNorm layer per channel: 1 for a fully-connected
  /// network (`BatchNorm1d` over features), side² of the smallest feature map (the last
  /// representation's) for a convolutional one (`BatchNorm2d` over N·H·W values). A training
  /// batch of B examples gives every BatchNorm at least B times this many.
  public var batchNormValuesPerExample: Int { kind.batchNormValuesPerExample }

  /// Whether the blocks have skip connections.
  public var skips: Bool { kind.skips }

  /// p, the stochastic-depth probability.
  public var dropPath: Double {
    get { kind.dropPath }
    set {
      // Only a scalar changes: the weights' arrays are shared, not copied.
      var m = kind
      m.dropPath = newValue
      self = m.erased
    }
  }

  /// A short description of the shape, e.g. "16 blocks, width 512" or
  /// "16 blocks, 64 channels at 16×16".
  public var shapeDescription: String { kind.shapeDescription }

  /// The fully-connected network, or nil.
  public var fullyConnected: ResidualNetwork<Float>? { .payload(of: self) }

  /// The convolutional network, or nil.
  public var convolutional: ConvolutionalNetwork<Float>? { .payload(of: self) }

  /// The evaluation-mode network in Float64 that the measurements take.
  public var measurable: any MeasurableResidualNetwork { kind.measurable }

  /// A network of the same shape with every parameter zero.
  public var zeroed: AnyResidualNetwork { kind.zeroed.erased }

  /// The network of kind `Network` (a programmer error on another kind).
  func payload<Network: ResidualNetworkKind>(as _: Network.Type) -> Network {
    guard let m = Network.payload(of: self) else { preconditionFailure("not \(Network.self)") }
    return m
  }

  /// Mutates the payload of kind `Network` in place (a programmer error on another kind).
  mutating func withNetwork<Network: ResidualNetworkKind, R>(
    as _: Network.Type, _ body: (inout Network) -> R
  ) -> R {
    // `consume` ends self's hold on the payload, so its arrays stay uniquely referenced (no
    // copy of the weights when `body` mutates them).
    guard var m = Network.payload(of: consume self) else {
      preconditionFailure("not \(Network.self)")
    }
    defer { self = m.erased }
    return body(&m)
  }

  /// Mutates the fully-connected payload in place (a programmer error on a convolutional one).
  public mutating func withFullyConnected<R>(_ body: (inout ResidualNetwork<Float>) -> R) -> R {
    withNetwork(as: ResidualNetwork<Float>.self, body)
  }

  /// Mutates the convolutional payload in place (a programmer error on a fully-connected one).
  public mutating func withConvolutional<R>(_ body: (inout ConvolutionalNetwork<Float>) -> R) -> R {
    withNetwork(as: ConvolutionalNetwork<Float>.self, body)
  }

  /// Calls `body` on every trainable parameter of `self` with the same parameter of `a` and
  /// of `b` (networks of the same kind and shape), in the `state_dict` order of the kind.
  mutating func forEachParameter(
    _ a: AnyResidualNetwork, _ b: inout AnyResidualNetwork,
    _ body: (inout [Float], [Float], inout [Float]) -> Void
  ) {
    forEachParameter(a, &b) { p, g, v, _ in body(&p, g, &v) }
  }

  /// The same, with each parameter's kind (for the scope of weight decay).
  mutating func forEachParameter(
    _ a: AnyResidualNetwork, _ b: inout AnyResidualNetwork,
    _ body: (inout [Float], [Float], inout [Float], ParameterKind) -> Void
  ) {
    func visit<Network: ResidualNetworkKind>(_ x: Network) {
      withNetwork(as: Network.self) { m in
        b.withNetwork(as: Network.self) { y in m.forEachParameter(x, &y, body) }
      }
    }
    visit(a.kind)
  }
}
