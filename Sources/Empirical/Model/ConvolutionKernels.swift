// Goals, in order of priority: the convolution lowered to sgemm/dgemm (im2col: one gemm per
// chunk of images, the chunk sized so the lowered patches stay within a fixed scratch buffer);
// the same three products — forward, gradient of the input, gradient of the weights — for
// training (Float32), for the Jacobian products (Float64) and for the finite-difference tests;
// no allocation per call. Activations are NHWC (see `Convolution`).

import LinearAlgebra

/// The lowered patches of `images` NHWC images of side `side` (C_in channels): the column-major
/// (k·k·C_in) × (n·side_out²) matrix whose column (q, p, n) is the patch under output pixel
/// (p, q) of image n, entry (a·k + b)·C_in + c = x[c, s·p − pad + a, s·q − pad + b] (0 outside).
func im2col<Scalar: BLASScalar>(
  _ x: UnsafePointer<Scalar>, _ conv: Convolution<Scalar>, side: Int, images: Int,
  into cols: UnsafeMutablePointer<Scalar>
) {
  let (k, c, s, pad) = (conv.kernel, conv.inChannels, conv.stride, conv.padding)
  let out = conv.outputSide(side)
  let patch = conv.patchSize
  var column = cols
  for n in 0..<images {
    let image = x + n * side * side * c
    for p in 0..<out {
      for q in 0..<out {
        for a in 0..<k {
          let row = s * p - pad + a
          for b in 0..<k {
            let target = column + (a * k + b) * c
            let col = s * q - pad + b
            if row >= 0 && row < side && col >= 0 && col < side {
              target.update(from: image + (row * side + col) * c, count: c)
            } else {
              target.update(repeating: 0, count: c)
            }
          }
        }
        column += patch
      }
    }
  }
}

/// The adjoint of `im2col`: adds every patch entry back onto the pixel it came from.
func col2imAdding<Scalar: BLASScalar>(
  _ cols: UnsafePointer<Scalar>, _ conv: Convolution<Scalar>, side: Int, images: Int,
  into x: UnsafeMutablePointer<Scalar>
) {
  let (k, c, s, pad) = (conv.kernel, conv.inChannels, conv.stride, conv.padding)
  let out = conv.outputSide(side)
  let patch = conv.patchSize
  var column = cols
  for n in 0..<images {
    let image = x + n * side * side * c
    for p in 0..<out {
      for q in 0..<out {
        for a in 0..<k {
          let row = s * p - pad + a
          guard row >= 0 && row < side else { continue }
          for b in 0..<k {
            let col = s * q - pad + b
            guard col >= 0 && col < side else { continue }
            let source = column + (a * k + b) * c
            let target = image + (row * side + col) * c
            for ch in 0..<c { target[ch] += source[ch] }
          }
        }
        column += patch
      }
    }
  }
}

/// The largest number of scalars one chunk of lowered patches may take in the workspaces made
/// from now on (8M: 32 MiB in Float32, the default). Smaller chunks keep the patches in cache
/// between im2col and the sgemm that reads them; the result does not depend on it except through
/// the order in which ∂W sums its chunks. A tuning knob for benchmarks.
public enum ConvolutionLowering {
  nonisolated(unsafe) public static var chunkCapacity = 1 << 23
}

/// Scratch space for the lowered patches of a chunk of images.
final class LoweringScratch<Scalar: BLASScalar>: @unchecked Sendable {
  /// The largest number of scalars a chunk's patches may take (`ConvolutionLowering`).
  static var defaultCapacity: Int { ConvolutionLowering.chunkCapacity }
  let buffer: ScalarBuffer<Scalar>

  init(capacity: Int = defaultCapacity) { buffer = ScalarBuffer(count: capacity) }

  /// Images per chunk for `conv` at input side `side`: as many as fit, at least one.
  func imagesPerChunk(_ conv: Convolution<Scalar>, side: Int) -> Int {
    let perImage = conv.patchSize * conv.outputSide(side) * conv.outputSide(side)
    precondition(buffer.count >= perImage, "the lowering scratch must hold one image's patches")
    return buffer.count / Swift.max(1, perImage)
  }

  /// Room for the patches of `images` images of the largest of `convs` (at input sides
  /// `sides`), at most `defaultCapacity` unless one image needs more.
  static func capacity(for convs: [Convolution<Scalar>], sides: [Int], images: Int) -> Int {
    var perImage = 1
    for (conv, side) in zip(convs, sides) {
      perImage = Swift.max(perImage, conv.patchSize * conv.outputSide(side) * conv.outputSide(side))
    }
    let (all, overflow) = perImage.multipliedReportingOverflow(by: Swift.max(1, images))
    return Swift.max(perImage, overflow ? defaultCapacity : Swift.min(all, defaultCapacity))
  }
}

/// im2col of `images` images split by images across `parallelism` (each image's columns are
/// its own: the serial result).
func im2col<Scalar: BLASScalar>(
  _ x: UnsafePointer<Scalar>, _ conv: Convolution<Scalar>, side: Int, images: Int,
  into cols: UnsafeMutablePointer<Scalar>, parallelism: Parallelism
) {
  let out = conv.outputSide(side)
  let (inStride, colStride) = (side * side * conv.inChannels, conv.patchSize * out * out)
  parallelism.forEachRange(images) { r in
    im2col(
      x + r.lowerBound * inStride, conv, side: side, images: r.count,
      into: cols + r.lowerBound * colStride)
  }
}

/// y ← α·conv(x) + β·y for `images` NHWC images: per chunk, im2col and one gemm
/// (C_out × P) = weight (C_out × K) · cols (K × P).
func convolutionForward<Scalar: BLASScalar>(
  _ conv: Convolution<Scalar>, _ x: UnsafePointer<Scalar>, side: Int, images: Int,
  into y: UnsafeMutablePointer<Scalar>, alpha: Scalar = 1, beta: Scalar = 0,
  scratch: LoweringScratch<Scalar>, parallelism: Parallelism = .serial,
  profile: PassProfile? = nil
) {
  let out = conv.outputSide(side)
  let chunk = scratch.imagesPerChunk(conv, side: side)
  let (inStride, outStride) = (side * side * conv.inChannels, out * out * conv.outChannels)
  let cols = scratch.buffer.pointer
  conv.weight.storage.withUnsafeBufferPointer { w in
    var first = 0
    while first < images {
      let n = Swift.min(chunk, images - first)
      profile.time(.im2col) {
        im2col(
          x + first * inStride, conv, side: side, images: n, into: cols, parallelism: parallelism)
      }
      let flops = 2 * Double(conv.outChannels * conv.patchSize * n * out * out)
      profile.time(.convolutionForwardGEMM, flops: flops) {
        gemm(
          false, false, m: conv.outChannels, n: n * out * out, k: conv.patchSize, alpha: alpha,
          w.baseAddress!, lda: conv.outChannels, cols, ldb: conv.patchSize, beta: beta,
          y + first * outStride, ldc: conv.outChannels)
      }
      first += n
    }
  }
}

/// dx ← convᵀ(dy) (+ dx when `accumulate`): the gradient of the input, per chunk
/// cols = weightᵀ·dy, then `col2imAdding` (split by images: the serial result).
func convolutionBackwardData<Scalar: BLASScalar>(
  _ conv: Convolution<Scalar>, _ dy: UnsafePointer<Scalar>, side: Int, images: Int,
  into dx: UnsafeMutablePointer<Scalar>, accumulate: Bool, scratch: LoweringScratch<Scalar>,
  parallelism: Parallelism = .serial, profile: PassProfile? = nil
) {
  let out = conv.outputSide(side)
  let chunk = scratch.imagesPerChunk(conv, side: side)
  let (inStride, outStride) = (side * side * conv.inChannels, out * out * conv.outChannels)
  let colStride = conv.patchSize * out * out
  let cols = scratch.buffer.pointer
  conv.weight.storage.withUnsafeBufferPointer { w in
    var first = 0
    while first < images {
      let n = Swift.min(chunk, images - first)
      let flops = 2 * Double(conv.outChannels * conv.patchSize * n * out * out)
      profile.time(.convolutionDataGEMM, flops: flops) {
        gemm(
          true, false, m: conv.patchSize, n: n * out * out, k: conv.outChannels, w.baseAddress!,
          lda: conv.outChannels, dy + first * outStride, ldb: conv.outChannels, cols,
          ldc: conv.patchSize)
      }
      let target = dx + first * inStride
      profile.time(.col2im) {
        parallelism.forEachRange(n) { r in
          let images = target + r.lowerBound * inStride
          if !accumulate { images.update(repeating: 0, count: r.count * inStride) }
          col2imAdding(
            cols + r.lowerBound * colStride, conv, side: side, images: r.count, into: images)
        }
      }
      first += n
    }
  }
}

/// ∂W ← dy·colsᵀ summed over the images (overwrites `weightGradient`, C_out × K).
func convolutionBackwardWeights<Scalar: BLASScalar>(
  _ conv: Convolution<Scalar>, _ x: UnsafePointer<Scalar>, _ dy: UnsafePointer<Scalar>,
  side: Int, images: Int, into weightGradient: UnsafeMutablePointer<Scalar>,
  scratch: LoweringScratch<Scalar>, parallelism: Parallelism = .serial,
  profile: PassProfile? = nil
) {
  let out = conv.outputSide(side)
  let chunk = scratch.imagesPerChunk(conv, side: side)
  let (inStride, outStride) = (side * side * conv.inChannels, out * out * conv.outChannels)
  let cols = scratch.buffer.pointer
  var first = 0
  while first < images {
    let n = Swift.min(chunk, images - first)
    profile.time(.im2col) {
      im2col(
        x + first * inStride, conv, side: side, images: n, into: cols, parallelism: parallelism)
    }
    let flops = 2 * Double(conv.outChannels * conv.patchSize * n * out * out)
    profile.time(.convolutionWeightGEMM, flops: flops) {
      gemm(
        false, true, m: conv.outChannels, n: conv.patchSize, k: n * out * out,
        dy + first * outStride, lda: conv.outChannels, cols, ldb: conv.patchSize,
        beta: first == 0 ? 0 : 1, weightGradient, ldc: conv.outChannels)
    }
    first += n
  }
}

// MARK: - Image-parallel convolutions (issue 21)
//
// Each part of the worker pool lowers and multiplies its own images with a single-threaded
// sgemm on patches that stay in cache (`ConvolutionLowering.partChunkCapacity`), instead of
// OpenBLAS's threads splitting every product of a large chunk: no hand-off between threads
// inside a pass, and im2col/col2im run on every core. Forward and ∂input compute each output
// column from its own image only, and every part takes whole chunks of a fixed size, so every
// sgemm call has the same shape and data at any split (OpenBLAS's small-matrix kernels make a
// column's rounding depend on the call's shape). ∂W sums over the images:
// it is summed in a fixed number of image groups (each group's chunks in order, then the groups
// in order), so that it does not depend on the number of threads either.

extension ConvolutionLowering {
  /// At most this many scalars of lowered patches per chunk of one part (1 MiB in Float32: one
  /// 64-channel 16×16 image), at least one image.
  nonisolated(unsafe) public static var partChunkCapacity = 1 << 18
  /// The image groups ∂W is summed over.
  static var weightGroups: Int { 8 }
  /// Whether training's stride-1 3×3 convolutions take Winograd F(2×2, 3×3) (the default);
  /// off, the lowered product (a benchmark's baseline).
  nonisolated(unsafe) public static var winograd = true
}

/// Per-part lowering scratch, the ∂W group partials and the Winograd kernels of the
/// image-parallel convolutions.
final class ImageParallelScratch<Scalar: BLASScalar>: @unchecked Sendable {
  private var parts: [LoweringScratch<Scalar>] = []
  /// Scalars of one part's scratch: a chunk of lowered patches or of Winograd tile transforms.
  let capacity: Int
  /// `ConvolutionLowering.weightGroups` partial ∂W of the largest weight matrix.
  let partials: ScalarBuffer<Scalar>
  let largestWeights: Int
  /// The 16 transformed kernels of the current Winograd convolution (`winogradKernels`).
  let winogradKernels: ScalarBuffer<Scalar>
  /// As many zeros as the widest convolution has channels (the padding of a Winograd tile).
  let zeros: ScalarBuffer<Scalar>
  /// Whether the stride-1 3×3 convolutions take Winograd F(2×2, 3×3) (`winogradApplies`):
  /// training passes; evaluation keeps the lowered product.
  var usesWinograd = false

  /// Room for the convolutions `convs` at input sides `sides`, chunks of at most
  /// `chunkCapacity` scalars of patches or tile transforms (at least one image).
  init(
    for convs: [Convolution<Scalar>], sides: [Int],
    chunkCapacity: Int = ConvolutionLowering.partChunkCapacity
  ) {
    var perImage = 1
    var weights = 1
    var pairs = 1
    var channels = 1
    for (conv, side) in zip(convs, sides) {
      perImage = Swift.max(perImage, conv.patchSize * conv.outputSide(side) * conv.outputSide(side))
      if winogradApplies(conv, side: side) {
        perImage = Swift.max(perImage, winogradScratchPerImage(conv, side: side))
      }
      weights = Swift.max(weights, conv.outChannels * conv.patchSize)
      pairs = Swift.max(pairs, conv.outChannels * conv.inChannels)
      channels = Swift.max(channels, conv.outChannels, conv.inChannels)
    }
    capacity = Swift.max(perImage, chunkCapacity)
    largestWeights = weights
    partials = ScalarBuffer(
      count: ConvolutionLowering.weightGroups * Swift.max(weights, 16 * pairs))
    winogradKernels = ScalarBuffer(count: 16 * pairs)
    zeros = ScalarBuffer(count: channels)
  }

  /// One scratch per part (made on first use).
  func scratches(_ count: Int) -> [LoweringScratch<Scalar>] {
    while parts.count < count { parts.append(LoweringScratch(capacity: capacity)) }
    return parts
  }
}

/// Splits `images` into whole chunks of `chunk` images and runs `body(lower, upper, scratch)`
/// for each chunk with single-threaded BLAS, on the threads of `parallelism`, each taking the
/// next chunk left and using its own scratch: every sgemm has the same shape and data at any
/// split, and a thread that the machine's load holds back takes fewer chunks.
private func forEachImagePart<Scalar: BLASScalar>(
  chunk: Int, images: Int, scratch: ImageParallelScratch<Scalar>, parallelism: Parallelism,
  _ body: @escaping (_ lower: Int, _ upper: Int, LoweringScratch<Scalar>) -> Void
) {
  let chunks = (images + chunk - 1) / chunk
  let threads = Swift.max(1, Swift.min(parallelism.parts, chunks))
  let scratches = scratch.scratches(threads)
  BLASEnvironment.withThreads(1) {
    if threads == 1 { return body(0, images, scratches[0]) }
    parallelism.pool.run(parts: chunks, threads: threads) { c, thread in
      body(c * chunk, Swift.min(images, (c + 1) * chunk), scratches[thread])
    }
  }
}

/// Images per chunk of the lowered product of `conv` at input side `side` (fixed by the
/// scratch's capacity, whatever the split).
private func loweredChunk<Scalar: BLASScalar>(
  _ conv: Convolution<Scalar>, side: Int, _ scratch: ImageParallelScratch<Scalar>
) -> Int {
  scratch.scratches(1)[0].imagesPerChunk(conv, side: side)
}

/// y ← α·conv(x) + β·y (or, `transposed`, the gradient of the input) by Winograd F(2×2, 3×3),
/// each part of `parallelism` on its own whole chunks of images.
private func imageParallelWinograd<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, transposed: Bool, _ x: UnsafePointer<Scalar>, side: Int,
  images: Int, into y: UnsafeMutablePointer<Scalar>, alpha: Scalar, beta: Scalar,
  scratch: ImageParallelScratch<Scalar>, parallelism: Parallelism
) {
  let kernels = scratch.winogradKernels.pointer
  winogradKernels(conv, flipped: transposed, into: kernels)
  let chunk = Swift.max(1, scratch.capacity / winogradScratchPerImage(conv, side: side))
  let (inChannels, outChannels) =
    transposed ? (conv.outChannels, conv.inChannels) : (conv.inChannels, conv.outChannels)
  let pixels = side * side
  let zeros = UnsafePointer(scratch.zeros.pointer)
  forEachImagePart(
    chunk: chunk, images: images, scratch: scratch, parallelism: parallelism
  ) { lower, upper, partScratch in
    winogradConvolution(
      conv, kernels: kernels, transposed: transposed, x + lower * pixels * inChannels,
      side: side, images: upper - lower, imagesPerChunk: chunk,
      into: y + lower * pixels * outChannels, alpha: alpha, beta: beta,
      scratch: partScratch.buffer.pointer, zeros: zeros)
  }
}

/// y ← α·conv(x) + β·y, each part of `parallelism` on its own images (by Winograd where the
/// scratch's `usesWinograd` and `winogradApplies`).
func imageParallelForward<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, _ x: UnsafePointer<Scalar>, side: Int, images: Int,
  into y: UnsafeMutablePointer<Scalar>, alpha: Scalar = 1, beta: Scalar = 0,
  scratch: ImageParallelScratch<Scalar>, parallelism: Parallelism
) {
  if scratch.usesWinograd && ConvolutionLowering.winograd
    && winogradApplies(conv, side: side)
  {
    return imageParallelWinograd(
      conv, transposed: false, x, side: side, images: images, into: y, alpha: alpha, beta: beta,
      scratch: scratch, parallelism: parallelism)
  }
  let out = conv.outputSide(side)
  let (inStride, outStride) = (side * side * conv.inChannels, out * out * conv.outChannels)
  forEachImagePart(
    chunk: loweredChunk(conv, side: side, scratch), images: images, scratch: scratch,
    parallelism: parallelism
  ) { lower, upper, partScratch in
    convolutionForward(
      conv, x + lower * inStride, side: side, images: upper - lower,
      into: y + lower * outStride, alpha: alpha, beta: beta, scratch: partScratch)
  }
}

/// dx ← convᵀ(dy) (+ dx when `accumulate`), each part on its own images (by Winograd as
/// `imageParallelForward`).
func imageParallelBackwardData<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, _ dy: UnsafePointer<Scalar>, side: Int, images: Int,
  into dx: UnsafeMutablePointer<Scalar>, accumulate: Bool, scratch: ImageParallelScratch<Scalar>,
  parallelism: Parallelism
) {
  if scratch.usesWinograd && ConvolutionLowering.winograd
    && winogradApplies(conv, side: side)
  {
    return imageParallelWinograd(
      conv, transposed: true, dy, side: side, images: images, into: dx, alpha: 1,
      beta: accumulate ? 1 : 0, scratch: scratch, parallelism: parallelism)
  }
  let out = conv.outputSide(side)
  let (inStride, outStride) = (side * side * conv.inChannels, out * out * conv.outChannels)
  forEachImagePart(
    chunk: loweredChunk(conv, side: side, scratch), images: images, scratch: scratch,
    parallelism: parallelism
  ) { lower, upper, partScratch in
    convolutionBackwardData(
      conv, dy + lower * outStride, side: side, images: upper - lower,
      into: dx + lower * inStride, accumulate: accumulate, scratch: partScratch)
  }
}

/// ∂W ← Σ over the images of dy·colsᵀ (overwrites `weightGradient`): per image group (each on
/// one part, its chunks in order), then the groups summed in order, split by entries. By
/// Winograd (`winogradKernelGradient`, then Gᵀ ∂U G) as `imageParallelForward`.
func imageParallelBackwardWeights<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, _ x: UnsafePointer<Scalar>, _ dy: UnsafePointer<Scalar>,
  side: Int, images: Int, into weightGradient: UnsafeMutablePointer<Scalar>,
  scratch: ImageParallelScratch<Scalar>, parallelism: Parallelism
) {
  if scratch.usesWinograd && ConvolutionLowering.winograd
    && winogradApplies(conv, side: side)
  {
    return imageParallelWinogradWeights(
      conv, x, dy, side: side, images: images, into: weightGradient, scratch: scratch,
      parallelism: parallelism)
  }
  let out = conv.outputSide(side)
  let (inStride, outStride) = (side * side * conv.inChannels, out * out * conv.outChannels)
  let groups = Swift.max(1, Swift.min(ConvolutionLowering.weightGroups, images))
  let parts = Swift.max(1, Swift.min(parallelism.parts, groups))
  let scratches = scratch.scratches(parts)
  let count = conv.outChannels * conv.patchSize
  precondition(count <= scratch.largestWeights, "the scratch was made for smaller convolutions")
  let partials = scratch.partials.pointer
  BLASEnvironment.withThreads(1) {
    parallelism.pool.run(parts: groups, threads: parts) { g, thread in
      let (lower, upper) = (images * g / groups, images * (g + 1) / groups)
      convolutionBackwardWeights(
        conv, x + lower * inStride, dy + lower * outStride, side: side, images: upper - lower,
        into: partials + g * count, scratch: scratches[thread])
    }
  }
  parallelism.forEachRange(count, granule: 16, minimumPerPart: 1 << 12) { r in
    let target = weightGradient + r.lowerBound
    target.update(from: partials + r.lowerBound, count: r.count)
    for g in 1..<groups {
      let source = partials + g * count + r.lowerBound
      for k in 0..<r.count { target[k] += source[k] }
    }
  }
}

/// ∂W by Winograd: ∂U per image group (each on one part, its fixed chunks in order), the groups
/// summed in order and ∂g = Gᵀ ∂U G, split by entries (the same bits at any split).
private func imageParallelWinogradWeights<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, _ x: UnsafePointer<Scalar>, _ dy: UnsafePointer<Scalar>,
  side: Int, images: Int, into weightGradient: UnsafeMutablePointer<Scalar>,
  scratch: ImageParallelScratch<Scalar>, parallelism: Parallelism
) {
  let pixels = side * side
  let groups = Swift.max(1, Swift.min(ConvolutionLowering.weightGroups, images))
  let parts = Swift.max(1, Swift.min(parallelism.parts, groups))
  let scratches = scratch.scratches(parts)
  let size = conv.outChannels * conv.inChannels
  let count = 16 * size
  precondition(
    count <= scratch.winogradKernels.count, "the scratch was made for smaller convolutions")
  let chunk = Swift.max(1, scratch.capacity / winogradScratchPerImage(conv, side: side))
  let (partials, zeros) = (scratch.partials.pointer, UnsafePointer(scratch.zeros.pointer))
  let (inStride, outStride) = (pixels * conv.inChannels, pixels * conv.outChannels)
  BLASEnvironment.withThreads(1) {
    parallelism.pool.run(parts: groups, threads: parts) { g, thread in
      let (lower, upper) = (images * g / groups, images * (g + 1) / groups)
      winogradKernelGradient(
        conv, x + lower * inStride, dy + lower * outStride, side: side, images: upper - lower,
        imagesPerChunk: chunk, into: partials + g * count, accumulate: false,
        scratch: scratches[thread].buffer.pointer, zeros: zeros)
    }
  }
  let du = scratch.winogradKernels.pointer
  parallelism.forEachRange(size, granule: 16, minimumPerPart: 1 << 10) { r in
    for xi in 0..<16 {
      let target = du + xi * size + r.lowerBound
      target.update(from: partials + xi * size + r.lowerBound, count: r.count)
      for g in 1..<groups {
        let source = partials + g * count + xi * size + r.lowerBound
        for k in 0..<r.count { target[k] += source[k] }
      }
    }
    winogradKernelGradientToWeights(du, size: size, entries: r, into: weightGradient)
  }
}
