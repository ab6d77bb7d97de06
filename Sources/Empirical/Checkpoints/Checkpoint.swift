// Goals, in order of priority: the exact PyTorch `state_dict` layout of the paper's models (so
// `model.load_state_dict(safetensors.torch.load_file(…))` works both ways); strict validation
// with errors naming the tensor; deterministic bytes.

import Foundation
import LinearAlgebra

/// Why a checkpoint was rejected. Every case names the file.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
  case file(SafeTensorsError)
  case missingTensor(path: String, name: String)
  case unexpectedTensor(path: String, name: String)
  case wrongShape(path: String, name: String, expected: [Int], found: [Int])
  case wrongDType(path: String, name: String, expected: String)
  case badMetadata(path: String, key: String, value: String)
  /// A tensor holds NaN or ±∞ (a diverged run saved, or a corrupt file): evaluating it would
  /// report a meaningless accuracy, so it is refused. `index` is the row-major position.
  case nonFinite(path: String, name: String, index: Int, value: Float)
  /// A finite entry that the tensor cannot hold (a negative running variance).
  case wrongValue(path: String, name: String, index: Int, value: Float, expected: String)
  /// A metadata value is readable but out of its range (a σ of 0, a negative count).
  case metadataOutOfRange(path: String, key: String, value: String, expected: String)

  public var description: String {
    switch self {
    case .file(let error): error.description
    case .missingTensor(let path, let name): "\(path): missing tensor '\(name)'"
    case .unexpectedTensor(let path, let name): "\(path): unexpected tensor '\(name)'"
    case .wrongShape(let path, let name, let expected, let found):
      "\(path): tensor '\(name)' has shape \(found), expected \(expected)"
    case .wrongDType(let path, let name, let expected):
      "\(path): tensor '\(name)' must have dtype \(expected)"
    case .badMetadata(let path, let key, let value):
      "\(path): metadata '\(key)' has an unreadable value '\(value)'"
    case .nonFinite(let path, let name, let index, let value):
      "\(path): tensor '\(name)' holds \(value) at index \(index); the weights are not finite"
    case .wrongValue(let path, let name, let index, let value, let expected):
      "\(path): tensor '\(name)' holds \(value) at index \(index), expected \(expected)"
    case .metadataOutOfRange(let path, let key, let value, let expected):
      "\(path): metadata '\(key)' is \(value), expected \(expected)"
    }
  }
}

/// The string metadata of a checkpoint. Every field may be absent in a file PyTorch wrote.
public struct CheckpointMetadata: Sendable, Equatable {
  /// A free-form description of the architecture; only displayed.
  public var arch: String?
  /// μ_c of the input standardisation, one per channel (`input_mean`, comma-separated when there
  /// are several channels).
  public var inputMeans: [Float]?
  /// σ_c of the input standardisation (`input_std`).
  public var inputStds: [Float]?
  /// μ of a single-channel standardisation (nil when absent or per-channel).
  public var inputMean: Float? {
    get { inputMeans?.count == 1 ? inputMeans?[0] : nil }
    set { inputMeans = newValue.map { [$0] } }
  }
  /// σ of a single-channel standardisation (nil when absent or per-channel).
  public var inputStd: Float? {
    get { inputStds?.count == 1 ? inputStds?[0] : nil }
    set { inputStds = newValue.map { [$0] } }
  }
  /// The input standardisation, when both `input_mean` and `input_std` are present.
  public var standardisation: Standardisation? {
    guard let inputMeans, let inputStds else { return nil }
    return Standardisation(mean: inputMeans, std: inputStds)
  }
  /// The original labels kept (absent: all classes).
  public var classes: [Int]?
  /// Epochs completed.
  public var epochs: Int?
  /// The seed of the run.
  public var seed: UInt64?
  /// λ, the weight decay.
  public var weightDecay: Double?
  /// Which parameters λ applied to: `all` or `weights` (absent: not recorded).
  public var weightDecayScope: String?
  /// Whether the blocks have skips (absent: true).
  public var skips: Bool?
  /// p, the drop-path probability (absent: 0).
  public var dropPath: Double?
  /// Optimisation steps taken.
  public var steps: Int?
  /// `coarse` for a network trained on CIFAR-100's 20 superclasses (absent: the data set's own
  /// labels, CIFAR-100's fine ones).
  public var labels: CIFARFile.Labels?

  public init(
    arch: String? = nil, inputMean: Float? = nil, inputStd: Float? = nil, classes: [Int]? = nil,
    epochs: Int? = nil, seed: UInt64? = nil, weightDecay: Double? = nil,
    weightDecayScope: String? = nil, skips: Bool? = nil, dropPath: Double? = nil, steps: Int? = nil,
    standardisation: Standardisation? = nil, labels: CIFARFile.Labels? = nil
  ) {
    self.labels = labels
    self.weightDecayScope = weightDecayScope
    self.arch = arch
    self.inputMeans = standardisation?.mean ?? inputMean.map { [$0] }
    self.inputStds = standardisation?.std ?? inputStd.map { [$0] }
    self.classes = classes
    self.epochs = epochs
    self.seed = seed
    self.weightDecay = weightDecay
    self.skips = skips
    self.dropPath = dropPath
    self.steps = steps
  }

  var strings: [String: String] {
    var m: [String: String] = [:]
    m["arch"] = arch
    m["input_mean"] = inputMeans.map(Standardisation.text)
    m["input_std"] = inputStds.map(Standardisation.text)
    m["classes"] = classes.map { $0.map(String.init).joined(separator: ",") }
    m["epochs"] = epochs.map(String.init)
    m["seed"] = seed.map(String.init)
    m["wd"] = weightDecay.map { "\($0)" }
    m["wd_scope"] = weightDecayScope
    m["skips"] = skips.map { $0 ? "true" : "false" }
    m["drop_path"] = dropPath.map { "\($0)" }
    m["steps"] = steps.map(String.init)
    m["labels"] = labels?.rawValue
    return m
  }

  init(strings m: [String: String], path: String) throws(CheckpointError) {
    func parse<T>(_ key: String, _ f: (String) -> T?) throws(CheckpointError) -> T? {
      guard let s = m[key] else { return nil }
      guard let v = f(s.trimmingCharacters(in: .whitespaces)) else {
        throw .badMetadata(path: path, key: key, value: s)
      }
      return v
    }
    arch = m["arch"]
    inputMeans = try parse("input_mean", Standardisation.values)
    inputStds = try parse("input_std", Standardisation.values)
    classes = try parse("classes") { s in
      let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      return parts.contains(nil) || parts.isEmpty ? nil : parts.map { $0! }
    }
    epochs = try parse("epochs") { Int($0) }
    seed = try parse("seed") { UInt64($0) }
    weightDecay = try parse("wd") { Double($0) }
    weightDecayScope = try parse("wd_scope") { WeightDecayScope(rawValue: $0)?.rawValue }
    skips = try parse("skips") { s -> Bool? in
      switch s.lowercased() {
      case "true", "1", "yes": true
      case "false", "0", "no": false
      default: nil
      }
    }
    dropPath = try parse("drop_path") { Double($0) }
    steps = try parse("steps") { Int($0) }
    labels = try parse("labels") { CIFARFile.Labels(rawValue: $0) }
    try checkRanges(path: path, strings: m)
  }

  /// Every value read must be usable: σ > 0 (it divides), finite μ, counts ≥ 0, λ ≥ 0,
  /// p ∈ [0, 1), classes distinct and ≥ 0.
  private func checkRanges(path: String, strings m: [String: String]) throws(CheckpointError) {
    func require(_ ok: Bool, _ key: String, _ expected: String) throws(CheckpointError) {
      guard ok else {
        throw .metadataOutOfRange(
          path: path, key: key, value: m[key] ?? "(missing)", expected: expected)
      }
    }
    if let inputMeans {
      try require(inputMeans.allSatisfy(\.isFinite), "input_mean", "finite numbers")
    }
    if let inputStds {
      try require(
        inputStds.allSatisfy { $0.isFinite && $0 > 0 }, "input_std",
        "positive finite numbers (the inputs are divided by them)")
    }
    if let inputMeans, let inputStds {
      try require(
        inputMeans.count == inputStds.count, "input_std",
        "as many values as input_mean (\(inputMeans.count))")
    }
    if let inputStds {
      // Every standardised pixel (p − μ)/σ, p ∈ [0, 1], must be a finite Float32: σ = 1e-45
      // passes "σ > 0" but sends every pixel to ±∞.
      let means = inputMeans ?? Array(repeating: 0, count: inputStds.count)
      let finite = zip(means, inputStds).allSatisfy { mu, sigma in
        (max(abs(mu), abs(1 - mu)) / sigma).isFinite && sigma >= Float.leastNormalMagnitude
      }
      try require(
        finite, "input_std",
        "values that keep every standardised pixel (p − μ)/σ, p in [0, 1], finite in Float32")
    }
    if let classes {
      try require(
        classes.allSatisfy { $0 >= 0 } && Set(classes).count == classes.count, "classes",
        "distinct class numbers ≥ 0")
    }
    if let epochs { try require(epochs >= 0, "epochs", "a count ≥ 0") }
    if let steps { try require(steps >= 0, "steps", "a count ≥ 0") }
    if let weightDecay {
      try require(weightDecay.isFinite && weightDecay >= 0, "wd", "a finite λ ≥ 0")
    }
    if let dropPath {
      try require(dropPath.isFinite && dropPath >= 0 && dropPath < 1, "drop_path", "p in [0, 1)")
    }
  }
}

/// A trained (or initial) network with its metadata, stored as a PyTorch `state_dict` in
/// safetensors: `fc0.weight [D, n₀]`, `bn0.{weight, bias, running_mean, running_var}` [D],
/// `bn0.num_batches_tracked` (I64 scalar), `blocks.{i}.{bn1, fc1, bn2, fc2}`, `bnf.*`,
/// `cls.weight [C, D]`, `cls.bias [C]` — F32, weights row-major `[out, in]`.
///
/// A convolutional network (Types 2, 3, 5) is stored under the names of
/// `Checkpoint+Convolutional.swift`; the kind comes from the tensors (`conv0.weight` of rank 4).
public struct Checkpoint: Sendable, Equatable {
  /// The network, of either kind.
  public var network: AnyResidualNetwork
  public var metadata: CheckpointMetadata

  public init(model: ResidualNetwork<Float>, metadata: CheckpointMetadata) {
    self.init(network: .fullyConnected(model), metadata: metadata)
  }

  public init(network: AnyResidualNetwork, metadata: CheckpointMetadata) {
    self.network = network
    self.metadata = metadata
  }

  /// The fully-connected network (a programmer error for a convolutional checkpoint: check
  /// `network` first).
  public var model: ResidualNetwork<Float> {
    get {
      guard let m = network.fullyConnected else {
        preconditionFailure("a convolutional checkpoint has no fully-connected model")
      }
      return m
    }
    set { network = .fullyConnected(newValue) }
  }

  /// Reads and validates a checkpoint; depth, width and classes come from the tensors.
  public init(contentsOf path: String) throws(CheckpointError) {
    let file: SafeTensorsFile
    do {
      file = try SafeTensorsFile(contentsOf: path)
    } catch {
      throw .file(error)
    }
    try self.init(file: file, path: path)
  }

  /// Parses and validates checkpoint bytes; `path` only names the source in errors.
  public init(decoding bytes: [UInt8], path: String) throws(CheckpointError) {
    let file: SafeTensorsFile
    do { file = try SafeTensorsFile(decoding: bytes, path: path) } catch { throw .file(error) }
    try self.init(file: file, path: path)
  }

  init(file: SafeTensorsFile, path: String) throws(CheckpointError) {
    let metadata = try CheckpointMetadata(strings: file.metadata, path: path)
    // Skips: the `skips` entry, else an `arch` naming Type 5b, else true (PyTorch files).
    let skips = metadata.skips ?? !(metadata.arch?.lowercased().contains("5b") ?? false)
    var network = try Self.network(from: file.tensors, path: path, skips: skips)
    network.dropPath = metadata.dropPath ?? 0
    self.init(network: network, metadata: metadata)
  }

  /// The safetensors file.
  public var file: SafeTensorsFile {
    SafeTensorsFile(
      tensors: Self.tensors(of: network, parametersOnly: false), metadata: metadata.strings)
  }

  /// The `state_dict` tensors of a network of either kind.
  static func tensors(of network: AnyResidualNetwork, parametersOnly: Bool)
    -> [String: StoredTensor]
  {
    switch network {
    case .fullyConnected(let m): tensors(of: m, parametersOnly: parametersOnly)
    case .convolutional(let m): tensors(of: m, parametersOnly: parametersOnly)
    }
  }

  /// A network of the kind the tensors say: convolutional when `conv0.weight` has rank 4,
  /// fully-connected otherwise. With `reference`, the tensors must describe its kind and shape.
  static func network(
    from tensors: [String: StoredTensor], path: String, skips: Bool, parametersOnly: Bool = false,
    like reference: AnyResidualNetwork? = nil
  ) throws(CheckpointError) -> AnyResidualNetwork {
    if let stem = tensors["conv0.weight"], stem.shape.count == 4 {
      if let reference, reference.convolutional == nil {
        throw .unexpectedTensor(path: path, name: "conv0.weight")
      }
      return .convolutional(
        try convolutionalModel(
          from: tensors, path: path, skips: skips, parametersOnly: parametersOnly,
          like: reference?.convolutional))
    }
    if let reference, reference.fullyConnected == nil {
      throw .missingTensor(path: path, name: "conv0.weight")
    }
    return .fullyConnected(
      try model(
        from: tensors, path: path, skips: skips, parametersOnly: parametersOnly,
        like: reference?.fullyConnected))
  }

  /// Writes the checkpoint atomically.
  public func write(to path: String) throws(SafeTensorsError) {
    try file.write(to: path)
  }

  /// A network from `state_dict` tensors, checking every name, shape and dtype.
  static func model(
    from tensors: [String: StoredTensor], path: String, skips: Bool, parametersOnly: Bool = false,
    like reference: ResidualNetwork<Float>? = nil
  ) throws(CheckpointError) -> ResidualNetwork<Float> {
    var reader = StateDictReader(tensors, path: path, parametersOnly: parametersOnly)
    let stem = try reader.tensor("fc0.weight")
    guard stem.shape.count == 2, stem.shape.allSatisfy({ $0 >= 1 }) else {
      throw .wrongShape(path: path, name: "fc0.weight", expected: [512, 784], found: stem.shape)
    }
    let (d, inputSize) = (stem.shape[0], stem.shape[1])
    let head = try reader.tensor("cls.weight")
    guard head.shape.count == 2, head.shape[1] == d, head.shape[0] >= 1 else {
      throw .wrongShape(path: path, name: "cls.weight", expected: [10, d], found: head.shape)
    }
    let c = head.shape[0]
    var depth = 0
    while reader.has("blocks.\(depth).fc1.weight") { depth += 1 }
    try reader.checkNoBlockPast(depth, layer: "fc1.weight")
    if let reference {
      guard reference.depth == depth else {
        throw .missingTensor(path: path, name: "blocks.\(depth).fc1.weight")
      }
    }
    let fc0 = try reader.matrix("fc0.weight", d, inputSize)
    let bn0 = try reader.norm("bn0", d)
    var blocks: [ResidualBlock<Float>] = []
    for i in 0..<depth {
      blocks.append(
        ResidualBlock(
          bn1: try reader.norm("blocks.\(i).bn1", d),
          fc1: try reader.matrix("blocks.\(i).fc1.weight", d, d),
          bn2: try reader.norm("blocks.\(i).bn2", d),
          fc2: try reader.matrix("blocks.\(i).fc2.weight", d, d)))
    }
    let bnf = try reader.norm("bnf", d)
    let cls = try reader.matrix("cls.weight", c, d)
    let clsBias = try reader.floats("cls.bias", [c])
    try reader.finish()
    return ResidualNetwork(
      fc0: fc0, bn0: bn0, blocks: blocks, bnf: bnf, cls: cls, clsBias: clsBias, skips: skips)
  }
}

extension BatchNorm<Float> {
  /// PyTorch's `state_dict` entries of a BatchNorm layer under `prefix`: `weight`, `bias` and,
  /// unless `parametersOnly` (the optimiser's momentum buffers), `running_mean`, `running_var`
  /// and `num_batches_tracked` (I64 scalar). Shared by the fully-connected and conv layouts.
  func stateDictTensors(prefix: String, parametersOnly: Bool) -> [String: StoredTensor] {
    var t = [
      prefix + ".weight": StoredTensor(shape: [weight.count], values: .f32(weight)),
      prefix + ".bias": StoredTensor(shape: [bias.count], values: .f32(bias)),
    ]
    if parametersOnly { return t }
    t[prefix + ".running_mean"] = StoredTensor(
      shape: [runningMean.count], values: .f32(runningMean))
    t[prefix + ".running_var"] = StoredTensor(
      shape: [runningVariance.count], values: .f32(runningVariance))
    t[prefix + ".num_batches_tracked"] = StoredTensor(shape: [], values: .i64([batchesTracked]))
    return t
  }
}
