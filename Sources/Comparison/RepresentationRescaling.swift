// Goals, in order of priority: the one function-preserving reparametrisation that the
// comparison's verdicts must not see (issue 22), written once for every checkpoint kind, so that
// the invariance tests of the library and of the command line build their rescaled copies from
// the same recipe.

import Empirical
import LinearAlgebra

/// h → c·h (c > 0): the BatchNorm network that computes the same function with every
/// representation h_i multiplied by c.
///
///     bn0:            γ, β × c                       (h₁ = ReLU(BN₀(·)) → c·h₁)
///     every bn1, bnf: running mean × c, running variance c²v + (c²−1)ε
///                     ((c·h − c·m)/√(c²v + c²ε) is unchanged: the branch input and the
///                      classifier's features are the same)
///     every fc2/conv2: × c                           (F_i(c·h) = c·F_i(h))
///     every projection shortcut: × c                 (it reads bn1's unchanged activation)
///
/// Every J_i and S_i is unchanged, δ_i → c·δ_i and w → w/c. In Float32 the means and weights
/// are exact for c a power of 2; each variance is rounded once.
public enum RepresentationRescaling {
  /// The fully-connected network (Types 1, 4a, 4b).
  public static func rescaled(_ model: ResidualNetwork<Float>, by c: Float)
    -> ResidualNetwork<Float>
  {
    var out = model
    (out.bn0, out.bnf) = (scalingOutput(model.bn0, by: c), scalingInput(model.bnf, by: c))
    for i in out.blocks.indices {
      out.blocks[i].bn1 = scalingInput(model.blocks[i].bn1, by: c)
      out.blocks[i].fc2 = model.blocks[i].fc2.scaled(by: c)
    }
    return out
  }

  /// The convolutional network (Types 2, 3, 5a, 5b): conv2 in place of fc2, and Type 3's
  /// projection shortcut (conv_s(ReLU(BN1(h))), BN1's output unchanged) × c.
  public static func rescaled(_ model: ConvolutionalNetwork<Float>, by c: Float)
    -> ConvolutionalNetwork<Float>
  {
    var out = model
    (out.bn0, out.bnf) = (scalingOutput(model.bn0, by: c), scalingInput(model.bnf, by: c))
    for i in out.blocks.indices {
      out.blocks[i].bn1 = scalingInput(model.blocks[i].bn1, by: c)
      out.blocks[i].conv2.weight = model.blocks[i].conv2.weight.scaled(by: c)
      if let shortcut = model.blocks[i].shortcut {
        out.blocks[i].shortcut!.weight = shortcut.weight.scaled(by: c)
      }
    }
    return out
  }

  /// Either kind.
  public static func rescaled(_ network: AnyResidualNetwork, by c: Float) -> AnyResidualNetwork {
    switch network {
    case .fullyConnected(let m): .fullyConnected(rescaled(m, by: c))
    case .convolutional(let m): .convolutional(rescaled(m, by: c))
    }
  }

  /// A BatchNorm whose output is c times the original's: γ, β × c.
  static func scalingOutput(_ bn: BatchNorm<Float>, by c: Float) -> BatchNorm<Float> {
    var bn = bn
    bn.weight = bn.weight.map { $0 * c }
    bn.bias = bn.bias.map { $0 * c }
    return bn
  }

  /// A BatchNorm (evaluation mode) with the same output on inputs c times the original's.
  static func scalingInput(_ bn: BatchNorm<Float>, by c: Float) -> BatchNorm<Float> {
    let epsilon = Double(BatchNorm<Float>.epsilon)
    var bn = bn
    bn.runningMean = bn.runningMean.map { $0 * c }
    bn.runningVariance = bn.runningVariance.map {
      Float(Double(c * c) * Double($0) + (Double(c * c) - 1) * epsilon)
    }
    return bn
  }
}
