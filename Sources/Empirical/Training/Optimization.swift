import Foundation
import LinearAlgebra

/// Stochastic gradient descent with momentum and weight decay, as PyTorch's `torch.optim.SGD`
/// (dampening 0, no Nesterov): for every parameter p with gradient g and momentum buffer v,
///
///     g ← g + λ·p,   v ← μ·v + g,   p ← p − η·v
///
/// (the buffer starts at zero, so the first step sets v = g as PyTorch does). With the scope
/// `.all` (PyTorch's default, the paper's set-up) weight decay λ applies to every parameter,
/// BatchNorm's and the classifier bias included; with `.noNorm` to every parameter but
/// BatchNorm's γ and β; with `.weights` only to the linear and convolutional layers' weight
/// matrices (λ = 0 for the rest).
public struct StochasticGradientDescent: Sendable, Equatable, Codable {
  /// μ.
  public var momentum: Double
  /// λ.
  public var weightDecay: Double
  /// Which parameters λ applies to.
  public var weightDecayScope: WeightDecayScope

  public init(
    momentum: Double = 0.9, weightDecay: Double, weightDecayScope: WeightDecayScope = .all
  ) {
    self.momentum = momentum
    self.weightDecay = weightDecay
    self.weightDecayScope = weightDecayScope
  }

  /// One update of `model` with `gradients` at learning rate η, in place.
  public func update<Scalar: KernelScalar>(
    _ model: inout ResidualNetwork<Scalar>, gradients: ResidualNetwork<Scalar>,
    momentumBuffers: inout ResidualNetwork<Scalar>, learningRate: Double
  ) {
    model.forEachParameter(gradients, &momentumBuffers) { p, g, v, kind in
      step(&p, g, &v, kind: kind, learningRate: learningRate)
    }
  }

  /// One update of a network of either kind (buffers of the same kind), in place.
  public func update(
    _ network: inout AnyResidualNetwork, gradients: AnyResidualNetwork,
    momentumBuffers: inout AnyResidualNetwork, learningRate: Double
  ) {
    update(
      &network, gradients: gradients, momentumBuffers: &momentumBuffers,
      learningRate: learningRate, parallelism: .serial)
  }

  /// The same, each parameter array split into ranges across `parallelism`'s parts (every
  /// entry's update is independent of the others': the serial result at any split).
  func update(
    _ network: inout AnyResidualNetwork, gradients: AnyResidualNetwork,
    momentumBuffers: inout AnyResidualNetwork, learningRate: Double, parallelism: Parallelism
  ) {
    network.forEachParameter(gradients, &momentumBuffers) { p, g, v, kind in
      step(&p, g, &v, kind: kind, learningRate: learningRate, parallelism: parallelism)
    }
  }

  /// g ← g + λ·p, v ← μ·v + g, p ← p − η·v for one parameter array (λ = 0 outside the scope),
  /// in one pass over p, g and v.
  private func step<Scalar: KernelScalar>(
    _ p: inout [Scalar], _ g: [Scalar], _ v: inout [Scalar], kind: ParameterKind,
    learningRate: Double, parallelism: Parallelism = .serial
  ) {
    let mu = Scalar(momentum)
    let eta = Scalar(learningRate)
    let lambda = Scalar(weightDecayScope.includes(kind) ? weightDecay : 0)
    p.withUnsafeMutableBufferPointer { pp in
      g.withUnsafeBufferPointer { gg in
        v.withUnsafeMutableBufferPointer { vv in
          let (pp, gg, vv) = (pp.baseAddress!, gg.baseAddress!, vv.baseAddress!)
          parallelism.for(values: g.count).forEachRange(
            g.count, granule: 16, minimumPerPart: 1 << 14
          ) { r in
            momentumStep(
              pp + r.lowerBound, gg + r.lowerBound, vv + r.lowerBound, count: r.count, mu: mu,
              eta: eta, lambda: lambda)
          }
        }
      }
    }
  }
}

/// v ← μ·v + (g + λ·p), p ← p − η·v on `count` entries, eight to a vector.
func momentumStep<Scalar: KernelScalar>(
  _ p: UnsafeMutablePointer<Scalar>, _ g: UnsafePointer<Scalar>, _ v: UnsafeMutablePointer<Scalar>,
  count n: Int, mu: Scalar, eta: Scalar, lambda: Scalar
) {
  let vectorEnd = n - n % 8
  var k = 0
  while k < vectorEnd {
    let p8 = load8(p, k)
    let velocity = mu * load8(v, k) + (load8(g, k) + lambda * p8)
    store8(velocity, v, k)
    store8(p8 - eta * velocity, p, k)
    k += 8
  }
  while k < n {
    let velocity = mu * v[k] + (g[k] + lambda * p[k])
    v[k] = velocity
    p[k] -= eta * velocity
    k += 1
  }
}

/// Which parameters weight decay applies to (`ujm train --weight-decay-scope`).
public enum WeightDecayScope: String, Sendable, Codable, CaseIterable {
  /// Every parameter: PyTorch's default for `SGD(model.parameters(), weight_decay=λ)`.
  case all
  /// The linear and convolutional layers' weight matrices only (no BatchNorm parameters, no
  /// biases).
  case weights
  /// Every parameter except BatchNorm's scales γ and shifts β: weights and biases (the
  /// classifier's bias included), as the common `no_decay = ["bn", "norm"]` parameter groups do.
  case noNorm = "no-norm"

  /// Whether λ applies to a parameter of this kind.
  public func includes(_ kind: ParameterKind) -> Bool {
    switch self {
    case .all: true
    case .weights: kind == .weight
    case .noNorm: kind != .normalization
    }
  }
}

/// Cosine annealing stepped once per epoch, as PyTorch's `CosineAnnealingLR(T_max: E,
/// eta_min: 0)`: η_e = η₀·(1 + cos(π·e/E))/2 for epoch e = 0…E−1.
public func cosineLearningRate(base: Double, epoch: Int, epochs: Int) -> Double {
  guard epochs > 0 else { return base }
  return base * (1 + cos(Double.pi * Double(epoch) / Double(epochs))) / 2
}

/// A uniformly random permutation of 0..<n by Fisher–Yates with unbiased bounded draws, so that
/// the order depends only on the generator's stream (not on the standard library's algorithm).
public func randomPermutation(
  _ n: Int, using generator: inout some RandomNumberGenerator
) -> [Int] {
  var order = Array(0..<n)
  if n < 2 { return order }
  for i in stride(from: n - 1, to: 0, by: -1) {
    let bound = UInt64(i + 1)
    let threshold = (0 &- bound) % bound
    var r = generator.next()
    while r < threshold { r = generator.next() }
    order.swapAt(i, Int(r % bound))
  }
  return order
}
