// Goals: the BatchNorm bookkeeping of backpropagation and of the running statistics written once
// for the fully-connected and the convolutional workspaces (bit for bit what each did before);
// the layers' own products (sgemm, lowered convolutions) stay in each workspace.

import LinearAlgebra

/// Where a BatchNorm layer sits: BN₀, BN_f, or BN1/BN2 of block i.
enum NormLocation {
  case stem, head
  case first(Int)
  case second(Int)
}

extension PreActivationParameters {
  /// In-place access to the BatchNorm at `location` (no copy, no allocation).
  mutating func withNorm(at location: NormLocation, _ body: (inout BatchNorm<Scalar>) -> Void) {
    switch location {
    case .stem: body(&bn0)
    case .head: body(&bnf)
    case .first(let i): body(&blocks[i].bn1)
    case .second(let i): body(&blocks[i].bn2)
    }
  }

  /// Sets block i's γ1, β1, W1, γ2, β2, W2 to zero (the gradient of a dropped block).
  mutating func zeroBlockParameters(_ i: Int) {
    func zero(_ a: inout [Scalar]) { a.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
    zero(&blocks[i].bn1.weight)
    zero(&blocks[i].bn1.bias)
    zero(&blocks[i].firstWeight)
    zero(&blocks[i].bn2.weight)
    zero(&blocks[i].bn2.bias)
    zero(&blocks[i].secondWeight)
  }
}

/// The training buffers of a pre-activation network (`NetworkWorkspace`,
/// `ConvolutionalWorkspace`): the batch statistics of BN₀, then per block BN1, BN2, then BN_f,
/// and the gradients of the last backward pass.
protocol PreActivationWorkspace: AnyObject {
  associatedtype Scalar: KernelScalar
  associatedtype Network: PreActivationParameters where Network.Scalar == Scalar
  var depth: Int { get }
  var statistics: [BatchStatistics<Scalar>] { get }
  /// Which blocks the last training forward pass dropped.
  var dropped: [Bool] { get }
  var gradients: Network { get set }
  var parallelism: Parallelism { get }
  var profile: PassProfile? { get }
  /// The values per feature that representation i's BatchNorm normalises over: B for a
  /// fully-connected network, W·H·B for a convolutional one.
  func valuesPerFeature(at i: Int) -> Int
}

extension PreActivationWorkspace {
  /// Backpropagation through a = ReLU(BN(x)) of the BatchNorm `index` (statistics) at
  /// `location` (gradient): dx (+)= ∂loss/∂x from da, and ∂γ, ∂β into `gradients` (ReLU's
  /// gate recomputed from x and the forward pass's statistics).
  func normReLUBackward(
    _ norm: BatchNorm<Scalar>, _ index: Int, x: UnsafePointer<Scalar>,
    da: UnsafePointer<Scalar>, dx: UnsafeMutablePointer<Scalar>, features: Int, count: Int,
    accumulate: Bool, gradient location: NormLocation
  ) {
    let (stats, parallelism, profile) = (statistics[index], parallelism, profile)
    gradients.withNorm(at: location) { g in
      norm.weight.withUnsafeBufferPointer { w in
        g.weight.withUnsafeMutableBufferPointer { gw in
          g.bias.withUnsafeMutableBufferPointer { gb in
            profile.time(.batchNormReLUBackward) {
              batchNormReLUBackward(
                x: x, da: da, dx: dx, accumulate: accumulate, features: features,
                count: count, weight: w.baseAddress!, stats: stats,
                weightGradient: gw.baseAddress!, biasGradient: gb.baseAddress!,
                parallelism: parallelism)
            }
          }
        }
      }
    }
  }

  /// Moves each BatchNorm's running statistics towards the last training batch's (the blocks
  /// dropped left alone): m ← 0.9·m + 0.1·μ, v ← 0.9·v + 0.1·σ²·n/(n − 1) with n the values per
  /// feature (unbiased, as PyTorch's BatchNorm1d and BatchNorm2d), and counts the batch.
  func updateRunningStatistics(_ model: inout Network) {
    func update(_ norm: inout BatchNorm<Scalar>, _ index: Int, values n: Int) {
      let stats = statistics[index]
      let m = BatchNorm<Scalar>.momentum
      let unbias = n > 1 ? Scalar(n) / Scalar(n - 1) : 1
      norm.runningMean.withUnsafeMutableBufferPointer { rm in
        norm.runningVariance.withUnsafeMutableBufferPointer { rv in
          for f in 0..<rm.count {
            rm[f] = (1 - m) * rm[f] + m * stats.mean.pointer[f]
            rv[f] = (1 - m) * rv[f] + m * stats.variance.pointer[f] * unbias
          }
        }
      }
      norm.batchesTracked += 1
    }
    update(&model.bn0, 0, values: valuesPerFeature(at: 0))
    for i in 0..<depth where !dropped[i] {
      update(&model.blocks[i].bn1, 1 + 2 * i, values: valuesPerFeature(at: i))
      update(&model.blocks[i].bn2, 2 + 2 * i, values: valuesPerFeature(at: i + 1))
    }
    update(&model.bnf, 2 * depth + 1, values: valuesPerFeature(at: depth))
  }
}

extension NetworkWorkspace: PreActivationWorkspace {
  func valuesPerFeature(at i: Int) -> Int { count }
}

extension ConvolutionalWorkspace: PreActivationWorkspace {
  func valuesPerFeature(at i: Int) -> Int { columns(i) }
}
