import Empirical
import Foundation

/// A checkpoint and the data set it was trained on, checked against each other: the shared
/// loading step of `ujm evaluate` and `ujm measure`. Every problem is a `UsageError` naming the
/// option (`--checkpoint` or `--data`) and what is wrong. `--checkpoint` may name a run directory
/// of `ujm train` (its `checkpoint.safetensors` is read).
struct CheckpointWithData {
  var checkpoint: Checkpoint
  var dataset: ImageClassificationData

  /// The file that `--checkpoint path` names: `path` itself, or `path/checkpoint.safetensors`
  /// when `path` is a directory.
  static func checkpointFile(_ path: String) throws -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { return path }
    let file = (path as NSString).appendingPathComponent("checkpoint.safetensors")
    guard FileManager.default.fileExists(atPath: file) else {
      throw UsageError(
        "--checkpoint: \(path) is a directory without a checkpoint.safetensors; name the "
          + "checkpoint file or a run directory of ujm train")
    }
    return file
  }

  init(checkpoint given: String, data: String) throws {
    let path = try Self.checkpointFile(given)
    do {
      checkpoint = try Checkpoint(contentsOf: path)
    } catch {
      throw UsageError("--checkpoint: \(error)")
    }
    let model = checkpoint.network
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
    switch model {
    case .fullyConnected(let m):
      guard dataset.train.featureCount == m.inputSize else {
        throw UsageError(
          "--checkpoint: \(path): fc0.weight takes \(m.inputSize) inputs, the data "
            + "has \(dataset.train.featureCount) pixels per image")
      }
    case .convolutional(let m):
      // The tensors do not say the image size: the data's images, if conv0 reads their channels.
      guard let image = ImageShape.standard(featureCount: dataset.train.featureCount),
        image.channels == m.image.channels
      else {
        throw UsageError(
          "--checkpoint: \(path): conv0.weight reads \(m.image.channels) channel(s), the data's "
            + "images have \(dataset.train.featureCount) values, not square images of that many "
            + "channels")
      }
      checkpoint.network.withConvolutional { $0.image = image }
    }
  }
}
