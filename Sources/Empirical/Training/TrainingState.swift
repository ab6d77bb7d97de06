import Foundation
import LinearAlgebra

/// Where a run stands: the optimiser's momentum buffers, the counters and the generators'
/// states. Saved beside the checkpoint as `optimizer.safetensors` (momentum buffers under the
/// parameters' names; counters and generator states in the metadata), so that `--resume`
/// continues bit-for-bit.
public struct TrainingState: Sendable, Equatable {
  /// The momentum buffer of every parameter.
  public var momentum: AnyResidualNetwork
  /// Epochs completed.
  public var epoch: Int
  /// Steps taken in all.
  public var step: Int
  /// Steps taken in the current (unfinished) epoch; 0 at an epoch boundary.
  public var stepInEpoch: Int
  /// The shuffling generator's state at the start of the current epoch.
  public var shuffleState: SeededGenerator
  /// The drop-path generator's current state.
  public var dropState: SeededGenerator

  /// Writes `optimizer.safetensors` atomically.
  public func write(to path: String) throws(SafeTensorsError) {
    try file.write(to: path)
  }

  /// The state as a safetensors file: momentum buffers under the parameters' names, counters
  /// and generator states in the metadata.
  public var file: SafeTensorsFile {
    func words(_ g: SeededGenerator) -> String {
      let s = g.state
      return [s.0, s.1, s.2, s.3].map(String.init).joined(separator: ",")
    }
    let file = SafeTensorsFile(
      tensors: Checkpoint.tensors(of: momentum, parametersOnly: true),
      metadata: [
        "epoch": "\(epoch)", "step": "\(step)", "step_in_epoch": "\(stepInEpoch)",
        "shuffle_generator": words(shuffleState), "drop_path_generator": words(dropState),
        "optimizer": "SGD momentum buffers",
      ])
    return file
  }

  /// Reads `optimizer.safetensors`; the buffers must fit `model`.
  public init(contentsOf path: String, model: ResidualNetwork<Float>) throws(CheckpointError) {
    try self.init(contentsOf: path, network: .fullyConnected(model))
  }

  /// Reads `optimizer.safetensors`; the buffers must fit `network` (kind and shape).
  public init(contentsOf path: String, network model: AnyResidualNetwork) throws(CheckpointError) {
    let file: SafeTensorsFile
    do { file = try SafeTensorsFile(contentsOf: path) } catch { throw .file(error) }
    try self.init(file: file, path: path, model: model)
  }

  /// Parses `optimizer.safetensors` bytes; `path` only names the source in errors.
  public init(decoding bytes: [UInt8], path: String, model: ResidualNetwork<Float>)
    throws(CheckpointError)
  {
    try self.init(decoding: bytes, path: path, network: .fullyConnected(model))
  }

  /// Parses `optimizer.safetensors` bytes for a network of either kind.
  public init(decoding bytes: [UInt8], path: String, network model: AnyResidualNetwork)
    throws(CheckpointError)
  {
    let file: SafeTensorsFile
    do { file = try SafeTensorsFile(decoding: bytes, path: path) } catch { throw .file(error) }
    try self.init(file: file, path: path, model: model)
  }

  init(file: SafeTensorsFile, path: String, model: AnyResidualNetwork)
    throws(CheckpointError)
  {
    func integer(_ key: String) throws(CheckpointError) -> Int {
      guard let s = file.metadata[key], let v = Int(s), v >= 0 else {
        throw .badMetadata(path: path, key: key, value: file.metadata[key] ?? "(missing)")
      }
      return v
    }
    func generator(_ key: String) throws(CheckpointError) -> SeededGenerator {
      let parts = (file.metadata[key] ?? "").split(separator: ",").compactMap { UInt64($0) }
      guard parts.count == 4 else {
        throw .badMetadata(path: path, key: key, value: file.metadata[key] ?? "(missing)")
      }
      // xoshiro256** never leaves the all-zero state: every draw would be 0 and shuffling hang.
      guard parts.contains(where: { $0 != 0 }) else {
        throw .metadataOutOfRange(
          path: path, key: key, value: file.metadata[key] ?? "",
          expected: "a generator state that is not all zeros (xoshiro256** never leaves 0)")
      }
      return SeededGenerator(state: (parts[0], parts[1], parts[2], parts[3]))
    }
    var buffers = try Checkpoint.network(
      from: file.tensors, path: path, skips: model.skips, parametersOnly: true, like: model)
    if case .convolutional(var c) = buffers, let m = model.convolutional {
      c.image = m.image  // the geometry of the images is the network's, not the tensors'
      buffers = .convolutional(c)
    }
    func parameterCounts(_ n: AnyResidualNetwork) -> [Int] {
      var (a, b) = (n, n)
      var counts = [Int]()
      a.forEachParameter(n, &b) { p, _, _ in counts.append(p.count) }
      return counts
    }
    guard buffers.depth == model.depth, parameterCounts(buffers) == parameterCounts(model) else {
      throw .badMetadata(
        path: path, key: "(tensors)",
        value: "momentum buffers of a different shape than the network ("
          + buffers.shapeDescription + " vs " + model.shapeDescription + ")")
    }
    buffers.dropPath = model.dropPath
    momentum = buffers
    epoch = try integer("epoch")
    step = try integer("step")
    stepInEpoch = try integer("step_in_epoch")
    guard stepInEpoch <= step else {
      throw .metadataOutOfRange(
        path: path, key: "step_in_epoch", value: "\(stepInEpoch)",
        expected: "at most 'step' (\(step))")
    }
    shuffleState = try generator("shuffle_generator")
    dropState = try generator("drop_path_generator")
  }

  /// Checks that this state can continue a run over `stepsPerEpoch` steps per epoch (the data
  /// and batch size of the resumed run): a saved `step_in_epoch` beyond the epoch would index
  /// past the shuffled order. `path` names the file in the error.
  public func checkResumable(stepsPerEpoch: Int, path: String) throws(CheckpointError) {
    guard stepInEpoch < Swift.max(stepsPerEpoch, 1) else {
      throw .metadataOutOfRange(
        path: path, key: "step_in_epoch", value: "\(stepInEpoch)",
        expected: "fewer than the \(stepsPerEpoch) steps of an epoch of this data and batch size")
    }
  }

  /// A state for a fully-connected network's momentum buffers.
  public init(
    momentum: ResidualNetwork<Float>, epoch: Int, step: Int, stepInEpoch: Int,
    shuffleState: SeededGenerator, dropState: SeededGenerator
  ) {
    self.init(
      momentum: .fullyConnected(momentum), epoch: epoch, step: step, stepInEpoch: stepInEpoch,
      shuffleState: shuffleState, dropState: dropState)
  }

  public init(
    momentum: AnyResidualNetwork, epoch: Int, step: Int, stepInEpoch: Int,
    shuffleState: SeededGenerator, dropState: SeededGenerator
  ) {
    self.momentum = momentum
    self.epoch = epoch
    self.step = step
    self.stepInEpoch = stepInEpoch
    self.shuffleState = shuffleState
    self.dropState = dropState
  }
}
