// Goals, in order of priority: `torch.nn.Conv2d` (bias = false) exactly — cross-correlation, no
// kernel flip, zero padding, integer stride — with the weights in the layout that makes the
// forward pass one gemm per chunk of images; conversion to and from PyTorch's [out, in, kh, kw].

import LinearAlgebra

/// A 2-D convolution without bias, as PyTorch's `Conv2d(in, out, k, stride, padding, bias=False)`:
///
///     y[o, p, q] = Σ_{c, a, b} W[o, c, a, b] · x[c, s·p − pad + a, s·q − pad + b]
///
/// (a cross-correlation; x is 0 outside the image). Square images and kernels only.
///
/// Layout (ujm's, documented in `ConvolutionalWorkspace`): activations are NHWC, i.e. a
/// column-major C × (W·H·N) matrix whose column (x, y, n) holds the C channels of one pixel.
/// The weights are the column-major C_out × (k·k·C_in) matrix `weight` whose column
/// (a·k + b)·C_in + c holds W[:, c, a, b]: the lowered (im2col) convolution is Y = weight · cols.
public struct Convolution<Scalar: BLASScalar>: Sendable, Equatable {
  /// C_in.
  public var inChannels: Int
  /// C_out.
  public var outChannels: Int
  /// k, the side of the kernel.
  public var kernel: Int
  /// s.
  public var stride: Int
  /// Zero padding on every side.
  public var padding: Int
  /// C_out × (k·k·C_in), column-major (see above).
  public var weight: Matrix<Scalar>

  public init(
    inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int,
    weight: Matrix<Scalar>? = nil
  ) {
    precondition(inChannels >= 1 && outChannels >= 1 && kernel >= 1 && stride >= 1 && padding >= 0)
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernel = kernel
    self.stride = stride
    self.padding = padding
    let w = weight ?? Matrix(rows: outChannels, columns: kernel * kernel * inChannels)
    precondition(
      w.rows == outChannels && w.columns == kernel * kernel * inChannels, "convolution weights")
    self.weight = w
  }

  /// k·k·C_in, the length of one lowered patch.
  public var patchSize: Int { kernel * kernel * inChannels }

  /// The side of the output for an input of side `side`: ⌊(side + 2·pad − k)/s⌋ + 1.
  public func outputSide(_ side: Int) -> Int { (side + 2 * padding - kernel) / stride + 1 }

  /// PyTorch's shape of the weight, [out, in, kh, kw].
  public var pytorchShape: [Int] { [outChannels, inChannels, kernel, kernel] }

  /// The weights in PyTorch's row-major [out, in, kh, kw] order.
  public var pytorchWeights: [Scalar] {
    var out = [Scalar](repeating: 0, count: weight.storage.count)
    let (k, cin, cout) = (kernel, inChannels, outChannels)
    for o in 0..<cout {
      for c in 0..<cin {
        for a in 0..<k {
          for b in 0..<k {
            out[((o * cin + c) * k + a) * k + b] =
              weight.storage[o + cout * ((a * k + b) * cin + c)]
          }
        }
      }
    }
    return out
  }

  /// Sets the weights from PyTorch's row-major [out, in, kh, kw] order.
  public mutating func setPyTorchWeights(_ values: [Scalar]) {
    precondition(values.count == weight.storage.count, "weight count")
    let (k, cin, cout) = (kernel, inChannels, outChannels)
    for o in 0..<cout {
      for c in 0..<cin {
        for a in 0..<k {
          for b in 0..<k {
            weight.mutableStorage[o + cout * ((a * k + b) * cin + c)] =
              values[((o * cin + c) * k + a) * k + b]
          }
        }
      }
    }
  }

  /// PyTorch's default initialisation (`kaiming_uniform_(a=√5)`): uniform on
  /// [−1/√fan_in, 1/√fan_in], fan_in = C_in·k·k, drawn in PyTorch's [out, in, kh, kw] order.
  public mutating func initialize(using generator: inout some RandomNumberGenerator) {
    let bound = 1 / Double(patchSize).squareRoot()
    setPyTorchWeights((0..<weight.storage.count).map { _ in Scalar(uniform(bound, &generator)) })
  }

  /// The same convolution in another precision.
  public func converted<Other: BLASScalar>(to: Other.Type = Other.self) -> Convolution<Other> {
    Convolution<Other>(
      inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
      padding: padding, weight: weight.converted())
  }
}
