// Goals, in order of priority: every reader ujm exposes to user files runs on every input
// libFuzzer makes, and any trap, overflow, out-of-bounds access or hang shows up as a crash; one
// binary for all readers (one sanitizer link), the reader chosen by UJM_FUZZ_READER.

import Empirical
import Foundation
import LinearAlgebra
import Sweeps

/// The readers under test, by the name `scripts/fuzz` passes in `UJM_FUZZ_READER`.
enum Reader: String, CaseIterable {
  case npy, safetensors, checkpoint, optimizer, idx, cifar10, cifar100, dx, conv, spec

  /// Runs the reader on `bytes`: a typed error is a pass, a trap is a finding.
  func run(_ bytes: [UInt8]) {
    switch self {
    case .npy:
      if let array = try? NumPyArray(npyData: Data(bytes), name: "fuzz.npy") {
        _ = array.matrix
        _ = array.npyData
      }
    case .safetensors:
      if let file = try? SafeTensorsFile(decoding: bytes, path: "fuzz.safetensors") {
        _ = file.encoded
      }
    case .checkpoint:
      guard let checkpoint = try? Checkpoint(decoding: bytes, path: "fuzz.safetensors") else {
        return
      }
      // What `ujm evaluate` does with an accepted file, on two examples, where that is cheap
      // (a convolutional checkpoint is the `conv` reader's).
      guard checkpoint.network.convolutional == nil else { return }
      let model = checkpoint.model
      if model.inputSize * model.width <= 1 << 16 && model.classCount <= 1000 {
        let examples = LabeledExamples(
          features: [Float](repeating: 0.5, count: 2 * model.inputSize), labels: [0, 0],
          featureCount: model.inputSize)
        _ = evaluate(model, on: examples, batchSize: 2)
      }
      _ = checkpoint.file.encoded
    case .optimizer:
      if let state = try? TrainingState(
        decoding: bytes, path: "fuzz.safetensors", model: Seeds.model)
      {
        try? state.checkResumable(stepsPerEpoch: 7, path: "fuzz.safetensors")
      }
    case .idx:
      if let file = try? IDXFile(decoding: bytes, path: "fuzz-idx") { _ = file.encoded }
    case .cifar10:
      if let file = try? CIFARFile(decoding: bytes, kind: .cifar10, path: "fuzz.bin") {
        _ = file.encoded
      }
    case .cifar100:
      if let file = try? CIFARFile(decoding: bytes, kind: .cifar100, path: "fuzz.bin") {
        _ = file.labels(.coarse)
        _ = file.encoded
      }
    case .dx:
      _ = try? VectorFile.values(decoding: Data(bytes), name: "fuzz.txt")
    case .conv:
      // The convolutional state-dict reader, then two examples through an accepted network
      // where that is cheap.
      guard let checkpoint = try? Checkpoint(decoding: bytes, path: "fuzz.safetensors"),
        let model = checkpoint.network.convolutional
      else { return }
      let widest = ([model.conv0.outChannels] + model.blocks.map(\.outChannels)).max() ?? 0
      if model.inputSize <= 1024 && widest <= 64 && model.depth <= 8 && model.classCount <= 100 {
        let examples = LabeledExamples(
          features: [Float](repeating: 0.5, count: 2 * model.inputSize), labels: [0, 0],
          featureCount: model.inputSize)
        _ = evaluate(checkpoint.network, on: examples, batchSize: 2)
      }
      _ = checkpoint.file.encoded
    case .spec:
      // The sweep spec parser and, for an accepted spec of a few runs, its plan and variants.
      guard let spec = try? SweepSpec(yaml: String(decoding: bytes, as: UTF8.self), name: "fuzz")
      else { return }
      if let n = spec.runCount, n <= 1000 {
        _ = SweepPlan(spec: spec, directory: "fuzz").runs.map(\.hash)
      }
      for name in spec.variants.keys { _ = try? spec.variant(name) }
    }
  }
}

nonisolated(unsafe) var selected = Reader.npy

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
  _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
) -> Int32 {
  let environment = ProcessInfo.processInfo.environment
  if let directory = environment["UJM_FUZZ_WRITE_SEEDS"] {
    Seeds.write(to: directory)
    exit(0)
  }
  guard let name = environment["UJM_FUZZ_READER"], let reader = Reader(rawValue: name) else {
    let names = Reader.allCases.map(\.rawValue).joined(separator: ", ")
    FileHandle.standardError.write(Data("set UJM_FUZZ_READER to one of: \(names)\n".utf8))
    exit(2)
  }
  selected = reader
  return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
  selected.run(bytes)
  return 0
}
