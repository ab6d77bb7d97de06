import Empirical
import Foundation

/// A checkpoint and the data set it was trained on, checked against each other: the shared
/// loading step of `ujm evaluate` and `ujm measure`. Every problem is a `UsageError` naming the
/// option (`--checkpoint` or `--data`) and what is wrong.
struct CheckpointWithData {
  var checkpoint: Checkpoint
  var dataset: ImageClassificationData

  init(checkpoint path: String, data: String) throws {
    do {
      checkpoint = try Checkpoint(contentsOf: path)
    } catch {
      throw UsageError("--checkpoint: \(error)")
    }
    let model = checkpoint.model
    let classes = checkpoint.metadata.classes
    if let classes {
      guard classes.count == model.classCount,
        classes.allSatisfy({ (0..<ImageClassificationData.fullClassCount).contains($0) }),
        Set(classes).count == classes.count
      else {
        throw UsageError(
          "--checkpoint: \(path): metadata classes '\(classes)' do not fit the "
            + "\(model.classCount) outputs of cls.weight")
      }
    } else if model.classCount != ImageClassificationData.fullClassCount {
      throw UsageError(
        "--checkpoint: \(path): \(model.classCount) outputs but no 'classes' "
          + "metadata to say which classes they are")
    }
    let standardisation: (mean: Float, std: Float)? =
      if let m = checkpoint.metadata.inputMean, let s = checkpoint.metadata.inputStd {
        (m, s)
      } else { nil }
    do {
      dataset = try ImageClassificationData(
        directory: data, classes: classes, standardisation: standardisation)
    } catch {
      throw UsageError("--data: \(error)")
    }
    guard dataset.train.featureCount == model.inputSize else {
      throw UsageError(
        "--checkpoint: \(path): fc0.weight takes \(model.inputSize) inputs, the data "
          + "has \(dataset.train.featureCount) pixels per image")
    }
  }
}
