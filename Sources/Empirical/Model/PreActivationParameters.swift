// Goals: one parameter visitor for every pre-activation network (fully-connected and
// convolutional), in the order of the PyTorch state dict, so that the optimiser, the gradient and
// momentum buffers and the optimizer-state files cannot drift apart between the two.

import LinearAlgebra

/// A pre-activation residual block's trainable parameters: BN1's γ1, β1, the first layer's
/// weight W1 (fc1 or conv1), BN2's γ2, β2, the second layer's W2 (fc2 or conv2) and, for a
/// downsampling convolutional block, the shortcut's weight.
package protocol PreActivationBlockParameters {
  associatedtype Scalar: BLASScalar
  var bn1: BatchNorm<Scalar> { get set }
  var bn2: BatchNorm<Scalar> { get set }
  /// W1, column by column (fc1's matrix or conv1's kernels).
  var firstWeight: [Scalar] { get set }
  /// W2, column by column.
  var secondWeight: [Scalar] { get set }
  /// Whether the block has a shortcut layer (a downsampling convolutional block).
  var hasShortcut: Bool { get }
  /// The shortcut's weight (read only where `hasShortcut`).
  var shortcutWeight: [Scalar] { get set }
}

/// A pre-activation residual network's trainable parameters (Section 2 of the paper):
///
///     h₁ = ReLU(BN₀(W₀x)),  h_{i+1} = h_i + F_i(h_i),  logits = W_c·ReLU(BN_f(h_{L+1})) + b_c,
///
/// W₀ a linear layer or a convolution, F_i = W2·ReLU(BN2(W1·ReLU(BN1(h_i)))).
package protocol PreActivationParameters {
  associatedtype Scalar: BLASScalar
  associatedtype Block: PreActivationBlockParameters where Block.Scalar == Scalar
  /// W₀ (fc0 or conv0), column by column.
  var stemWeight: [Scalar] { get set }
  var bn0: BatchNorm<Scalar> { get set }
  var blocks: [Block] { get set }
  var bnf: BatchNorm<Scalar> { get set }
  /// W_c, column by column.
  var classifierWeight: [Scalar] { get set }
  var clsBias: [Scalar] { get set }
}

extension PreActivationParameters {
  /// Calls `body` on every trainable parameter of `self` with the same parameter of `a` and of
  /// `b` (networks of the same shape) and its kind, in the state dict's order: W₀, γ₀, β₀, then
  /// per block γ1, β1, W1, γ2, β2, W2 (, shortcut), then γ_f, β_f, W_c, b_c. Layer weights are
  /// `.weight`, BatchNorm's scales and shifts `.normalization`, the classifier's bias `.bias`
  /// (`--weight-decay-scope`).
  package mutating func forEachParameter(
    _ a: Self, _ b: inout Self,
    _ body: (inout [Scalar], [Scalar], inout [Scalar], ParameterKind) -> Void
  ) {
    body(&stemWeight, a.stemWeight, &b.stemWeight, .weight)
    body(&bn0.weight, a.bn0.weight, &b.bn0.weight, .normalization)
    body(&bn0.bias, a.bn0.bias, &b.bn0.bias, .normalization)
    for i in blocks.indices {
      body(&blocks[i].bn1.weight, a.blocks[i].bn1.weight, &b.blocks[i].bn1.weight, .normalization)
      body(&blocks[i].bn1.bias, a.blocks[i].bn1.bias, &b.blocks[i].bn1.bias, .normalization)
      body(&blocks[i].firstWeight, a.blocks[i].firstWeight, &b.blocks[i].firstWeight, .weight)
      body(&blocks[i].bn2.weight, a.blocks[i].bn2.weight, &b.blocks[i].bn2.weight, .normalization)
      body(&blocks[i].bn2.bias, a.blocks[i].bn2.bias, &b.blocks[i].bn2.bias, .normalization)
      body(&blocks[i].secondWeight, a.blocks[i].secondWeight, &b.blocks[i].secondWeight, .weight)
      if blocks[i].hasShortcut {
        body(
          &blocks[i].shortcutWeight, a.blocks[i].shortcutWeight, &b.blocks[i].shortcutWeight,
          .weight)
      }
    }
    body(&bnf.weight, a.bnf.weight, &b.bnf.weight, .normalization)
    body(&bnf.bias, a.bnf.bias, &b.bnf.bias, .normalization)
    body(&classifierWeight, a.classifierWeight, &b.classifierWeight, .weight)
    body(&clsBias, a.clsBias, &b.clsBias, .bias)
  }

  /// The same without the kinds.
  package mutating func forEachParameter(
    _ a: Self, _ b: inout Self, _ body: (inout [Scalar], [Scalar], inout [Scalar]) -> Void
  ) {
    forEachParameter(a, &b) { p, g, v, _ in body(&p, g, &v) }
  }

  /// A network of the same shape with every trainable parameter zero (gradient and momentum
  /// buffers; the running statistics are kept).
  package var zeroedParameters: Self {
    var z = self
    var other = self
    z.forEachParameter(self, &other) { p, _, _ in
      for k in p.indices { p[k] = 0 }
    }
    return z
  }
}

extension BatchNorm {
  /// The same normalisation with γ, β and the running statistics converted to `Other`.
  func converted<Other: BLASScalar>(to: Other.Type = Other.self) -> BatchNorm<Other> {
    BatchNorm<Other>(
      weight: weight.map { Other($0) }, bias: bias.map { Other($0) },
      runningMean: runningMean.map { Other($0) },
      runningVariance: runningVariance.map { Other($0) }, batchesTracked: batchesTracked)
  }
}

extension ResidualBlock: PreActivationBlockParameters {
  package var firstWeight: [Scalar] {
    get { fc1.storage }
    _modify { yield &fc1.mutableStorage }
  }
  package var secondWeight: [Scalar] {
    get { fc2.storage }
    _modify { yield &fc2.mutableStorage }
  }
  package var hasShortcut: Bool { false }
  package var shortcutWeight: [Scalar] {
    get { [] }
    set {}  // never visited: a fully-connected block has no shortcut
  }
}

extension ResidualNetwork: PreActivationParameters {
  package var stemWeight: [Scalar] {
    get { fc0.storage }
    _modify { yield &fc0.mutableStorage }
  }
  package var classifierWeight: [Scalar] {
    get { cls.storage }
    _modify { yield &cls.mutableStorage }
  }
}

extension ConvolutionalBlock: PreActivationBlockParameters {
  package var firstWeight: [Scalar] {
    get { conv1.weight.storage }
    _modify { yield &conv1.weight.mutableStorage }
  }
  package var secondWeight: [Scalar] {
    get { conv2.weight.storage }
    _modify { yield &conv2.weight.mutableStorage }
  }
  package var hasShortcut: Bool { shortcut != nil }
  package var shortcutWeight: [Scalar] {
    get { shortcut?.weight.storage ?? [] }
    _modify { yield &shortcut!.weight.mutableStorage }
  }
}

extension ConvolutionalNetwork: PreActivationParameters {
  package var stemWeight: [Scalar] {
    get { conv0.weight.storage }
    _modify { yield &conv0.weight.mutableStorage }
  }
  package var classifierWeight: [Scalar] {
    get { cls.storage }
    _modify { yield &cls.mutableStorage }
  }
}
