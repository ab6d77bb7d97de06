// Goals, in order of priority: backpropagation exactly through the structure of
// `ConvolutionalNetwork` (checked against finite differences in Float64); every convolution
// lowered to one gemm per chunk of images on preallocated buffers; the BatchNorm, ReLU and
// cross-entropy kernels of the fully-connected network reused unchanged (NHWC makes
// BatchNorm2d the same loop as BatchNorm1d: C features, W·H·N columns); an evaluation mode that
// keeps only two representations alive (Neural Collapse at D = 16,384 over many batches).
//
// Layout: every activation is NHWC, a column-major C × (W·H·N) matrix: the channels of a pixel
// are contiguous, then x, then y, then the image. One image's representation h_i is therefore
// the vector with entry c + C·(x + S·y) — PyTorch's CHW flattening permuted (an orthogonal
// change of basis: singular values and alignment measures are unchanged).

import LinearAlgebra

/// Preallocated buffers for forward and backward passes of one convolutional network shape on
/// batches of up to `capacity` images, and the gradients of the last backward pass.
final class ConvolutionalWorkspace<Scalar: KernelScalar>:
  PreActivationBuffers<ConvolutionalNetwork<Scalar>>, @unchecked Sendable
{
  let image: ConvolutionalInput
  /// (channels, side) of h₁…h_{L+1}.
  let shapes: [(channels: Int, side: Int)]
  /// Whether every block's activations are kept (training); otherwise buffers are shared.
  let keepsActivations: Bool
  let pooled: ScalarBuffer<Scalar>
  let gradientA: ScalarBuffer<Scalar>
  let gradientB: ScalarBuffer<Scalar>
  let lowering: LoweringScratch<Scalar>
  let imageParallelScratch: ImageParallelScratch<Scalar>

  /// `parallelism` defaults to the BLAS thread count when the workspace is made.
  init(
    model: ConvolutionalNetwork<Scalar>, capacity: Int, keepsActivations: Bool = true,
    parallelism: Parallelism = .matchingBLAS,
    chunkCapacity: Int = ConvolutionLowering.partChunkCapacity
  ) {
    image = model.image
    let shapes = model.representationShapes
    self.shapes = shapes
    self.keepsActivations = keepsActivations
    let n = capacity
    let p = image.paddedSide
    let sizes = shapes.map { $0.channels * $0.side * $0.side * n }
    let features = shapes.map { $0.channels }
    let depth = model.depth
    let finalChannels = shapes[depth].channels
    pooled = ScalarBuffer(count: finalChannels * n)
    let gradientSize = keepsActivations ? sizes.max()! : 1
    gradientA = ScalarBuffer(count: gradientSize)
    gradientB = ScalarBuffer(count: gradientSize)
    var convs = [model.conv0]
    var sides = [p]
    for (i, b) in model.blocks.enumerated() {
      convs += [b.conv1, b.conv2] + (b.shortcut.map { [$0] } ?? [])
      sides += [shapes[i].side, shapes[i + 1].side] + (b.shortcut == nil ? [] : [shapes[i].side])
    }
    lowering = LoweringScratch(
      capacity: LoweringScratch.capacity(for: convs, sides: sides, images: n))
    imageParallelScratch = ImageParallelScratch(
      for: convs, sides: sides, chunkCapacity: chunkCapacity)
    super.init(
      model: model, capacity: capacity, classCount: model.classCount,
      inputCount: image.channels * p * p * n, sizes: sizes, features: features,
      keepsActivations: keepsActivations, parallelism: parallelism)
  }

  /// Copies `count` examples (CHW features, n₀ each) into the padded NHWC input buffer.
  func loadInput<Source: BinaryFloatingPoint>(
    _ features: UnsafePointer<Source>, count: Int, as: Source.Type = Source.self
  ) {
    precondition(count >= 1 && count <= capacity, "batch of \(count) exceeds \(capacity)")
    let featureCount = image.featureCount
    profile.time(.input) {
      parallelism.forEachRange(count, minimumPerPart: 8) { r in
        for b in r { self.loadImage(features + b * featureCount, at: b) }
      }
    }
    self.count = count
  }

  /// Gathers examples `indices` of `features` (n₀ each) into the input buffer.
  func gatherInput(_ features: UnsafePointer<Float>, indices: ArraySlice<Int>) {
    precondition(indices.count >= 1 && indices.count <= capacity, "batch exceeds capacity")
    let featureCount = image.featureCount
    let start = indices.startIndex
    profile.time(.input) {
      parallelism.forEachRange(indices.count, minimumPerPart: 8) { r in
        for b in r { self.loadImage(features + indices[start + b] * featureCount, at: b) }
      }
    }
    count = indices.count
  }

  /// One CHW image into slot `b` of the NHWC input, inside its zero border (which is never
  /// written, so it stays 0).
  private func loadImage<Source: BinaryFloatingPoint>(_ source: UnsafePointer<Source>, at b: Int) {
    let (c, s, pad, p) = (image.channels, image.side, image.padding, image.paddedSide)
    let target = input.pointer + b * c * p * p
    for ch in 0..<c {
      for y in 0..<s {
        for x in 0..<s {
          target[((y + pad) * p + x + pad) * c + ch] = Scalar(source[(ch * s + y) * s + x])
        }
      }
    }
  }

  /// Columns of one activation of h_i's shape in the current batch.
  func columns(_ i: Int) -> Int { shapes[i].side * shapes[i].side * count }

  /// The forward pass on the loaded input. Training mode: batch statistics, blocks in `drop`
  /// skipped (h_{i+1} = h_i). Evaluation mode: running statistics, droppable branches scaled by
  /// 1 − p. `visit(i, H, rows)` sees h_i (rows = C·S², one column per image) for i = 1…L+1 as
  /// soon as it is computed, then the pooled classifier input (i = L+2).
  func forward(
    _ model: ConvolutionalNetwork<Scalar>, training: Bool, drop: [Bool]? = nil,
    visit: (Int, UnsafePointer<Scalar>, Int) -> Void
  ) {
    precondition(model.depth == depth && model.image == image, "model does not fit workspace")
    precondition(training ? keepsActivations : true, "training needs every activation")
    let n = count
    for i in 0..<depth { dropped[i] = drop?[i] ?? false }
    // Winograd F(2×2, 3×3) for training's stride-1 3×3 convolutions; evaluation stays lowered.
    imageParallelScratch.usesWinograd = training
    forwardConvolution(
      model.conv0, input.pointer, side: image.paddedSide, images: n, into: z0.pointer,
      scratch: lowering, parallelism: parallelism, profile: profile)
    normReLU(
      model.bn0, 0, z0.pointer, into: hidden[0].pointer, features: shapes[0].channels,
      count: columns(0), training: training)
    visit(1, hidden[0].pointer, shapes[0].channels * shapes[0].side * shapes[0].side)
    for i in 0..<depth {
      let block = model.blocks[i]
      let h = hidden[i].pointer
      let next = hidden[i + 1].pointer
      let (cin, side) = shapes[i]
      let (cout, sideOut) = shapes[i + 1]
      let outSize = cout * sideOut * sideOut * n
      if dropped[i] {
        copy(h, into: next, count: outSize)
      } else {
        // An identity skip: h_{i+1} ← h_i in BN1's pass over h_i; conv2 adds onto it.
        let identity = block.shortcut == nil && model.skips
        normReLU(
          block.bn1, 1 + 2 * i, h, into: a1[i].pointer, features: cin,
          count: columns(i), training: training, copy: identity ? next : nil)
        forwardConvolution(
          block.conv1, a1[i].pointer, side: side, images: n, into: z1[i].pointer,
          scratch: lowering, parallelism: parallelism, profile: profile)
        normReLU(
          block.bn2, 2 + 2 * i, z1[i].pointer, into: a2[i].pointer, features: cout,
          count: columns(i + 1), training: training)
        var beta: Scalar = 0
        if let shortcut = block.shortcut {
          forwardConvolution(
            shortcut, a1[i].pointer, side: side, images: n, into: next, scratch: lowering,
            parallelism: parallelism, profile: profile)
          beta = 1
        } else if identity {
          beta = 1
        }
        let scale = training || !model.droppable(i) ? 1 : Scalar(1 - model.dropPath)
        forwardConvolution(
          block.conv2, a2[i].pointer, side: sideOut, images: n, into: next, alpha: scale,
          beta: beta, scratch: lowering, parallelism: parallelism, profile: profile)
      }
      visit(i + 2, next, cout * sideOut * sideOut)
    }
    let (cf, sf) = shapes[depth]
    normReLU(
      model.bnf, 2 * depth + 1, hidden[depth].pointer, into: af.pointer, features: cf,
      count: columns(depth), training: training)
    // Global average pooling: pooled[c, n] = Σ_pixels af[c, pixel, n] / S².
    let pixels = sf * sf
    let inverse = 1 / Scalar(pixels)
    let (pooled, af) = (self.pooled.pointer, self.af.pointer)
    profile.time(.head) {
      parallelism.forEachRange(n, minimumPerPart: 8) { r in
        for b in r {
          let out = pooled + b * cf
          out.update(repeating: 0, count: cf)
          let source = af + b * pixels * cf
          for q in 0..<pixels {
            for c in 0..<cf { out[c] += source[q * cf + c] }
          }
          for c in 0..<cf { out[c] *= inverse }
        }
      }
    }
    visit(depth + 2, pooled, cf)
    classify(model, pooled, features: cf)
  }

  /// to ← from (`count` scalars), split across the cores (the residual copy).
  private func copy(
    _ from: UnsafePointer<Scalar>, into to: UnsafeMutablePointer<Scalar>, count: Int
  ) {
    profile.time(.residual) {
      parallelism.forEachRange(count, granule: 16, minimumPerPart: 1 << 14) { r in
        (to + r.lowerBound).update(from: from + r.lowerBound, count: r.count)
      }
    }
  }

  /// Backpropagation of the last training forward pass and `loss(…, withGradient: true)` into
  /// `gradients`.
  func backward(_ model: ConvolutionalNetwork<Scalar>) {
    precondition(keepsActivations, "backward needs every activation")
    let n = count
    let (cf, sf) = shapes[depth]
    let headStart = profile == nil ? nil : ContinuousClock.now
    classifierBackward(model, pooled.pointer, features: cf)
    // The pooling's adjoint: every pixel gets ∂pooled/S².
    let pixels = sf * sf
    let inverse = 1 / Scalar(pixels)
    let (source, spread) = (scratchA.pointer, scratchB.pointer)
    parallelism.forEachRange(n, minimumPerPart: 8) { r in
      for b in r {
        let g = source + b * cf
        let target = spread + b * pixels * cf
        for q in 0..<pixels {
          for ch in 0..<cf { target[q * cf + ch] = g[ch] * inverse }
        }
      }
    }
    if let profile, let headStart { profile.add(.head, since: headStart) }
    var dh = gradientA
    var other = gradientB
    normReLUBackward(
      model.bnf, 2 * depth + 1, x: hidden[depth].pointer, da: scratchB.pointer,
      dx: dh.pointer, features: cf, count: columns(depth), accumulate: false, gradient: .head)
    for i in stride(from: depth - 1, through: 0, by: -1) {
      if dropped[i] {
        gradients.zeroBlockParameters(i)
        continue
      }
      let block = model.blocks[i]
      let (cin, side) = shapes[i]
      let (cout, sideOut) = shapes[i + 1]
      weightGradient(
        block.conv2, a2[i].pointer, dh.pointer, side: sideOut, images: n,
        into: \.blocks[i].conv2.weight.mutableStorage)
      backwardConvolutionData(
        block.conv2, dh.pointer, side: sideOut, images: n, into: scratchA.pointer,
        accumulate: false, scratch: lowering, parallelism: parallelism,
        profile: profile)
      normReLUBackward(
        block.bn2, 2 + 2 * i, x: z1[i].pointer, da: scratchA.pointer,
        dx: scratchB.pointer, features: cout, count: columns(i + 1), accumulate: false,
        gradient: .second(i))
      weightGradient(
        block.conv1, a1[i].pointer, scratchB.pointer, side: side, images: n,
        into: \.blocks[i].conv1.weight.mutableStorage)
      backwardConvolutionData(
        block.conv1, scratchB.pointer, side: side, images: n, into: scratchA.pointer,
        accumulate: false, scratch: lowering, parallelism: parallelism,
        profile: profile)
      if let shortcut = block.shortcut {
        weightGradient(
          shortcut, a1[i].pointer, dh.pointer, side: side, images: n,
          into: \.blocks[i].shortcut!.weight.mutableStorage)
        backwardConvolutionData(
          shortcut, dh.pointer, side: side, images: n, into: scratchA.pointer, accumulate: true,
          scratch: lowering, parallelism: parallelism, profile: profile)
      }
      let identity = model.skips && block.shortcut == nil
      let target = identity ? dh : other
      normReLUBackward(
        block.bn1, 1 + 2 * i, x: hidden[i].pointer, da: scratchA.pointer,
        dx: target.pointer, features: cin, count: columns(i), accumulate: identity,
        gradient: .first(i))
      if !identity { swap(&dh, &other) }
    }
    normReLUBackward(
      model.bn0, 0, x: z0.pointer, da: dh.pointer, dx: scratchB.pointer,
      features: shapes[0].channels, count: columns(0), accumulate: false, gradient: .stem)
    weightGradient(
      model.conv0, input.pointer, scratchB.pointer, side: image.paddedSide, images: n,
      into: \.conv0.weight.mutableStorage)
  }

  /// y ← α·conv(x) + β·y: image-parallel on the pool, or (`pooledConvolutions` off) the
  /// lowered chunks of `lowering` with OpenBLAS's threads.
  private func forwardConvolution(
    _ conv: Convolution<Scalar>, _ x: UnsafePointer<Scalar>, side: Int, images: Int,
    into y: UnsafeMutablePointer<Scalar>, alpha: Scalar = 1, beta: Scalar = 0,
    scratch: LoweringScratch<Scalar>, parallelism: Parallelism, profile: PassProfile?
  ) {
    guard parallelism.pooledConvolutions else {
      return convolutionForward(
        conv, x, side: side, images: images, into: y, alpha: alpha, beta: beta, scratch: scratch,
        parallelism: parallelism, profile: profile)
    }
    let out = conv.outputSide(side)
    profile.time(
      .convolutionForwardGEMM,
      flops: 2 * Double(conv.outChannels * conv.patchSize * images * out * out)
    ) {
      imageParallelForward(
        conv, x, side: side, images: images, into: y, alpha: alpha, beta: beta,
        scratch: imageParallelScratch, parallelism: parallelism)
    }
  }

  /// dx ← convᵀ(dy) (+ dx when `accumulate`), as `forwardConvolution`.
  private func backwardConvolutionData(
    _ conv: Convolution<Scalar>, _ dy: UnsafePointer<Scalar>, side: Int, images: Int,
    into dx: UnsafeMutablePointer<Scalar>, accumulate: Bool, scratch: LoweringScratch<Scalar>,
    parallelism: Parallelism, profile: PassProfile?
  ) {
    guard parallelism.pooledConvolutions else {
      return convolutionBackwardData(
        conv, dy, side: side, images: images, into: dx, accumulate: accumulate,
        scratch: scratch, parallelism: parallelism, profile: profile)
    }
    let out = conv.outputSide(side)
    profile.time(
      .convolutionDataGEMM,
      flops: 2 * Double(conv.outChannels * conv.patchSize * images * out * out)
    ) {
      imageParallelBackwardData(
        conv, dy, side: side, images: images, into: dx, accumulate: accumulate,
        scratch: imageParallelScratch, parallelism: parallelism)
    }
  }

  /// ∂W of `conv` into the gradient at `path` (no copy: the array is written in place).
  private func weightGradient(
    _ conv: Convolution<Scalar>, _ x: UnsafePointer<Scalar>, _ dy: UnsafePointer<Scalar>,
    side: Int, images: Int, into path: WritableKeyPath<ConvolutionalNetwork<Scalar>, [Scalar]>
  ) {
    gradients[keyPath: path].withUnsafeMutableBufferPointer { g in
      guard parallelism.pooledConvolutions else {
        return convolutionBackwardWeights(
          conv, x, dy, side: side, images: images, into: g.baseAddress!, scratch: lowering,
          parallelism: parallelism, profile: profile)
      }
      let out = conv.outputSide(side)
      profile.time(
        .convolutionWeightGEMM,
        flops: 2 * Double(conv.outChannels * conv.patchSize * images * out * out)
      ) {
        imageParallelBackwardWeights(
          conv, x, dy, side: side, images: images, into: g.baseAddress!,
          scratch: imageParallelScratch, parallelism: parallelism)
      }
    }
  }
}
