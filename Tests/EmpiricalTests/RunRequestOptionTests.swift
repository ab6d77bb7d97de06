import Foundation
import Testing

@testable import Empirical

/// The option parsing and pre-data checks that `TrainingRun` and `MeasurementRun` own (the CLI
/// and a sweep's child call them): each refusal is one sentence naming the option; each accepted
/// case gives the value the run uses.
@Suite("Run requests: the library parses and refuses train's and measure's options")
struct RunRequestOptionTests {
  /// The message of a usage refusal, or nil when `body` does not refuse.
  func refusal<T>(_ body: () throws(EmpiricalRunError) -> T) -> String? {
    do {
      _ = try body()
      return nil
    } catch {
      guard case .usage(let message) = error else { return "not a usage error: \(error)" }
      return message
    }
  }

  @Test func indicesAreDistinctNonNegativeAndAtMostTheMaximum() {
    #expect((try? MeasurementOptions.indices(parsing: " 3,17 ,42")) == [3, 17, 42])
    let cases: [(String, String)] = [
      ("3,-1", "--indices: index -1 is out of range (positions start at 0)"),
      ("", "--indices: '' is not a non-negative integer"),
      ("4,5,4", "--indices: index 4 appears 2 times"),
      (
        (0...MeasurementOptions.maximumInputs).map(String.init).joined(separator: ","),
        "--indices: 100001 indices, more than the 100000"
      ),
    ]
    for (text, expected) in cases {
      let message = refusal { () throws(EmpiricalRunError) in
        try MeasurementOptions.indices(parsing: text)
      }
      print("--indices \(text.prefix(20)): \(message ?? "accepted")")
      #expect(message?.hasPrefix(expected) == true, "\(text.prefix(20)): \(message ?? "accepted")")
    }
  }

  @Test func keptIndicesArePositionsAmongTheCheckpointsClasses() throws {
    // File labels 0, 1, 2, 0, 1, 2; the checkpoint keeps classes 0 and 2 (positions 0, 2, 3, 5).
    let file = FilePositions(fileLabels: [0, 1, 2, 0, 1, 2], positions: [0, 2, 3, 5])
    let kept = try MeasurementRun.keptExamples(atFilePositions: [5, 0], of: file, classes: [0, 2])
    #expect(kept == [3, 0])
    let classOne = refusal { () throws(EmpiricalRunError) in
      try MeasurementRun.keptExamples(atFilePositions: [1], of: file, classes: [0, 2])
    }
    #expect(classOne?.hasPrefix("--indices: index 1 is an example of class 1") == true)
    let past = refusal { () throws(EmpiricalRunError) in
      try MeasurementRun.keptExamples(atFilePositions: [6], of: file, classes: [0, 2])
    }
    #expect(past?.hasPrefix("--indices: index 6 is out of range 0..<6") == true)
  }

  @Test func neuralCollapseNeedsEveryClassAmongItsExamples() {
    let labels = [0, 0, 1, 1, 2]
    #expect(
      refusal { () throws(EmpiricalRunError) in
        try MeasurementRun.checkNeuralCollapseRequest(
          labels: labels, classes: 3, limit: 5, requested: nil)
      } == nil)
    let message = refusal { () throws(EmpiricalRunError) in
      try MeasurementRun.checkNeuralCollapseRequest(
        labels: labels, classes: 3, limit: 2, requested: 2)
    }
    print("--nc-examples 2: \(message ?? "accepted")")
    #expect(
      message?.hasPrefix("--nc-examples 2: the first 2 training examples hold no example")
        == true)
    #expect(message?.contains("use at least 5") == true)
  }

  @Test func convolutionalTypesRefuseBlocksAndWidthAndFullyConnectedOnesTakeThem() throws {
    let conv = refusal { () throws(EmpiricalRunError) in
      try ResNetType.type5a.architecture(blocks: 4, width: nil)
    }
    #expect(
      conv == "--blocks applies to the fully-connected types only; --type 5a is convolutional")
    let a = try ResNetType.type4a.architecture(blocks: 3, width: 32)
    #expect(a.blocks == 3 && a.width == 32 && a.skips)
    let c = try ResNetType.type5b.architecture(blocks: nil, width: nil)
    #expect(c.width == 0 && !c.skips && ResNetType.type5b.convolutional?.blocks == c.blocks)
  }

  @Test func snapshotEpochsAndAllowedChangesAreCheckedAgainstTheRun() throws {
    #expect(try TrainingRequest.snapshotEpochs(parsing: "1, 5,5", epochs: 5) == [1, 5])
    #expect(try TrainingRequest.snapshotEpochs(parsing: nil, epochs: 5) == [])
    let late = refusal { () throws(EmpiricalRunError) in
      try TrainingRequest.snapshotEpochs(parsing: "6", epochs: 5)
    }
    #expect(late == "--snapshot-epochs: '6' is not an epoch in 1…5")
    #expect(
      try TrainingRequest.allowedChanges(parsing: "lr, seed", resume: true) == ["lr", "seed"])
    let noResume = refusal { () throws(EmpiricalRunError) in
      try TrainingRequest.allowedChanges(parsing: "lr", resume: false)
    }
    #expect(noResume == "--allow-change needs --resume")
    let unknown = refusal { () throws(EmpiricalRunError) in
      try TrainingRequest.allowedChanges(parsing: "colour", resume: true)
    }
    #expect(unknown?.hasPrefix("--allow-change: 'colour' is not a hyper-parameter") == true)
  }

  @Test func dropPathNeedsSkipsAndTheNetworkMustFitTheDefaultData() throws {
    let noSkips = try ResNetType.type4b.architecture(blocks: nil, width: nil)
    let message = refusal { () throws(EmpiricalRunError) in
      try TrainingRequest.checkBeforeReadingData(
        type: .type4b, architecture: noSkips, batchSize: 128, dropPath: 0.1)
    }
    #expect(message == "--drop-path needs skip connections; --type 4b has none")
    let huge = try ResNetType.type1.architecture(blocks: nil, width: 1 << 30)
    let tooLarge = refusal { () throws(EmpiricalRunError) in
      try TrainingRequest.checkBeforeReadingData(
        type: .type1, architecture: huge, batchSize: 128, dropPath: 0)
    }
    print("--width 2^30: \(tooLarge ?? "accepted")")
    #expect(tooLarge?.hasPrefix("--width 1073741824, --blocks 16, --batch-size 128: ") == true)
    let fits = try ResNetType.type1.architecture(blocks: nil, width: nil)
    #expect(
      refusal { () throws(EmpiricalRunError) in
        try TrainingRequest.checkBeforeReadingData(
          type: .type1, architecture: fits, batchSize: 128, dropPath: 0.1)
      } == nil)
  }
}
