import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

/// One SGD step with zero gradients and empty momentum: p ← p − η·λ·p for a decayed parameter
/// (a factor 1 − ηλ = 0.95 here) and p unchanged otherwise. Each scope's set of shrinking tensors
/// is checked against a list written by hand from the scope's definition (`ujm train
/// --weight-decay-scope`), tensor by tensor, for both kinds of network.
@Suite("Weight-decay scope: which tensors one SGD step shrinks")
struct WeightDecayScopeTests {
  static func optimizer(_ scope: WeightDecayScope) -> StochasticGradientDescent {
    StochasticGradientDescent(momentum: 0.9, weightDecay: 0.1, weightDecayScope: scope)
  }
  static let learningRate = 0.5
  static let factor: Float = 0.95

  /// Every BatchNorm γ and β moved off 1 and 0, so that a decayed one would visibly shrink.
  static func perturbed(_ n: inout BatchNorm<Float>, _ rng: inout SeededGenerator) {
    for k in n.weight.indices {
      n.weight[k] = 1 + Float(uniform(0.5, &rng))
      n.bias[k] = Float(uniform(0.5, &rng)) + 0.6
    }
  }

  /// "shrunk", "kept" or "other" for each tensor (by its state_dict name).
  static func verdicts(_ before: [String: [Float]], _ after: [String: [Float]]) -> [String: String]
  {
    var out = [String: String]()
    for (name, p) in before {
      let q = after[name]!
      if p == q {
        out[name] = "kept"
      } else if zip(p, q).allSatisfy({ abs($0 * factor - $1) <= 1e-6 * max(1, abs($0)) }) {
        out[name] = "shrunk"
      } else {
        out[name] = "other"
      }
    }
    return out
  }

  static func fullyConnectedTensors(_ m: ResidualNetwork<Float>) -> [String: [Float]] {
    var t: [String: [Float]] = [
      "fc0.weight": m.fc0.storage, "bn0.weight": m.bn0.weight, "bn0.bias": m.bn0.bias,
      "bnf.weight": m.bnf.weight, "bnf.bias": m.bnf.bias, "cls.weight": m.cls.storage,
      "cls.bias": m.clsBias,
    ]
    for (i, b) in m.blocks.enumerated() {
      t["blocks.\(i).bn1.weight"] = b.bn1.weight
      t["blocks.\(i).bn1.bias"] = b.bn1.bias
      t["blocks.\(i).fc1.weight"] = b.fc1.storage
      t["blocks.\(i).bn2.weight"] = b.bn2.weight
      t["blocks.\(i).bn2.bias"] = b.bn2.bias
      t["blocks.\(i).fc2.weight"] = b.fc2.storage
    }
    return t
  }

  static func convolutionalTensors(_ m: ConvolutionalNetwork<Float>) -> [String: [Float]] {
    var t: [String: [Float]] = [
      "conv0.weight": m.conv0.weight.storage, "bn0.weight": m.bn0.weight, "bn0.bias": m.bn0.bias,
      "bnf.weight": m.bnf.weight, "bnf.bias": m.bnf.bias, "cls.weight": m.cls.storage,
      "cls.bias": m.clsBias,
    ]
    for (i, b) in m.blocks.enumerated() {
      t["blocks.\(i).bn1.weight"] = b.bn1.weight
      t["blocks.\(i).bn1.bias"] = b.bn1.bias
      t["blocks.\(i).conv1.weight"] = b.conv1.weight.storage
      t["blocks.\(i).bn2.weight"] = b.bn2.weight
      t["blocks.\(i).bn2.bias"] = b.bn2.bias
      t["blocks.\(i).conv2.weight"] = b.conv2.weight.storage
      if let s = b.shortcut { t["blocks.\(i).shortcut.weight"] = s.weight.storage }
    }
    return t
  }

  /// The hand computation: which tensors a scope decays, from their names alone.
  static func expected(_ name: String, _ scope: WeightDecayScope) -> String {
    let isNorm = name.hasPrefix("bn") || name.contains(".bn")
    let isBias = name == "cls.bias"
    switch scope {
    case .all: return "shrunk"
    case .noNorm: return isNorm ? "kept" : "shrunk"
    case .weights: return isNorm || isBias ? "kept" : "shrunk"
    }
  }

  @Test(arguments: WeightDecayScope.allCases)
  func fullyConnectedStepShrinksExactlyTheScopesTensors(scope: WeightDecayScope) {
    var rng = testGenerator(7)
    var model = ResidualNetwork<Float>(
      architecture: Architecture(blocks: 2, width: 4, skips: true), inputSize: 5, classCount: 3,
      using: &rng)
    Self.perturbed(&model.bn0, &rng)
    Self.perturbed(&model.bnf, &rng)
    for i in model.blocks.indices {
      Self.perturbed(&model.blocks[i].bn1, &rng)
      Self.perturbed(&model.blocks[i].bn2, &rng)
    }
    let before = Self.fullyConnectedTensors(model)
    var momentum = model.zeroed
    Self.optimizer(scope).update(
      &model, gradients: model.zeroed, momentumBuffers: &momentum,
      learningRate: Self.learningRate)
    let got = Self.verdicts(before, Self.fullyConnectedTensors(model))
    let decayed = got.filter { $0.value == "shrunk" }.keys.sorted()
    print("--weight-decay-scope \(scope.rawValue), fully-connected: decayed \(decayed)")
    for (name, verdict) in got {
      #expect(verdict == Self.expected(name, scope), "\(scope.rawValue): \(name)")
    }
  }

  @Test(arguments: WeightDecayScope.allCases)
  func convolutionalStepShrinksExactlyTheScopesTensors(scope: WeightDecayScope) {
    var rng = testGenerator(8)
    let stages = [
      ConvolutionalArchitecture.Stage(blocks: 1, channels: 2),
      ConvolutionalArchitecture.Stage(blocks: 1, channels: 3),
    ]
    var model = ConvolutionalNetwork<Float>(
      architecture: ConvolutionalArchitecture(stages: stages, skips: true),
      image: ConvolutionalInput(channels: 1, side: 6, padding: 1), classCount: 3, using: &rng)
    Self.perturbed(&model.bn0, &rng)
    Self.perturbed(&model.bnf, &rng)
    for i in model.blocks.indices {
      Self.perturbed(&model.blocks[i].bn1, &rng)
      Self.perturbed(&model.blocks[i].bn2, &rng)
    }
    let before = Self.convolutionalTensors(model)
    #expect(before.keys.contains("blocks.1.shortcut.weight"))
    var network = AnyResidualNetwork.convolutional(model)
    var momentum = network.zeroed
    Self.optimizer(scope).update(
      &network, gradients: network.zeroed, momentumBuffers: &momentum,
      learningRate: Self.learningRate)
    guard case .convolutional(let stepped) = network else { return }
    let got = Self.verdicts(before, Self.convolutionalTensors(stepped))
    let decayed = got.filter { $0.value == "shrunk" }.keys.sorted()
    print("--weight-decay-scope \(scope.rawValue), convolutional: decayed \(decayed)")
    for (name, verdict) in got {
      #expect(verdict == Self.expected(name, scope), "\(scope.rawValue): \(name)")
    }
  }

  @Test func scopesAreTheThreeDocumentedNamesAndRoundTripThroughCheckpointMetadata() throws {
    #expect(WeightDecayScope.allCases.map(\.rawValue) == ["all", "weights", "no-norm"])
    for scope in WeightDecayScope.allCases {
      let m = CheckpointMetadata(weightDecay: 0.01, weightDecayScope: scope.rawValue)
      let read = try CheckpointMetadata(strings: m.strings, path: "m")
      #expect(read.weightDecayScope == scope.rawValue)
    }
    // A scope this ujm does not know is bad metadata, not silently "all".
    #expect(throws: CheckpointError.self) {
      try CheckpointMetadata(strings: ["wd_scope": "nonorm"], path: "m")
    }
  }
}
