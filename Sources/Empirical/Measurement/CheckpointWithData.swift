import Foundation

/// A checkpoint and the data set it was trained on, checked against each other: the shared
/// loading step of `ujm evaluate`, `ujm measure` and `ujm compare`. Every problem is a
/// `EmpiricalRunError.usage` naming the option (`--checkpoint` or `--data`) and what is wrong. The
/// checkpoint path may name a run directory of `ujm train` (its `checkpoint.safetensors` is read).
public struct CheckpointWithData: Sendable {
  public var checkpoint: Checkpoint
  public var dataset: ImageClassificationData

  /// The file that `--checkpoint path` names: `path` itself, or `path/checkpoint.safetensors`
  /// when `path` is a directory.
  public static func checkpointFile(_ path: String) throws(EmpiricalRunError) -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { return path }
    let file = (path as NSString).appendingPathComponent("checkpoint.safetensors")
    guard FileManager.default.fileExists(atPath: file) else {
      throw .usage(
        "--checkpoint: \(path) is a directory without a checkpoint.safetensors; name the "
          + "checkpoint file or a run directory of ujm train")
    }
    return file
  }

  /// Reads the checkpoint at (or in) `given` and the data set in `data`, standardised and
  /// labelled as the checkpoint records, and checks that the network reads the data's images.
  public init(checkpointPath given: String, dataDirectory data: String) throws(EmpiricalRunError) {
    let path = try Self.checkpointFile(given)
    do {
      checkpoint = try Checkpoint(contentsOf: path)
    } catch {
      throw .usage("--checkpoint: \(error)")
    }
    let model = checkpoint.network
    let classes = checkpoint.metadata.classes
    if let classes, classes.count != model.classCount {
      throw .usage(
        "--checkpoint: \(path): metadata classes '\(classes)' do not fit the "
          + "\(model.classCount) outputs of cls.weight")
    }
    do {
      dataset = try ImageClassificationData(
        directory: data, classes: classes, standardisation: checkpoint.metadata.standardisation,
        labels: checkpoint.metadata.labels ?? .fine)
    } catch {
      throw .usage("--data: \(error)")
    }
    guard dataset.classes.count == model.classCount else {
      throw .usage(
        "--checkpoint: \(path): \(model.classCount) outputs but no 'classes' "
          + "metadata to say which of the data's \(dataset.classes.count) classes they are")
    }
    switch model {
    case .fullyConnected(let m):
      guard dataset.train.featureCount == m.inputSize else {
        throw .usage(
          "--checkpoint: \(path): fc0.weight takes \(m.inputSize) inputs, the data "
            + "has \(dataset.train.featureCount) values per image (\(dataset.imageShape))")
      }
    case .convolutional(let m):
      // The tensors do not say the image size: the data's images, if conv0 reads their channels.
      guard let image = ConvolutionalInput(image: dataset.imageShape),
        image.channels == m.image.channels
      else {
        throw .usage(
          "--checkpoint: \(path): conv0.weight reads \(m.image.channels) channel(s) of square "
            + "images, the data's images are \(dataset.imageShape)")
      }
      checkpoint.network.withConvolutional { $0.image = image }
    }
  }
}
