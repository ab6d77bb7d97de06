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
    }
  }
}

/// The string metadata of a checkpoint. Every field may be absent in a file PyTorch wrote.
public struct CheckpointMetadata: Sendable, Equatable {
  /// A free-form description of the architecture; only displayed.
  public var arch: String?
  /// μ of the input standardisation.
  public var inputMean: Float?
  /// σ of the input standardisation.
  public var inputStd: Float?
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

  public init(
    arch: String? = nil, inputMean: Float? = nil, inputStd: Float? = nil, classes: [Int]? = nil,
    epochs: Int? = nil, seed: UInt64? = nil, weightDecay: Double? = nil,
    weightDecayScope: String? = nil, skips: Bool? = nil, dropPath: Double? = nil, steps: Int? = nil
  ) {
    self.weightDecayScope = weightDecayScope
    self.arch = arch
    self.inputMean = inputMean
    self.inputStd = inputStd
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
    m["input_mean"] = inputMean.map { "\($0)" }
    m["input_std"] = inputStd.map { "\($0)" }
    m["classes"] = classes.map { $0.map(String.init).joined(separator: ",") }
    m["epochs"] = epochs.map(String.init)
    m["seed"] = seed.map(String.init)
    m["wd"] = weightDecay.map { "\($0)" }
    m["wd_scope"] = weightDecayScope
    m["skips"] = skips.map { $0 ? "true" : "false" }
    m["drop_path"] = dropPath.map { "\($0)" }
    m["steps"] = steps.map(String.init)
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
    inputMean = try parse("input_mean") { Float($0) }
    inputStd = try parse("input_std") { Float($0) }
    classes = try parse("classes") { s in
      let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
      return parts.contains(nil) || parts.isEmpty ? nil : parts.map { $0! }
    }
    epochs = try parse("epochs") { Int($0) }
    seed = try parse("seed") { UInt64($0) }
    weightDecay = try parse("wd") { Double($0) }
    weightDecayScope = try parse("wd_scope") { ["all", "weights"].contains($0) ? $0 : nil }
    skips = try parse("skips") { s -> Bool? in
      switch s.lowercased() {
      case "true", "1", "yes": true
      case "false", "0", "no": false
      default: nil
      }
    }
    dropPath = try parse("drop_path") { Double($0) }
    steps = try parse("steps") { Int($0) }
  }
}

/// A trained (or initial) network with its metadata, stored as a PyTorch `state_dict` in
/// safetensors: `fc0.weight [D, n₀]`, `bn0.{weight, bias, running_mean, running_var}` [D],
/// `bn0.num_batches_tracked` (I64 scalar), `blocks.{i}.{bn1, fc1, bn2, fc2}`, `bnf.*`,
/// `cls.weight [C, D]`, `cls.bias [C]` — F32, weights row-major `[out, in]`.
public struct Checkpoint: Sendable, Equatable {
  public var model: ResidualNetwork<Float>
  public var metadata: CheckpointMetadata

  public init(model: ResidualNetwork<Float>, metadata: CheckpointMetadata) {
    self.model = model
    self.metadata = metadata
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

  init(file: SafeTensorsFile, path: String) throws(CheckpointError) {
    metadata = try CheckpointMetadata(strings: file.metadata, path: path)
    model = try Self.model(from: file.tensors, path: path, skips: metadata.skips ?? true)
    model.dropPath = metadata.dropPath ?? 0
  }

  /// The safetensors file.
  public var file: SafeTensorsFile {
    SafeTensorsFile(
      tensors: Self.tensors(of: model, parametersOnly: false), metadata: metadata.strings)
  }

  /// Writes the checkpoint atomically.
  public func write(to path: String) throws(SafeTensorsError) {
    try file.write(to: path)
  }

  /// The `state_dict` tensors of `model` (only the trainable parameters when `parametersOnly`,
  /// the layout of the optimiser's momentum buffers).
  static func tensors(of model: ResidualNetwork<Float>, parametersOnly: Bool)
    -> [String: StoredTensor]
  {
    var t: [String: StoredTensor] = [:]
    func matrix(_ name: String, _ m: Matrix<Float>) {
      // Row-major [out, in] is the column-major storage of the transpose.
      t[name] = StoredTensor(shape: [m.rows, m.columns], values: .f32(m.transposed.storage))
    }
    func vector(_ name: String, _ v: [Float]) {
      t[name] = StoredTensor(shape: [v.count], values: .f32(v))
    }
    func norm(_ prefix: String, _ n: BatchNorm<Float>) {
      vector(prefix + ".weight", n.weight)
      vector(prefix + ".bias", n.bias)
      if parametersOnly { return }
      vector(prefix + ".running_mean", n.runningMean)
      vector(prefix + ".running_var", n.runningVariance)
      t[prefix + ".num_batches_tracked"] = StoredTensor(shape: [], values: .i64([n.batchesTracked]))
    }
    matrix("fc0.weight", model.fc0)
    norm("bn0", model.bn0)
    for (i, block) in model.blocks.enumerated() {
      norm("blocks.\(i).bn1", block.bn1)
      matrix("blocks.\(i).fc1.weight", block.fc1)
      norm("blocks.\(i).bn2", block.bn2)
      matrix("blocks.\(i).fc2.weight", block.fc2)
    }
    norm("bnf", model.bnf)
    matrix("cls.weight", model.cls)
    vector("cls.bias", model.clsBias)
    return t
  }

  /// A network from `state_dict` tensors, checking every name, shape and dtype.
  static func model(
    from tensors: [String: StoredTensor], path: String, skips: Bool, parametersOnly: Bool = false,
    like reference: ResidualNetwork<Float>? = nil
  ) throws(CheckpointError) -> ResidualNetwork<Float> {
    var used = Set<String>()
    func tensor(_ name: String) throws(CheckpointError) -> StoredTensor {
      guard let t = tensors[name] else { throw .missingTensor(path: path, name: name) }
      used.insert(name)
      return t
    }
    func floats(_ name: String, _ shape: [Int]) throws(CheckpointError) -> [Float] {
      let t = try tensor(name)
      guard case .f32(let values) = t.values else {
        throw .wrongDType(path: path, name: name, expected: "F32")
      }
      guard t.shape == shape else {
        throw .wrongShape(path: path, name: name, expected: shape, found: t.shape)
      }
      return values
    }
    func matrix(_ name: String, _ rows: Int, _ columns: Int) throws(CheckpointError)
      -> Matrix<Float>
    {
      let v = try floats(name, [rows, columns])
      return Matrix(rows: columns, columns: rows, storage: v).transposed
    }
    func norm(_ prefix: String, _ d: Int) throws(CheckpointError) -> BatchNorm<Float> {
      var n = BatchNorm<Float>(features: d)
      n.weight = try floats(prefix + ".weight", [d])
      n.bias = try floats(prefix + ".bias", [d])
      if parametersOnly { return n }
      n.runningMean = try floats(prefix + ".running_mean", [d])
      n.runningVariance = try floats(prefix + ".running_var", [d])
      let name = prefix + ".num_batches_tracked"
      let t = try tensor(name)
      guard case .i64(let count) = t.values else {
        throw .wrongDType(path: path, name: name, expected: "I64")
      }
      guard t.shape == [] else {
        throw .wrongShape(path: path, name: name, expected: [], found: t.shape)
      }
      n.batchesTracked = count[0]
      return n
    }
    let stem = try tensor("fc0.weight")
    guard stem.shape.count == 2 else {
      throw .wrongShape(path: path, name: "fc0.weight", expected: [512, 784], found: stem.shape)
    }
    let (d, inputSize) = (stem.shape[0], stem.shape[1])
    let head = try tensor("cls.weight")
    guard head.shape.count == 2, head.shape[1] == d else {
      throw .wrongShape(path: path, name: "cls.weight", expected: [10, d], found: head.shape)
    }
    let c = head.shape[0]
    var depth = 0
    while tensors["blocks.\(depth).fc1.weight"] != nil { depth += 1 }
    if let reference {
      guard reference.depth == depth else {
        throw .missingTensor(path: path, name: "blocks.\(depth).fc1.weight")
      }
    }
    let fc0 = try matrix("fc0.weight", d, inputSize)
    let bn0 = try norm("bn0", d)
    var blocks: [ResidualBlock<Float>] = []
    for i in 0..<depth {
      blocks.append(
        ResidualBlock(
          bn1: try norm("blocks.\(i).bn1", d), fc1: try matrix("blocks.\(i).fc1.weight", d, d),
          bn2: try norm("blocks.\(i).bn2", d), fc2: try matrix("blocks.\(i).fc2.weight", d, d)))
    }
    let bnf = try norm("bnf", d)
    let cls = try matrix("cls.weight", c, d)
    let clsBias = try floats("cls.bias", [c])
    if let extra = tensors.keys.sorted().first(where: { !used.contains($0) }) {
      throw .unexpectedTensor(path: path, name: extra)
    }
    return ResidualNetwork(
      fc0: fc0, bn0: bn0, blocks: blocks, bnf: bnf, cls: cls, clsBias: clsBias, skips: skips)
  }
}
