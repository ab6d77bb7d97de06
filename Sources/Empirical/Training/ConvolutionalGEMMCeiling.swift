// Goals, in order of priority: exactly the sgemm calls of one convolutional training step as
// `ConvolutionalWorkspace` lowers them (shapes, transposes, the same chunks of images), on
// preallocated buffers and without the im2col/col2im copies, BatchNorm, ReLU or the update: the
// ceiling a convolutional trainer's step time is measured against.

import LinearAlgebra

/// The lowered matrix products of one training step of a convolutional network, back to back:
/// for every convolution (stem, conv1, conv2, shortcut) and every chunk of images, the forward
/// product weight·cols, the weight gradient dY·colsᵀ and (except for the stem) the input
/// gradient weightᵀ·dY; then the classifier's three small products.
public final class ConvolutionalGEMMCeiling: GEMMStepCeiling {
  struct Product {
    let outChannels: Int
    let patch: Int
    /// Output pixels per chunk, and the chunks' sizes in images.
    let pixelsPerImage: Int
    let chunks: [Int]
    let inputGradient: Bool
    let weights: ScalarBuffer<Float>
    let weightGradient: ScalarBuffer<Float>
  }

  let products: [Product]
  let cols: ScalarBuffer<Float>
  let output: ScalarBuffer<Float>
  let gradient: ScalarBuffer<Float>
  let classifier: (c: Int, features: Int, n: Int)
  let head: ScalarBuffer<Float>
  /// Floating-point operations of one step's products.
  public let flops: Double

  public init(model: ConvolutionalNetwork<Float>, batchSize: Int) {
    let n = batchSize
    var rng = SeededGenerator(seed: 1)
    func buffer(_ count: Int) -> ScalarBuffer<Float> { .ceilingOperand(count, using: &rng) }
    let shapes = model.representationShapes
    var layers: [(Convolution<Float>, Int, Bool)] = [(model.conv0, model.image.paddedSide, false)]
    for (i, b) in model.blocks.enumerated() {
      layers.append((b.conv1, shapes[i].side, true))
      layers.append((b.conv2, shapes[i + 1].side, true))
      if let s = b.shortcut { layers.append((s, shapes[i].side, true)) }
    }
    let capacity = LoweringScratch<Float>.capacity(
      for: layers.map(\.0), sides: layers.map(\.1), images: n)
    var flops = 0.0
    var largestOutput = 1
    var list = [Product]()
    for (conv, side, inputGradient) in layers {
      let out = conv.outputSide(side)
      let perImage = conv.patchSize * out * out
      let chunk = max(1, capacity / perImage)
      var chunks = [Int]()
      var first = 0
      while first < n {
        chunks.append(min(chunk, n - first))
        first += chunk
      }
      largestOutput = max(largestOutput, conv.outChannels * out * out * chunk)
      list.append(
        Product(
          outChannels: conv.outChannels, patch: conv.patchSize, pixelsPerImage: out * out,
          chunks: chunks, inputGradient: inputGradient,
          weights: buffer(conv.outChannels * conv.patchSize),
          weightGradient: buffer(conv.outChannels * conv.patchSize)))
      flops +=
        Double(inputGradient ? 3 : 2) * 2 * Double(conv.outChannels * conv.patchSize)
        * Double(out * out * n)
    }
    products = list
    cols = buffer(capacity)
    output = buffer(largestOutput)
    gradient = buffer(largestOutput)
    let cf = shapes[shapes.count - 1].channels
    classifier = (model.classCount, cf, n)
    head = buffer(max(model.classCount * cf, cf * n, model.classCount * n) * 3)
    flops += 3 * 2 * Double(model.classCount * cf * n)
    self.flops = flops
    runProducts()
  }

  /// Issues one step's products once.
  public func runProducts() {
    for p in products {
      for images in p.chunks {
        let columns = images * p.pixelsPerImage
        gemm(
          false, false, m: p.outChannels, n: columns, k: p.patch, p.weights.pointer,
          lda: p.outChannels, cols.pointer, ldb: p.patch, output.pointer, ldc: p.outChannels)
      }
    }
    for p in products.reversed() {
      for (k, images) in p.chunks.enumerated() {
        let columns = images * p.pixelsPerImage
        gemm(
          false, true, m: p.outChannels, n: p.patch, k: columns, gradient.pointer,
          lda: p.outChannels, cols.pointer, ldb: p.patch, beta: k == 0 ? 0 : 1,
          p.weightGradient.pointer, ldc: p.outChannels)
        if p.inputGradient {
          gemm(
            true, false, m: p.patch, n: columns, k: p.outChannels, p.weights.pointer,
            lda: p.outChannels, gradient.pointer, ldb: p.outChannels, cols.pointer, ldc: p.patch)
        }
      }
    }
    let (c, f, n) = classifier
    let w = head.pointer
    let a = head.pointer + c * f
    let z = head.pointer + c * f + f * n
    gemm(false, false, m: c, n: n, k: f, w, lda: c, a, ldb: f, z, ldc: c)
    gemm(false, true, m: c, n: f, k: n, z, lda: c, a, ldb: f, w, ldc: c)
    gemm(true, false, m: f, n: n, k: c, w, lda: c, z, ldb: c, a, ldc: f)
  }
}
