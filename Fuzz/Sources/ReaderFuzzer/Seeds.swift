import Empirical
import Foundation
import LinearAlgebra

/// Small valid files of every format, the seed corpus (`Fuzz/corpus/<reader>/`), written by
/// `UJM_FUZZ_WRITE_SEEDS=DIR ReaderFuzzer`.
enum Seeds {
  /// A tiny network (2 blocks of width 4, 6 inputs, 3 classes): the checkpoint seed, and the
  /// model the optimizer harness reads momentum buffers for.
  nonisolated(unsafe) static let model: ResidualNetwork<Float> = {
    var generator = SeededGenerator(seed: 1)
    return ResidualNetwork<Float>(
      architecture: Architecture(blocks: 2, width: 4, skips: true), inputSize: 6, classCount: 3,
      using: &generator)
  }()

  /// A tiny convolutional network (a 1-channel 8×8 image, two blocks of 3 channels, the second
  /// downsampling), the conv checkpoint seed.
  nonisolated(unsafe) static let convolutionalModel: ConvolutionalNetwork<Float> = {
    var generator = SeededGenerator(seed: 6)
    return ConvolutionalNetwork<Float>(
      architecture: ConvolutionalArchitecture(
        stages: [.init(blocks: 1, channels: 3), .init(blocks: 1, channels: 4)], skips: true),
      image: ConvolutionalInput(channels: 1, side: 8, padding: 0), classCount: 2,
      using: &generator)
  }()

  /// A sweep spec using every section, an anchor and an alias.
  static let spec = """
    base: &base
      type: 4a
      blocks: 3
      width: 16
      epochs: 2
    axes:
      seed: &seeds [0, 1]
      drop_path: [0, 0.1]
    measure: {inputs: 5, rank: 2}
    snapshots: [1, 2]
    resources: {threads: 1, memory: 2G, time: "00:10:00"}
    small:
      base: {epochs: 1}
      axes: {seed: *seeds}

    """

  static func files() -> [(reader: String, name: String, bytes: [UInt8])] {
    var generator = SeededGenerator(seed: 2)
    let pixels = (0..<(2 * 3072)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let metadata = CheckpointMetadata(
      arch: "fuzz", inputMean: 0.25, inputStd: 0.5, classes: [0, 4, 7], epochs: 1, seed: 3,
      weightDecay: 5e-4, skips: true, dropPath: 0, steps: 5)
    let state = TrainingState(
      momentum: model.zeroed, epoch: 1, step: 5, stepInEpoch: 2,
      shuffleState: SeededGenerator(seed: 4), dropState: SeededGenerator(seed: 5))
    let optimizerPath = NSTemporaryDirectory() + "ujm-fuzz-seed-optimizer.safetensors"
    try? state.write(to: optimizerPath)
    let optimizer = (try? Data(contentsOf: URL(fileURLWithPath: optimizerPath))).map { [UInt8]($0) }
    return [
      ("npy", "vector.npy", [UInt8](NumPyArray(vector: [1, -2.5, 3e-300]).npyData)),
      (
        "npy", "matrix.npy",
        [UInt8](NumPyArray(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]).npyData)
      ),
      (
        "safetensors", "checkpoint.safetensors",
        Checkpoint(model: model, metadata: metadata).file.encoded
      ),
      (
        "checkpoint", "checkpoint.safetensors",
        Checkpoint(model: model, metadata: metadata).file.encoded
      ),
      ("optimizer", "optimizer.safetensors", optimizer ?? []),
      (
        "idx", "images-idx3-ubyte",
        IDXFile(dimensions: [2, 3, 4], values: Array(pixels[0..<24])).encoded
      ),
      ("idx", "labels-idx1-ubyte", IDXFile(dimensions: [5], values: [0, 1, 9, 3, 4]).encoded),
      (
        "cifar10", "data_batch.bin",
        CIFARFile(kind: .cifar10, pixels: pixels, fineLabels: [3, 9]).encoded
      ),
      (
        "cifar100", "train.bin",
        CIFARFile(kind: .cifar100, pixels: pixels, fineLabels: [42, 99], coarseLabels: [7, 19])
          .encoded
      ),
      ("dx", "dx.txt", Array("0.5 -1.25\n3e-2, 4\t1e300\n".utf8)),
      (
        "conv", "checkpoint.safetensors",
        Checkpoint(network: .convolutional(convolutionalModel), metadata: metadata).file.encoded
      ),
      ("spec", "spec.yaml", Array(spec.utf8)),
      ("dx", "dx.npy", [UInt8](NumPyArray(vector: [0.5, -1, 2]).npyData)),
    ]
  }

  static func write(to directory: String) {
    for (reader, name, bytes) in files() {
      let folder = (directory as NSString).appendingPathComponent(reader)
      try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      let path = (folder as NSString).appendingPathComponent(name)
      FileManager.default.createFile(atPath: path, contents: Data(bytes))
    }
  }
}
