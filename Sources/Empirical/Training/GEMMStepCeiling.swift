// Goals: the one timing of a step's matrix products, for the fully-connected and the
// convolutional networks alike; the products themselves are each network's own.

import LinearAlgebra

/// The matrix products of one training step alone, back to back on preallocated buffers
/// (`GEMMCeiling` for the fully-connected networks, `ConvolutionalGEMMCeiling` for the
/// convolutional ones): the ceiling a trainer's step time is measured against.
public protocol GEMMStepCeiling: AnyObject {
  /// Issues one step's products once.
  func runProducts()
}

extension GEMMStepCeiling {
  /// Seconds for one step's products.
  public func step() -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    runProducts()
    return (clock.now - start).seconds
  }
}

extension ScalarBuffer where Scalar == Float {
  /// `count` operands uniform on [−0.05, 0.05) from `generator` (a ceiling's products).
  static func ceilingOperand(_ count: Int, using generator: inout SeededGenerator)
    -> ScalarBuffer<Float>
  {
    let b = ScalarBuffer<Float>(count: count)
    for k in 0..<count { b.pointer[k] = Float(uniform(0.05, &generator)) }
    return b
  }
}
