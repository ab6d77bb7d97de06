import LinearAlgebra

@testable import Empirical

extension ConvolutionalNetwork where Scalar == Double {
  /// Moves every BatchNorm layer off its initial state (γ and β by up to ±0.5, running mean up
  /// to ±0.3, running variance 1 ± 0.5), so that evaluation mode is not a near-identity: the
  /// tiny networks of the backpropagation, Jacobian and Neural Collapse tests.
  mutating func perturbBatchNorms(using rng: inout some RandomNumberGenerator) {
    func perturb(_ n: inout BatchNorm<Double>) {
      for k in n.weight.indices {
        n.weight[k] += uniform(0.5, &rng)
        n.bias[k] += uniform(0.5, &rng)
        n.runningMean[k] = uniform(0.3, &rng)
        n.runningVariance[k] = 1 + uniform(0.5, &rng)
      }
    }
    perturb(&bn0)
    for i in blocks.indices {
      perturb(&blocks[i].bn1)
      perturb(&blocks[i].bn2)
    }
    perturb(&bnf)
  }
}
