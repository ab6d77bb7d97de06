// Goals: the pieces every matrix-free Jacobian of a convolutional block is made of — a
// convolution or its adjoint on a block of perturbation images, and a diagonal (BatchNorm's
// scale times ReLU's derivative) on every image — written once for the Residual Jacobian and
// the projection shortcut's skip Jacobian.

import LinearAlgebra

extension Convolution where Scalar == Double {
  /// conv(x) of `images` NHWC images of side `side` (x: C_in·side² scalars per image): the
  /// C_out·side_out² scalars per image of the convolution without bias.
  func applied(
    to x: [Double], side: Int, images: Int, scratch: LoweringScratch<Double>
  ) -> [Double] {
    let out = outputSide(side)
    var y = [Double](repeating: 0, count: outChannels * out * out * images)
    x.withUnsafeBufferPointer { xp in
      y.withUnsafeMutableBufferPointer { yp in
        convolutionForward(
          self, xp.baseAddress!, side: side, images: images, into: yp.baseAddress!,
          scratch: scratch)
      }
    }
    return y
  }

  /// convᵀ(y), the adjoint (the gradient of the input): C_in·side² scalars per image from the
  /// C_out·side_out² of y, for input images of side `side`.
  func adjointApplied(
    to y: [Double], side: Int, images: Int, scratch: LoweringScratch<Double>
  ) -> [Double] {
    var x = [Double](repeating: 0, count: inChannels * side * side * images)
    y.withUnsafeBufferPointer { yp in
      x.withUnsafeMutableBufferPointer { xp in
        convolutionBackwardData(
          self, yp.baseAddress!, side: side, images: images, into: xp.baseAddress!,
          accumulate: false, scratch: scratch)
      }
    }
    return x
  }
}

/// Each column of the column-major `storage` multiplied entrywise by `d` (d ∘ v for every
/// image v of a block).
func scaledImages(_ storage: consuming [Double], by d: [Double]) -> [Double] {
  var storage = storage
  let n = d.count
  storage.withUnsafeMutableBufferPointer { s in
    d.withUnsafeBufferPointer { dp in
      var base = 0
      while base < s.count {
        for k in 0..<n { s[base + k] *= dp[k] }
        base += n
      }
    }
  }
  return storage
}
