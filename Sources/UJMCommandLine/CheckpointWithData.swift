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
    if let classes, classes.count != model.classCount {
      throw UsageError(
        "--checkpoint: \(path): metadata classes '\(classes)' do not fit the "
          + "\(model.classCount) outputs of cls.weight")
    }
    do {
      dataset = try ImageClassificationData(
        directory: data, classes: classes, standardisation: checkpoint.metadata.standardisation,
        labels: checkpoint.metadata.labels ?? .fine)
    } catch {
      throw UsageError("--data: \(error)")
    }
    guard dataset.classes.count == model.classCount else {
      throw UsageError(
        "--checkpoint: \(path): \(model.classCount) outputs but no 'classes' "
          + "metadata to say which of the data's \(dataset.classes.count) classes they are")
    }
    switch model {
    case .fullyConnected(let m):
      guard dataset.train.featureCount == m.inputSize else {
        throw UsageError(
          "--checkpoint: \(path): fc0.weight takes \(m.inputSize) inputs, the data "
            + "has \(dataset.train.featureCount) values per image (\(dataset.imageShape))")
      }
    case .convolutional(let m):
      // The tensors do not say the image size: the data's images, if conv0 reads their channels.
      guard let image = ConvolutionalInput(image: dataset.imageShape),
        image.channels == m.image.channels
      else {
        throw UsageError(
          "--checkpoint: \(path): conv0.weight reads \(m.image.channels) channel(s) of square "
            + "images, the data's images are \(dataset.imageShape)")
      }
      checkpoint.network.withConvolutional { $0.image = image }
    }
  }
}
