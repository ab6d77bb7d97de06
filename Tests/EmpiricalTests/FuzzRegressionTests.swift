import Foundation
import LinearAlgebra
import Testing

@testable import Empirical

/// The folder of inputs that once crashed a reader under libFuzzer (`Fuzz/regressions/<reader>/`),
/// replayed here so that a fix stays fixed without the sanitizer build.
private let regressions = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fuzz/regressions")

private func inputs(_ reader: String) -> [URL] {
  let folder = regressions.appendingPathComponent(reader)
  let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
  return names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appendingPathComponent($0) }
}

@Suite("Fuzzer findings: every input that once crashed a reader now gets a typed answer")
struct FuzzRegressionTests {
  @Test func everyRecordedCrashInputIsReadOrRefusedWithoutATrap() throws {
    var replayed = 0
    let model: ResidualNetwork<Float> = {
      var generator = SeededGenerator(seed: 1)
      return ResidualNetwork<Float>(
        architecture: Architecture(blocks: 2, width: 4, skips: true), inputSize: 6, classCount: 3,
        using: &generator)
    }()
    for reader in [
      "npy", "safetensors", "checkpoint", "optimizer", "idx", "cifar10", "cifar100", "dx", "conv",
    ] {
      for url in inputs(reader) {
        let bytes = [UInt8](try Data(contentsOf: url))
        // Reaching the next line at all is the claim: a trap would end the test process.
        switch reader {
        case "npy": _ = try? NumPyArray(npyData: Data(bytes), name: url.path)
        case "safetensors": _ = try? SafeTensorsFile(decoding: bytes, path: url.path)
        case "checkpoint", "conv": _ = try? Checkpoint(decoding: bytes, path: url.path)
        case "optimizer": _ = try? TrainingState(decoding: bytes, path: url.path, model: model)
        case "idx": _ = try? IDXFile(decoding: bytes, path: url.path)
        case "cifar10": _ = try? CIFARFile(decoding: bytes, kind: .cifar10, path: url.path)
        case "cifar100": _ = try? CIFARFile(decoding: bytes, kind: .cifar100, path: url.path)
        default: _ = try? VectorFile.values(decoding: Data(bytes), name: url.path)
        }
        replayed += 1
      }
    }
    print("replayed \(replayed) fuzzer crash inputs from \(regressions.path)")
  }
}
