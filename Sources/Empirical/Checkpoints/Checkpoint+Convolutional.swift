// Goals, in order of priority: the PyTorch `state_dict` of the convolutional ResNets of issue 12
// (a strict layout: every name, shape and dtype checked, errors naming the tensor); the kind of
// block (identity or projection skip, stride) read from the tensors, not from strings.

import LinearAlgebra

extension Checkpoint {
  /// A convolutional network from `state_dict` tensors. Depth: the number of
  /// `blocks.{i}.conv1.weight`; a block with `blocks.{i}.shortcut.weight` downsamples (conv1
  /// stride 2). The images are taken to be 28×28 padded to 32×32 for one input channel and
  /// 32×32 otherwise; `ConvolutionalInput(image:)` of the data refits them.
  static func convolutionalModel(
    from tensors: [String: StoredTensor], path: String, skips: Bool, parametersOnly: Bool,
    like reference: ConvolutionalNetwork<Float>?
  ) throws(CheckpointError) -> ConvolutionalNetwork<Float> {
    var reader = StateDictReader(tensors, path: path, parametersOnly: parametersOnly)
    /// A convolution whose output channels come from the tensor (input channels given).
    func conv(_ name: String, inChannels: Int, kernel: Int, stride: Int, padding: Int)
      throws(CheckpointError) -> Convolution<Float>
    {
      let t = try reader.tensor(name)
      guard t.shape.count == 4, t.shape[1] == inChannels, t.shape[2] == kernel,
        t.shape[3] == kernel, t.shape[0] >= 1
      else {
        // The expected shape differs from the found one where it is wrong (≥ 1 output channel).
        throw .wrongShape(
          path: path, name: name,
          expected: [max(t.shape.first ?? 64, 1), inChannels, kernel, kernel], found: t.shape)
      }
      var c = Convolution<Float>(
        inChannels: inChannels, outChannels: t.shape[0], kernel: kernel, stride: stride,
        padding: padding)
      c.setPyTorchWeights(try reader.floats(name, t.shape))
      return c
    }
    let stem = try reader.tensor("conv0.weight")
    guard stem.shape.count == 4, stem.shape[1] >= 1 else {
      throw .wrongShape(
        path: path, name: "conv0.weight", expected: [64, 1, 3, 3], found: stem.shape)
    }
    let inputChannels = stem.shape[1]
    let conv0 = try conv(
      "conv0.weight", inChannels: inputChannels, kernel: 3, stride: 2, padding: 1)
    var channels = conv0.outChannels
    let bn0 = try reader.norm("bn0", channels)
    var depth = 0
    while reader.has("blocks.\(depth).conv1.weight") { depth += 1 }
    try reader.checkNoBlockPast(depth, layer: "conv1.weight")
    if let reference, reference.depth != depth {
      throw .missingTensor(path: path, name: "blocks.\(depth).conv1.weight")
    }
    var blocks = [ConvolutionalBlock<Float>]()
    for i in 0..<depth {
      let p = "blocks.\(i)"
      let downsamples = reader.has("\(p).shortcut.weight")
      let bn1 = try reader.norm("\(p).bn1", channels)
      let conv1 = try conv(
        "\(p).conv1.weight", inChannels: channels, kernel: 3, stride: downsamples ? 2 : 1,
        padding: 1)
      let out = conv1.outChannels
      let bn2 = try reader.norm("\(p).bn2", out)
      let conv2 = try conv("\(p).conv2.weight", inChannels: out, kernel: 3, stride: 1, padding: 1)
      guard conv2.outChannels == out else {
        throw .wrongShape(
          path: path, name: "\(p).conv2.weight", expected: [out, out, 3, 3],
          found: [conv2.outChannels, out, 3, 3])
      }
      var shortcut: Convolution<Float>? = nil
      if downsamples {
        let s = try conv(
          "\(p).shortcut.weight", inChannels: channels, kernel: 1, stride: 2, padding: 0)
        guard s.outChannels == out else {
          throw .wrongShape(
            path: path, name: "\(p).shortcut.weight", expected: [out, channels, 1, 1],
            found: [s.outChannels, channels, 1, 1])
        }
        shortcut = s
      } else if out != channels {
        throw .missingTensor(path: path, name: "\(p).shortcut.weight")
      }
      blocks.append(
        ConvolutionalBlock(bn1: bn1, conv1: conv1, bn2: bn2, conv2: conv2, shortcut: shortcut))
      channels = out
    }
    let bnf = try reader.norm("bnf", channels)
    let head = try reader.tensor("cls.weight")
    guard head.shape.count == 2, head.shape[1] == channels, head.shape[0] >= 1 else {
      throw .wrongShape(
        path: path, name: "cls.weight", expected: [10, channels], found: head.shape)
    }
    let c = head.shape[0]
    let cls = Matrix(
      rows: channels, columns: c, storage: try reader.floats("cls.weight", [c, channels])
    )
    .transposed
    let clsBias = try reader.floats("cls.bias", [c])
    try reader.finish()
    let image =
      reference?.image
      ?? (inputChannels == 1
        ? ConvolutionalInput(channels: 1, side: 28, padding: 2)
        : ConvolutionalInput(channels: inputChannels, side: 32, padding: 0))
    return ConvolutionalNetwork(
      image: image, conv0: conv0, bn0: bn0, blocks: blocks, bnf: bnf, cls: cls,
      clsBias: clsBias, skips: skips)
  }
}
