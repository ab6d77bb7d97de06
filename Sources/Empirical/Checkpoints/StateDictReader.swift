// Goals, in order of priority: one place where a state_dict tensor is checked — name, dtype,
// shape, every value finite, a running variance ≥ 0 — so that the fully-connected and the
// convolutional readers cannot drift apart again (the convolutional copy once lost the finite and
// variance checks); errors naming the file and the tensor.

import LinearAlgebra

/// Reads tensors out of a PyTorch `state_dict`, checking each as it is taken, and remembers
/// which were taken so that `finish()` can refuse one that no layer uses.
struct StateDictReader {
  let tensors: [String: StoredTensor]
  /// The file, for errors.
  let path: String
  /// Only weights and biases (the optimiser's momentum buffers): BatchNorm's running statistics
  /// and batch count are absent.
  let parametersOnly: Bool
  private(set) var used = Set<String>()

  init(_ tensors: [String: StoredTensor], path: String, parametersOnly: Bool) {
    self.tensors = tensors
    self.path = path
    self.parametersOnly = parametersOnly
  }

  /// Whether the file holds `name` (without taking it).
  func has(_ name: String) -> Bool { tensors[name] != nil }

  /// Refuses a file with tensors of a block at or past `depth`, the count of consecutive blocks
  /// holding `blocks.<i>.<layer>`: block `depth` lacks that tensor, and the message says so (its
  /// other tensors would otherwise show as "unexpected").
  func checkNoBlockPast(_ depth: Int, layer: String) throws(CheckpointError) {
    let beyond = tensors.keys.contains { name in
      guard name.hasPrefix("blocks.") else { return false }
      let index = name.dropFirst("blocks.".count).prefix { $0 != "." }
      return Int(index).map { $0 >= depth } ?? false
    }
    if beyond { throw .missingTensor(path: path, name: "blocks.\(depth).\(layer)") }
  }

  /// The tensor `name`, taken.
  mutating func tensor(_ name: String) throws(CheckpointError) -> StoredTensor {
    guard let t = tensors[name] else { throw .missingTensor(path: path, name: name) }
    used.insert(name)
    return t
  }

  /// The F32 values of `name`, which must have exactly `shape` and only finite entries.
  mutating func floats(_ name: String, _ shape: [Int]) throws(CheckpointError) -> [Float] {
    let t = try tensor(name)
    guard case .f32(let values) = t.values else {
      throw .wrongDType(path: path, name: name, expected: "F32")
    }
    guard t.shape == shape else {
      throw .wrongShape(path: path, name: name, expected: shape, found: t.shape)
    }
    if let k = values.firstIndex(where: { !$0.isFinite }) {
      throw .nonFinite(path: path, name: name, index: k, value: values[k])
    }
    return values
  }

  /// The weight matrix `name` of PyTorch's `[out, in]` layout as an `out × in` matrix.
  mutating func matrix(_ name: String, _ rows: Int, _ columns: Int) throws(CheckpointError)
    -> Matrix<Float>
  {
    let v = try floats(name, [rows, columns])
    return Matrix(rows: columns, columns: rows, storage: v).transposed
  }

  /// The BatchNorm layer under `prefix` with `d` features: `weight`, `bias` and, unless
  /// `parametersOnly`, `running_mean`, `running_var` (every entry ≥ 0) and
  /// `num_batches_tracked` (an I64 scalar).
  mutating func norm(_ prefix: String, _ d: Int) throws(CheckpointError) -> BatchNorm<Float> {
    var n = BatchNorm<Float>(features: d)
    n.weight = try floats(prefix + ".weight", [d])
    n.bias = try floats(prefix + ".bias", [d])
    if parametersOnly { return n }
    n.runningMean = try floats(prefix + ".running_mean", [d])
    n.runningVariance = try floats(prefix + ".running_var", [d])
    if let k = n.runningVariance.firstIndex(where: { $0 < 0 }) {
      throw .wrongValue(
        path: path, name: prefix + ".running_var", index: k, value: n.runningVariance[k],
        expected: "a variance ≥ 0")
    }
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

  /// Refuses a tensor that no layer took.
  func finish() throws(CheckpointError) {
    if let extra = tensors.keys.sorted().first(where: { !used.contains($0) }) {
      throw .unexpectedTensor(path: path, name: extra)
    }
  }
}
