// Goals, in order of priority: one value for "the network a checkpoint or a training run
// holds", whichever kind it is, so that training, checkpoints and evaluation have one path with
// the kind-specific work (workspace, tensors, evaluation network) behind a switch here; in-place
// mutation without copying the weights.

import LinearAlgebra

/// A trained (Float32) residual network of either kind: the paper's fully-connected Types 1 and 4
/// or its convolutional Types 2, 3 and 5.
public enum AnyResidualNetwork: Sendable, Equatable {
  case fullyConnected(ResidualNetwork<Float>)
  case convolutional(ConvolutionalNetwork<Float>)

  /// L.
  public var depth: Int {
    switch self {
    case .fullyConnected(let m): m.depth
    case .convolutional(let m): m.depth
    }
  }

  /// C.
  public var classCount: Int {
    switch self {
    case .fullyConnected(let m): m.classCount
    case .convolutional(let m): m.classCount
    }
  }

  /// n₀, the features of one example.
  public var inputSize: Int {
    switch self {
    case .fullyConnected(let m): m.inputSize
    case .convolutional(let m): m.inputSize
    }
  }

  /// The fewest values one example gives a BatchNorm layer per channel: 1 for a fully-connected
  /// network (`BatchNorm1d` over features), side² of the smallest feature map (the last
  /// representation's) for a convolutional one (`BatchNorm2d` over N·H·W values). A training
  /// batch of B examples gives every BatchNorm at least B times this many.
  public var batchNormValuesPerExample: Int {
    switch self {
    case .fullyConnected: 1
    case .convolutional(let m):
      m.representationShapes.map { $0.side * $0.side }.min() ?? 1
    }
  }

  /// Whether the blocks have skip connections.
  public var skips: Bool {
    switch self {
    case .fullyConnected(let m): m.skips
    case .convolutional(let m): m.skips
    }
  }

  /// p, the stochastic-depth probability.
  public var dropPath: Double {
    get {
      switch self {
      case .fullyConnected(let m): m.dropPath
      case .convolutional(let m): m.dropPath
      }
    }
    set {
      // Only a scalar changes: the weights' arrays are shared, not copied.
      switch self {
      case .fullyConnected(var m):
        m.dropPath = newValue
        self = .fullyConnected(m)
      case .convolutional(var m):
        m.dropPath = newValue
        self = .convolutional(m)
      }
    }
  }

  /// A short description of the shape, e.g. "16 blocks, width 512" or
  /// "16 blocks, 64 channels at 16×16".
  public var shapeDescription: String {
    switch self {
    case .fullyConnected(let m): return "\(m.depth) blocks, width \(m.width)"
    case .convolutional(let m):
      let stages = m.representationShapes.dropFirst().map {
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
  }

  /// The fully-connected network, or nil.
  public var fullyConnected: ResidualNetwork<Float>? {
    switch self {
    case .fullyConnected(let m): return m
    case .convolutional: return nil
    }
  }

  /// The convolutional network, or nil.
  public var convolutional: ConvolutionalNetwork<Float>? {
    switch self {
    case .convolutional(let m): return m
    case .fullyConnected: return nil
    }
  }

  /// The evaluation-mode network in Float64 that the measurements take.
  public var measurable: any MeasurableResidualNetwork {
    switch self {
    case .fullyConnected(let m): EvaluationNetwork(m)
    case .convolutional(let m): ConvolutionalEvaluationNetwork(m)
    }
  }

  /// A network of the same shape with every parameter zero.
  public var zeroed: AnyResidualNetwork {
    switch self {
    case .fullyConnected(let m): .fullyConnected(m.zeroed)
    case .convolutional(let m): .convolutional(m.zeroed)
    }
  }

  /// Mutates the fully-connected payload in place (a programmer error on a convolutional one).
  public mutating func withFullyConnected<R>(_ body: (inout ResidualNetwork<Float>) -> R) -> R {
    // `consume` ends self's hold on the payload, so its arrays stay uniquely referenced (no
    // copy of the weights when `body` mutates them).
    guard case .fullyConnected(var m) = consume self else {
      preconditionFailure("not fully-connected")
    }
    defer { self = .fullyConnected(m) }
    return body(&m)
  }

  /// Mutates the convolutional payload in place (a programmer error on a fully-connected one).
  public mutating func withConvolutional<R>(_ body: (inout ConvolutionalNetwork<Float>) -> R) -> R {
    guard case .convolutional(var m) = consume self else {
      preconditionFailure("not convolutional")
    }
    defer { self = .convolutional(m) }
    return body(&m)
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
    switch (a, self) {
    case (.fullyConnected(let x), .fullyConnected):
      withFullyConnected { m in b.withFullyConnected { y in m.forEachParameter(x, &y, body) } }
    case (.convolutional(let x), .convolutional):
      withConvolutional { m in b.withConvolutional { y in m.forEachParameter(x, &y, body) } }
    default: preconditionFailure("networks of different kinds")
    }
  }
}
