// Goals, in order of priority: the stride-1, padding-1 3×3 convolutions of the residual blocks
// (forward and ∂input) in 2.25× fewer multiplications than im2col, the same function to
// floating-point rounding (checked against the direct sum and by finite differences); NHWC in
// and out, so that the tile transforms read and write whole channel vectors; one sgemm per
// tile position per chunk of images, on scratch that stays in cache; no allocation per call.
//
// Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", CVPR 2016): every 2×2 output tile Y of one output channel is
//
//     Y = Aᵀ [ Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B) ] A,
//
// d_c the 4×4 input tile of channel c (rows 2i − 1 … 2i + 2, zero outside), g_c the 3×3 kernel,
//
//     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//     Aᵀ = [1 1 1 0; 0 1 −1 −1].
//
// The sum over c at each of the 16 tile positions ξ is one product U_ξ · V_ξ with U_ξ the
// C_out × C_in transformed kernels and V_ξ the C_in × tiles transformed input. The gradient of
// the input of a stride-1, padding-1 convolution is the convolution of ∂y with the flipped,
// transposed kernel, W'[c, o, a, b] = W[o, c, 2 − a, 2 − b]: the same algorithm with U'_ξ the
// transform of the flipped taps, used transposed.

import LinearAlgebra

/// Whether `conv` at input side `side` takes the Winograd path: a 3×3, stride-1, padding-1
/// convolution of an even side (whole 2×2 tiles).
func winogradApplies<Scalar>(_ conv: Convolution<Scalar>, side: Int) -> Bool {
  conv.kernel == 3 && conv.stride == 1 && conv.padding == 1 && side % 2 == 0 && side >= 2
}

/// Scalars of tile-transform scratch one image needs: V (16·C_in·tiles) and M (16·C_out·tiles),
/// tiles = (side/2)².
func winogradScratchPerImage<Scalar>(_ conv: Convolution<Scalar>, side: Int) -> Int {
  4 * (conv.inChannels + conv.outChannels) * side * side
}

/// The 16 transformed kernels U_ξ = G g Gᵀ (position ξ = 4i + j), each a column-major
/// C_out × C_in matrix at `u + ξ·C_out·C_in`; with `flipped`, of the taps (2 − a, 2 − b), for
/// the gradient of the input (then used transposed).
func winogradKernels<Scalar: BLASScalar>(
  _ conv: Convolution<Scalar>, flipped: Bool, into u: UnsafeMutablePointer<Scalar>
) {
  precondition(conv.kernel == 3, "Winograd F(2×2, 3×3) needs a 3×3 kernel")
  let size = conv.outChannels * conv.inChannels
  let half: Scalar = 0.5
  conv.weight.storage.withUnsafeBufferPointer { w in
    let w = w.baseAddress!
    // The tap (a, b) is the C_out × C_in matrix at w + (3a + b)·size.
    func tap(_ a: Int, _ b: Int) -> UnsafePointer<Scalar> {
      flipped ? w + (3 * (2 - a) + 2 - b) * size : w + (3 * a + b) * size
    }
    for e in 0..<size {
      // t = G g (4×3), column b from the taps (0, b), (1, b), (2, b); then U = t Gᵀ (4×4).
      var t = (
        Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0),
        Scalar(0), Scalar(0), Scalar(0), Scalar(0)
      )
      withUnsafeMutableBytes(of: &t) { raw in
        let t = raw.baseAddress!.assumingMemoryBound(to: Scalar.self)
        for b in 0..<3 {
          let (g0, g1, g2) = (tap(0, b)[e], tap(1, b)[e], tap(2, b)[e])
          t[0 * 3 + b] = g0
          t[1 * 3 + b] = (g0 + g1 + g2) * half
          t[2 * 3 + b] = (g0 - g1 + g2) * half
          t[3 * 3 + b] = g2
        }
        for i in 0..<4 {
          let (t0, t1, t2) = (t[3 * i], t[3 * i + 1], t[3 * i + 2])
          u[(4 * i + 0) * size + e] = t0
          u[(4 * i + 1) * size + e] = (t0 + t1 + t2) * half
          u[(4 * i + 2) * size + e] = (t0 - t1 + t2) * half
          u[(4 * i + 3) * size + e] = t2
        }
      }
    }
  }
}

/// Bᵀ d B of one 4×4 tile d (entry 4i + j at `d(4i + j)`), lane-wise, each of the 16 results
/// handed to `store(ξ, value)`: w = Bᵀ d (w0j = d0j − d2j, w1j = d1j + d2j, w2j = d2j − d1j,
/// w3j = d1j − d3j), then V = w B (Vi0 = wi0 − wi2, Vi1 = wi1 + wi2, Vi2 = wi2 − wi1,
/// Vi3 = wi1 − wi3).
@inline(__always)
private func inputTile<S: KernelScalar>(
  _ d: (Int) -> SIMD8<S>, _ store: (Int, SIMD8<S>) -> Void
) {
  @inline(__always)
  func row(_ i: Int, _ w0: SIMD8<S>, _ w1: SIMD8<S>, _ w2: SIMD8<S>, _ w3: SIMD8<S>) {
    store(4 * i, w0 - w2)
    store(4 * i + 1, w1 + w2)
    store(4 * i + 2, w2 - w1)
    store(4 * i + 3, w1 - w3)
  }
  let (d00, d01, d02, d03) = (d(0), d(1), d(2), d(3))
  let (d10, d11, d12, d13) = (d(4), d(5), d(6), d(7))
  let (d20, d21, d22, d23) = (d(8), d(9), d(10), d(11))
  let (d30, d31, d32, d33) = (d(12), d(13), d(14), d(15))
  row(0, d00 - d20, d01 - d21, d02 - d22, d03 - d23)
  row(1, d10 + d20, d11 + d21, d12 + d22, d13 + d23)
  row(2, d20 - d10, d21 - d11, d22 - d12, d23 - d13)
  row(3, d10 - d30, d11 - d31, d12 - d32, d13 - d33)
}

/// Aᵀ M A of one tile's 16 products (entry ξ at `m(ξ)`), lane-wise: t = Aᵀ M
/// (t0j = m0j + m1j + m2j, t1j = m1j − m2j − m3j), then Y = t A (Yi0 = ti0 + ti1 + ti2,
/// Yi1 = ti1 − ti2 − ti3); returns (Y00, Y01, Y10, Y11).
@inline(__always)
private func outputTile<S: KernelScalar>(
  _ m: (Int) -> SIMD8<S>
) -> (SIMD8<S>, SIMD8<S>, SIMD8<S>, SIMD8<S>) {
  let (m00, m01, m02, m03) = (m(0), m(1), m(2), m(3))
  let (m10, m11, m12, m13) = (m(4), m(5), m(6), m(7))
  let (m20, m21, m22, m23) = (m(8), m(9), m(10), m(11))
  let (m30, m31, m32, m33) = (m(12), m(13), m(14), m(15))
  let (t00, t01, t02, t03) = (m00 + m10 + m20, m01 + m11 + m21, m02 + m12 + m22, m03 + m13 + m23)
  let (t10, t11, t12, t13) = (m10 - m20 - m30, m11 - m21 - m31, m12 - m22 - m32, m13 - m23 - m33)
  return (t00 + t01 + t02, t01 - t02 - t03, t10 + t11 + t12, t11 - t12 - t13)
}

/// V_ξ = (Bᵀ d B)_ξ of every 4×4 input tile of `images` NHWC images of side `side`
/// (`channels` channels): V_ξ is the column-major channels × tiles matrix at
/// `v + ξ·channels·tiles`, tile (image, i, j) in column (image·side/2 + i)·side/2 + j.
/// `zeros` holds `channels` zeros (the padding).
private func winogradInputTransform<Scalar: KernelScalar>(
  _ x: UnsafePointer<Scalar>, channels c: Int, side: Int, images: Int,
  zeros: UnsafePointer<Scalar>, into v: UnsafeMutablePointer<Scalar>
) {
  let half = side / 2
  let plane = c * images * half * half
  let vectorEnd = c - c % 8
  withUnsafeTemporaryAllocation(of: UnsafePointer<Scalar>.self, capacity: 16) { d in
    var t = 0
    for n in 0..<images {
      let image = x + n * side * side * c
      for ti in 0..<half {
        for tj in 0..<half {
          for i in 0..<4 {
            let row = 2 * ti - 1 + i
            for j in 0..<4 {
              let col = 2 * tj - 1 + j
              d[4 * i + j] =
                row >= 0 && row < side && col >= 0 && col < side
                ? image + (row * side + col) * c : zeros
            }
          }
          let out = v + t * c
          var ch = 0
          while ch < vectorEnd {
            inputTile({ load8(d[$0], ch) }, { store8($1, out + $0 * plane, ch) })
            ch += 8
          }
          while ch < c {
            // The remainder one lane at a time (the same operations as a full lane).
            inputTile({ SIMD8(d[$0][ch], 0, 0, 0, 0, 0, 0, 0) }, { out[$0 * plane + ch] = $1[0] })
            ch += 1
          }
          t += 1
        }
      }
    }
  }
}

/// Calls `body(t, offset)` for every 2×2 output tile of `images` NHWC images of side `side`
/// (`c` channels) in the transforms' tile order: t the tile's column, offset the scalar offset
/// of its top-left pixel.
@inline(__always)
private func forEachOutputTile(
  channels c: Int, side: Int, images: Int, _ body: (_ t: Int, _ offset: Int) -> Void
) {
  let half = side / 2
  var t = 0
  for n in 0..<images {
    for ti in 0..<half {
      for tj in 0..<half {
        body(t, ((n * side + 2 * ti) * side + 2 * tj) * c)
        t += 1
      }
    }
  }
}

/// y ← α·Aᵀ M A + β·y for every output tile: M_ξ is the column-major channels × tiles matrix
/// at `m + ξ·channels·tiles` (`winogradInputTransform`'s tile order); y is NHWC. β = 0 does not
/// read y.
private func winogradOutputTransform<Scalar: KernelScalar>(
  _ m: UnsafePointer<Scalar>, channels c: Int, side: Int, images: Int,
  into y: UnsafeMutablePointer<Scalar>, alpha: Scalar, beta: Scalar
) {
  let plane = c * images * (side / 2) * (side / 2)
  let vectorEnd = c - c % 8
  forEachOutputTile(channels: c, side: side, images: images) { t, offset in
    let source = m + t * c
    let y00 = y + offset
    let targets = (y00, y00 + c, y00 + side * c, y00 + side * c + c)
    var ch = 0
    while ch < vectorEnd {
      let r = outputTile { load8(source + $0 * plane, ch) }
      if beta == 0 {
        store8(alpha * r.0, targets.0, ch)
        store8(alpha * r.1, targets.1, ch)
        store8(alpha * r.2, targets.2, ch)
        store8(alpha * r.3, targets.3, ch)
      } else {
        store8(alpha * r.0 + beta * load8(targets.0, ch), targets.0, ch)
        store8(alpha * r.1 + beta * load8(targets.1, ch), targets.1, ch)
        store8(alpha * r.2 + beta * load8(targets.2, ch), targets.2, ch)
        store8(alpha * r.3 + beta * load8(targets.3, ch), targets.3, ch)
      }
      ch += 8
    }
    while ch < c {
      let r = outputTile { SIMD8(source[$0 * plane + ch], 0, 0, 0, 0, 0, 0, 0) }
      if beta == 0 {
        targets.0[ch] = alpha * r.0[0]
        targets.1[ch] = alpha * r.1[0]
        targets.2[ch] = alpha * r.2[0]
        targets.3[ch] = alpha * r.3[0]
      } else {
        targets.0[ch] = alpha * r.0[0] + beta * targets.0[ch]
        targets.1[ch] = alpha * r.1[0] + beta * targets.1[ch]
        targets.2[ch] = alpha * r.2[0] + beta * targets.2[ch]
        targets.3[ch] = alpha * r.3[0] + beta * targets.3[ch]
      }
      ch += 1
    }
  }
}

/// y ← α·conv(x) + β·y for `images` NHWC images of side `side` by F(2×2, 3×3), in chunks of
/// `imagesPerChunk` images: per chunk the input transform, 16 gemms
/// (C_b × tiles) = op(U_ξ) (C_b × C_a) · V_ξ (C_a × tiles), and the output transform.
/// `u` holds `winogradKernels(conv, flipped: transposed)`; `transposed` convolves with the
/// flipped transposed kernel (x has C_out channels, y has C_in: the gradient of the input).
/// `scratch` holds `imagesPerChunk · winogradScratchPerImage` scalars, `zeros` C_out + C_in.
func winogradConvolution<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, kernels u: UnsafePointer<Scalar>, transposed: Bool,
  _ x: UnsafePointer<Scalar>, side: Int, images: Int, imagesPerChunk: Int,
  into y: UnsafeMutablePointer<Scalar>, alpha: Scalar, beta: Scalar,
  scratch: UnsafeMutablePointer<Scalar>, zeros: UnsafePointer<Scalar>
) {
  precondition(winogradApplies(conv, side: side), "Winograd F(2×2, 3×3) does not apply")
  let (ca, cb) =
    transposed ? (conv.outChannels, conv.inChannels) : (conv.inChannels, conv.outChannels)
  let pixels = side * side
  let size = conv.outChannels * conv.inChannels
  var first = 0
  while first < images {
    let n = Swift.min(imagesPerChunk, images - first)
    let tiles = n * pixels / 4
    let v = scratch
    let m = scratch + 16 * ca * tiles
    winogradInputTransform(
      x + first * pixels * ca, channels: ca, side: side, images: n, zeros: zeros, into: v)
    for xi in 0..<16 {
      gemm(
        transposed, false, m: cb, n: tiles, k: ca, u + xi * size,
        lda: conv.outChannels, v + xi * ca * tiles, ldb: ca, m + xi * cb * tiles, ldc: cb)
    }
    winogradOutputTransform(
      m, channels: cb, side: side, images: n, into: y + first * pixels * cb, alpha: alpha,
      beta: beta)
    first += n
  }
}

// MARK: - The gradient of the weights
//
// y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A is linear in U = G g Gᵀ, so (chain rule through the two linear
// maps) ∂U_ξ = Σ_tiles (A ∂Y Aᵀ)_ξ (Bᵀ d B)_ξ, one product (C_out × tiles)·(tiles × C_in) per
// position ξ, and ∂g = Gᵀ ∂U G.

/// A ∂Y Aᵀ of one 2×2 output-gradient tile (Y00, Y01, Y10, Y11), lane-wise, each of the 16
/// results handed to `store(ξ, value)`: A ∂Y has rows (Y0·), (Y0· + Y1·), (Y0· − Y1·), (−Y1·);
/// each row (a, b) times Aᵀ is (a, a + b, a − b, −b).
@inline(__always)
private func outputGradientTile<S: KernelScalar>(
  _ y00: SIMD8<S>, _ y01: SIMD8<S>, _ y10: SIMD8<S>, _ y11: SIMD8<S>,
  _ store: (Int, SIMD8<S>) -> Void
) {
  @inline(__always)
  func row(_ i: Int, _ a: SIMD8<S>, _ b: SIMD8<S>) {
    store(4 * i, a)
    store(4 * i + 1, a + b)
    store(4 * i + 2, a - b)
    store(4 * i + 3, SIMD8<S>() - b)
  }
  row(0, y00, y01)
  row(1, y00 + y10, y01 + y11)
  row(2, y00 - y10, y01 - y11)
  row(3, SIMD8<S>() - y10, SIMD8<S>() - y11)
}

/// (A ∂Y Aᵀ)_ξ of every 2×2 tile of `images` NHWC output gradients of side `side` into the
/// column-major channels × tiles matrices at `m + ξ·channels·tiles` (the input transform's tile
/// order).
private func winogradOutputGradientTransform<Scalar: KernelScalar>(
  _ dy: UnsafePointer<Scalar>, channels c: Int, side: Int, images: Int,
  into m: UnsafeMutablePointer<Scalar>
) {
  let plane = c * images * (side / 2) * (side / 2)
  let vectorEnd = c - c % 8
  forEachOutputTile(channels: c, side: side, images: images) { t, offset in
    let y00 = dy + offset
    let (y01, y10, y11) = (y00 + c, y00 + side * c, y00 + side * c + c)
    let out = m + t * c
    var ch = 0
    while ch < vectorEnd {
      outputGradientTile(load8(y00, ch), load8(y01, ch), load8(y10, ch), load8(y11, ch)) {
        store8($1, out + $0 * plane, ch)
      }
      ch += 8
    }
    while ch < c {
      // The remainder one lane at a time (the same operations as a full lane).
      func lane(_ p: UnsafePointer<Scalar>) -> SIMD8<Scalar> {
        SIMD8(p[ch], 0, 0, 0, 0, 0, 0, 0)
      }
      outputGradientTile(lane(y00), lane(y01), lane(y10), lane(y11)) {
        out[$0 * plane + ch] = $1[0]
      }
      ch += 1
    }
  }
}

/// ∂U_ξ ← Σ over `images` images of (A ∂Y Aᵀ)_ξ (Bᵀ d B)_ξᵀ (+ ∂U_ξ when `accumulate`), in
/// chunks of `imagesPerChunk` images, each chunk's 16 products added in order: the 16 column-major
/// C_out × C_in matrices at `du + ξ·C_out·C_in`. `scratch` and `zeros` as
/// `winogradConvolution`.
func winogradKernelGradient<Scalar: KernelScalar>(
  _ conv: Convolution<Scalar>, _ x: UnsafePointer<Scalar>, _ dy: UnsafePointer<Scalar>,
  side: Int, images: Int, imagesPerChunk: Int, into du: UnsafeMutablePointer<Scalar>,
  accumulate: Bool, scratch: UnsafeMutablePointer<Scalar>, zeros: UnsafePointer<Scalar>
) {
  precondition(winogradApplies(conv, side: side), "Winograd F(2×2, 3×3) does not apply")
  let (cin, cout) = (conv.inChannels, conv.outChannels)
  let pixels = side * side
  let size = cout * cin
  var first = 0
  while first < images {
    let n = Swift.min(imagesPerChunk, images - first)
    let tiles = n * pixels / 4
    let v = scratch
    let m = scratch + 16 * cin * tiles
    winogradInputTransform(
      x + first * pixels * cin, channels: cin, side: side, images: n, zeros: zeros, into: v)
    winogradOutputGradientTransform(
      dy + first * pixels * cout, channels: cout, side: side, images: n, into: m)
    for xi in 0..<16 {
      gemm(
        false, true, m: cout, n: cin, k: tiles, m + xi * cout * tiles, lda: cout,
        v + xi * cin * tiles, ldb: cin, beta: accumulate || first > 0 ? 1 : 0, du + xi * size,
        ldc: cout)
    }
    first += n
  }
}

/// ∂g = Gᵀ ∂U G for the entries `entries` of every C_out × C_in tap: `du` as
/// `winogradKernelGradient` writes it, ∂W in `Convolution.weight`'s layout (tap (a, b) the
/// C_out × C_in matrix at `dw + (3a + b)·C_out·C_in`). Gᵀ s of a 4-vector s is
/// (s0 + ½s1 + ½s2, ½s1 − ½s2, ½s1 + ½s2 + s3).
func winogradKernelGradientToWeights<Scalar: KernelScalar>(
  _ du: UnsafePointer<Scalar>, size: Int, entries: Range<Int>,
  into dw: UnsafeMutablePointer<Scalar>
) {
  let half: Scalar = 0.5
  for e in entries {
    // r = Gᵀ ∂U (3×4), then ∂g = r G (3×3).
    var r = (
      Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0),
      Scalar(0), Scalar(0), Scalar(0), Scalar(0)
    )
    withUnsafeMutableBytes(of: &r) { raw in
      let r = raw.baseAddress!.assumingMemoryBound(to: Scalar.self)
      for j in 0..<4 {
        let (s0, s1, s2, s3) = (
          du[j * size + e], du[(4 + j) * size + e], du[(8 + j) * size + e],
          du[(12 + j) * size + e]
        )
        r[j] = s0 + half * s1 + half * s2
        r[4 + j] = half * s1 - half * s2
        r[8 + j] = half * s1 + half * s2 + s3
      }
      for a in 0..<3 {
        let (s0, s1, s2, s3) = (r[4 * a], r[4 * a + 1], r[4 * a + 2], r[4 * a + 3])
        dw[(3 * a + 0) * size + e] = s0 + half * s1 + half * s2
        dw[(3 * a + 1) * size + e] = half * s1 - half * s2
        dw[(3 * a + 2) * size + e] = half * s1 + half * s2 + s3
      }
    }
  }
}
