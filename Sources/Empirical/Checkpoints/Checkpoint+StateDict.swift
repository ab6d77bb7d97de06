// Goals: one writer of the PyTorch `state_dict` for every pre-activation network; what differs
// between the fully-connected and the convolutional networks is only how a layer's weight is
// named and laid out, declared once per network type below.

import LinearAlgebra

/// A layer weight's `state_dict` entry: its name within its module (`fc1.weight`) and tensor.
typealias StateDictEntry = (name: String, tensor: StoredTensor)

/// A block's layer weights as `state_dict` entries (names within `blocks.{i}.`).
protocol StateDictBlock: PreActivationBlockParameters where Scalar == Float {
  /// W1 (`fc1.weight` or `conv1.weight`).
  var firstEntry: StateDictEntry { get }
  /// W2 (`fc2.weight` or `conv2.weight`).
  var secondEntry: StateDictEntry { get }
  /// The shortcut's weight (`shortcut.weight`), nil without one.
  var shortcutEntry: StateDictEntry? { get }
}

/// A network whose parameters and statistics are written as a PyTorch `state_dict`.
protocol StateDictNetwork: PreActivationParameters where Scalar == Float, Block: StateDictBlock {
  /// W₀ (`fc0.weight` or `conv0.weight`).
  var stemEntry: StateDictEntry { get }
  /// W_c, written `cls.weight [C, D]`.
  var cls: Matrix<Float> { get }
}

/// A matrix's row-major [out, in] tensor: the column-major storage of its transpose.
private func matrixEntry(_ name: String, _ m: Matrix<Float>) -> StateDictEntry {
  (name, StoredTensor(shape: [m.rows, m.columns], values: .f32(m.transposed.storage)))
}

/// A convolution's [out, in, kh, kw] tensor.
private func convolutionEntry(_ name: String, _ c: Convolution<Float>) -> StateDictEntry {
  (name, StoredTensor(shape: c.pytorchShape, values: .f32(c.pytorchWeights)))
}

extension Checkpoint {
  /// The `state_dict` tensors of `model` (only the trainable parameters when `parametersOnly`,
  /// the layout of the optimiser's momentum buffers): the stem's weight, `bn0.*`, per block
  /// `blocks.{i}.{bn1, W1, bn2, W2}` (and `blocks.{i}.shortcut.weight`), `bnf.*`, `cls.weight`,
  /// `cls.bias` — F32.
  static func tensors(of model: some StateDictNetwork, parametersOnly: Bool)
    -> [String: StoredTensor]
  {
    var t: [String: StoredTensor] = [:]
    func add(_ prefix: String, _ entry: StateDictEntry) { t[prefix + entry.name] = entry.tensor }
    func norm(_ prefix: String, _ n: BatchNorm<Float>) {
      t.merge(n.stateDictTensors(prefix: prefix, parametersOnly: parametersOnly)) { _, b in b }
    }
    add("", model.stemEntry)
    norm("bn0", model.bn0)
    for (i, block) in model.blocks.enumerated() {
      norm("blocks.\(i).bn1", block.bn1)
      add("blocks.\(i).", block.firstEntry)
      norm("blocks.\(i).bn2", block.bn2)
      add("blocks.\(i).", block.secondEntry)
      if let shortcut = block.shortcutEntry { add("blocks.\(i).", shortcut) }
    }
    norm("bnf", model.bnf)
    add("", matrixEntry("cls.weight", model.cls))
    t["cls.bias"] = StoredTensor(shape: [model.clsBias.count], values: .f32(model.clsBias))
    return t
  }
}

extension ResidualBlock: StateDictBlock where Scalar == Float {
  var firstEntry: StateDictEntry { matrixEntry("fc1.weight", fc1) }
  var secondEntry: StateDictEntry { matrixEntry("fc2.weight", fc2) }
  var shortcutEntry: StateDictEntry? { nil }
}

extension ResidualNetwork: StateDictNetwork where Scalar == Float {
  var stemEntry: StateDictEntry { matrixEntry("fc0.weight", fc0) }
}

extension ConvolutionalBlock: StateDictBlock where Scalar == Float {
  var firstEntry: StateDictEntry { convolutionEntry("conv1.weight", conv1) }
  var secondEntry: StateDictEntry { convolutionEntry("conv2.weight", conv2) }
  var shortcutEntry: StateDictEntry? { shortcut.map { convolutionEntry("shortcut.weight", $0) } }
}

extension ConvolutionalNetwork: StateDictNetwork where Scalar == Float {
  var stemEntry: StateDictEntry { convolutionEntry("conv0.weight", conv0) }
}
