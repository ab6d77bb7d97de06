import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

/// A 3×3, stride-1, padding-1 convolution with PyTorch's initialisation and `images` NHWC
/// images of side `side` (uniform on [−1, 1]).
private func problem<Scalar: KernelScalar>(
  _ type: Scalar.Type, inChannels: Int, outChannels: Int, side: Int, images: Int, seed: UInt64
) -> (Convolution<Scalar>, x: [Scalar], dy: [Scalar]) {
  var rng = testGenerator(seed)
  var conv = Convolution<Double>(
    inChannels: inChannels, outChannels: outChannels, kernel: 3, stride: 1, padding: 1)
  conv.initialize(using: &rng)
  let x = (0..<(images * side * side * inChannels)).map { _ in Scalar(uniform(1, &rng)) }
  let dy = (0..<(images * side * side * outChannels)).map { _ in Scalar(uniform(1, &rng)) }
  return (conv.converted(), x, dy)
}

/// y ← α·conv(x) + β·y (or, `transposed`, the gradient of the input) by Winograd F(2×2, 3×3),
/// two images per chunk, starting from `initial`.
private func winograd<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, transposed: Bool, _ x: [Scalar], side: Int, images: Int,
  initial: [Scalar], beta: Scalar
) -> [Scalar] {
  let (cin, cout) = (conv.inChannels, conv.outChannels)
  let kernels = ScalarBuffer<Scalar>(count: 16 * cin * cout)
  winogradKernels(conv, flipped: transposed, into: kernels.pointer)
  let chunk = 2
  let scratch = ScalarBuffer<Scalar>(
    count: chunk * winogradScratchPerImage(conv, side: side))
  let zeros = ScalarBuffer<Scalar>(count: max(cin, cout))
  var y = initial
  x.withUnsafeBufferPointer { x in
    y.withUnsafeMutableBufferPointer { y in
      winogradConvolution(
        conv, kernels: kernels.pointer, transposed: transposed, x.baseAddress!, side: side,
        images: images, imagesPerChunk: chunk, into: y.baseAddress!, alpha: 1, beta: beta,
        scratch: scratch.pointer, zeros: zeros.pointer)
    }
  }
  return y
}

/// The lowered product (im2col + gemm, the algorithm Winograd replaces in training):
/// forward, or (`transposed`) the gradient of the input, added onto `initial` when `beta` = 1.
private func lowered<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, transposed: Bool, _ x: [Scalar], side: Int, images: Int,
  initial: [Scalar], beta: Scalar
) -> [Scalar] {
  let scratch = LoweringScratch<Scalar>(capacity: conv.patchSize * side * side * images)
  var y = initial
  x.withUnsafeBufferPointer { x in
    y.withUnsafeMutableBufferPointer { y in
      if transposed {
        convolutionBackwardData(
          conv, x.baseAddress!, side: side, images: images, into: y.baseAddress!,
          accumulate: beta == 1, scratch: scratch)
      } else {
        convolutionForward(
          conv, x.baseAddress!, side: side, images: images, into: y.baseAddress!, beta: beta,
          scratch: scratch)
      }
    }
  }
  return y
}

/// ∂W by Winograd (∂U over chunks of two images, then Gᵀ ∂U G) in `Convolution.weight`'s layout.
private func winogradWeightGradient<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, _ x: [Scalar], _ dy: [Scalar], side: Int, images: Int
) -> [Scalar] {
  let size = conv.inChannels * conv.outChannels
  let du = ScalarBuffer<Scalar>(count: 16 * size)
  let scratch = ScalarBuffer<Scalar>(count: 2 * winogradScratchPerImage(conv, side: side))
  let zeros = ScalarBuffer<Scalar>(count: max(conv.inChannels, conv.outChannels))
  var dw = [Scalar](repeating: 0, count: 9 * size)
  x.withUnsafeBufferPointer { x in
    dy.withUnsafeBufferPointer { dy in
      winogradKernelGradient(
        conv, x.baseAddress!, dy.baseAddress!, side: side, images: images, imagesPerChunk: 2,
        into: du.pointer, accumulate: false, scratch: scratch.pointer, zeros: zeros.pointer)
    }
  }
  dw.withUnsafeMutableBufferPointer { dw in
    winogradKernelGradientToWeights(
      du.pointer, size: size, entries: 0..<size, into: dw.baseAddress!)
  }
  return dw
}

/// ∂W by the lowered product (im2col + gemm).
private func loweredWeightGradient<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, _ x: [Scalar], _ dy: [Scalar], side: Int, images: Int
) -> [Scalar] {
  let scratch = LoweringScratch<Scalar>(capacity: conv.patchSize * side * side * images)
  var dw = [Scalar](repeating: 0, count: conv.weight.storage.count)
  x.withUnsafeBufferPointer { x in
    dy.withUnsafeBufferPointer { dy in
      dw.withUnsafeMutableBufferPointer { dw in
        convolutionBackwardWeights(
          conv, x.baseAddress!, dy.baseAddress!, side: side, images: images,
          into: dw.baseAddress!, scratch: scratch)
      }
    }
  }
  return dw
}

@Suite("Issue 21: Winograd F(2×2, 3×3) is the lowered convolution to floating-point rounding")
struct WinogradConvolutionTests {
  /// Channel counts below, at and above a SIMD lane's 8, and a side of 2 (one tile: every
  /// input tile touches the padding).
  @Test(arguments: [(3, 5, 6), (16, 8, 4), (12, 20, 2)])
  func forwardAndInputGradientAreTheLoweredProductInFloat64(
    inChannels: Int, outChannels: Int, side: Int
  ) {
    let images = 3
    let (conv, x, dy) = problem(
      Double.self, inChannels: inChannels, outChannels: outChannels, side: side,
      images: images, seed: UInt64(inChannels * 100 + side))
    var rng = testGenerator(7)
    let y0 = (0..<dy.count).map { _ in uniform(1, &rng) }
    let dx0 = (0..<x.count).map { _ in uniform(1, &rng) }
    for beta in [0.0, 1.0] {
      let forward = relativeError(
        winograd(conv, transposed: false, x, side: side, images: images, initial: y0, beta: beta),
        lowered(conv, transposed: false, x, side: side, images: images, initial: y0, beta: beta))
      let data = relativeError(
        winograd(conv, transposed: true, dy, side: side, images: images, initial: dx0, beta: beta),
        lowered(conv, transposed: true, dy, side: side, images: images, initial: dx0, beta: beta))
      print(
        "C_in \(inChannels), C_out \(outChannels), side \(side), β \(beta): relative "
          + "|Winograd − lowered| forward \(forward), ∂input \(data); tolerance 1e-13")
      #expect(forward < 1e-13)
      #expect(data < 1e-13)
    }
  }

  /// Float32 Winograd against the Float64 lowered product: within a small multiple of the
  /// Float32 lowered product's own rounding error.
  @Test func float32ErrorIsTheLoweredProductsOrder() {
    let (side, images) = (16, 2)
    let (conv64, x64, dy64) = problem(
      Double.self, inChannels: 64, outChannels: 64, side: side, images: images, seed: 21)
    let conv32: Convolution<Float> = conv64.converted()
    let (x32, dy32) = (x64.map { Float($0) }, dy64.map { Float($0) })
    for transposed in [false, true] {
      let (input64, input32) = transposed ? (dy64, dy32) : (x64, x32)
      let count = transposed ? x64.count : dy64.count
      let exact = lowered(
        conv64, transposed: transposed, input64, side: side, images: images,
        initial: [Double](repeating: 0, count: count), beta: 0)
      let zeros = [Float](repeating: 0, count: count)
      let fast = winograd(
        conv32, transposed: transposed, input32, side: side, images: images, initial: zeros,
        beta: 0
      ).map { Double($0) }
      let reference = lowered(
        conv32, transposed: transposed, input32, side: side, images: images, initial: zeros,
        beta: 0
      ).map { Double($0) }
      let (winogradError, loweredError) = (
        relativeError(fast, exact), relativeError(reference, exact)
      )
      print(
        "Float32, 64 channels, side 16, \(transposed ? "∂input" : "forward"): relative error "
          + "Winograd \(winogradError), lowered \(loweredError); tolerance 4 × lowered + 1e-7")
      #expect(winogradError < 4 * loweredError + 1e-7)
    }
  }

  @Test(arguments: [(3, 5, 6), (16, 8, 4), (12, 20, 2)])
  func weightGradientIsTheLoweredProductInFloat64(inChannels: Int, outChannels: Int, side: Int) {
    let images = 5
    let (conv, x, dy) = problem(
      Double.self, inChannels: inChannels, outChannels: outChannels, side: side,
      images: images, seed: UInt64(inChannels * 10 + side))
    let error = relativeError(
      winogradWeightGradient(conv, x, dy, side: side, images: images),
      loweredWeightGradient(conv, x, dy, side: side, images: images))
    print(
      "C_in \(inChannels), C_out \(outChannels), side \(side): relative |Winograd − lowered| "
        + "∂W \(error); tolerance 1e-13")
    #expect(error < 1e-13)
  }

  @Test func float32WeightGradientErrorIsTheLoweredProductsOrder() {
    let (side, images) = (16, 4)
    let (conv64, x64, dy64) = problem(
      Double.self, inChannels: 64, outChannels: 64, side: side, images: images, seed: 22)
    let conv32: Convolution<Float> = conv64.converted()
    let (x32, dy32) = (x64.map { Float($0) }, dy64.map { Float($0) })
    let exact = loweredWeightGradient(conv64, x64, dy64, side: side, images: images)
    let fast = winogradWeightGradient(conv32, x32, dy32, side: side, images: images).map {
      Double($0)
    }
    let reference = loweredWeightGradient(conv32, x32, dy32, side: side, images: images).map {
      Double($0)
    }
    let (winogradError, loweredError) = (
      relativeError(fast, exact), relativeError(reference, exact)
    )
    print(
      "Float32, 64 channels, side 16, ∂W: relative error Winograd \(winogradError), lowered "
        + "\(loweredError); tolerance 4 × lowered + 1e-7")
    #expect(winogradError < 4 * loweredError + 1e-7)
  }

  /// The check fails on a wrong algorithm: the unflipped kernels for the gradient of the input.
  @Test func anUnflippedKernelIsCaught() {
    let (side, images) = (4, 2)
    let (conv, _, dy) = problem(
      Double.self, inChannels: 3, outChannels: 4, side: side, images: images, seed: 5)
    let (cin, cout) = (conv.inChannels, conv.outChannels)
    let kernels = ScalarBuffer<Double>(count: 16 * cin * cout)
    winogradKernels(conv, flipped: false, into: kernels.pointer)
    let scratch = ScalarBuffer<Double>(count: images * winogradScratchPerImage(conv, side: side))
    let zeros = ScalarBuffer<Double>(count: max(cin, cout))
    var dx = [Double](repeating: 0, count: images * side * side * cin)
    dy.withUnsafeBufferPointer { dy in
      dx.withUnsafeMutableBufferPointer { dx in
        winogradConvolution(
          conv, kernels: kernels.pointer, transposed: true, dy.baseAddress!, side: side,
          images: images, imagesPerChunk: images, into: dx.baseAddress!, alpha: 1, beta: 0,
          scratch: scratch.pointer, zeros: zeros.pointer)
      }
    }
    let error = relativeError(
      dx,
      lowered(
        conv, transposed: true, dy, side: side, images: images,
        initial: [Double](repeating: 0, count: dx.count), beta: 0))
    print("unflipped kernels for ∂input: relative error \(error), must exceed 1e-13")
    #expect(error > 1e-13)
  }
}
