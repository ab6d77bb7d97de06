// Goals, in order of priority: an evaluation never asks for more memory than the machine has (a
// checkpoint with a huge stem once asked for 30 GB at once); the batch is as large as fits, up to
// the usual 500; every product checked, so no input traps.

import Foundation
import LinearAlgebra

extension AnyResidualNetwork {
  /// An upper bound of the bytes of activations one example needs in an evaluation-mode forward
  /// pass, or nil when it overflows `Int`.
  ///
  /// Fully connected: (4L + 6)·D + n₀ + 2C Float32 values (`TrainingResources`' activations of
  /// one example). Convolutional (`ConvolutionalWorkspace` without kept activations): the padded
  /// input, plus 16 buffers of the largest representation C·S² — two for h, three for the
  /// block's intermediates, one for BN_f, and the lowering scratch of a 3×3 convolution (9×).
  public var evaluationBytesPerExample: Int? {
    let floats: Int?
    switch self {
    case .fullyConnected(let m):
      floats = [4, m.depth].checkedProduct
        .flatMap { $0.checkedMultiplied(by: 1, adding: 6) }
        .flatMap { [$0, m.width].checkedProduct }
        .flatMap { $0.checkedMultiplied(by: 1, adding: m.inputSize) }
        .flatMap { $0.checkedMultiplied(by: 1, adding: 2 * m.classCount) }
    case .convolutional(let m):
      let largest = m.representationShapes.compactMap {
        [$0.channels, $0.side, $0.side].checkedProduct
      }.max()
      let p = m.image.paddedSide
      floats = largest.flatMap { [16, $0].checkedProduct }
        .flatMap { l in
          [m.image.channels, p, p].checkedProduct.flatMap { $0.checkedMultiplied(by: 1, adding: l) }
        }
    }
    return floats.flatMap { $0.checkedMultiplied(by: MemoryLayout<Float>.size, adding: 0) }
  }

  /// The largest batch, at most `maximum`, whose activations fit in `fraction` of
  /// `physicalMemory`; nil when not even one example fits.
  public func evaluationBatchSize(
    maximum: Int = 500, fraction: Double = 0.5,
    physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory
  ) -> Int? {
    guard let perExample = evaluationBytesPerExample, perExample > 0 else { return nil }
    let fits = Double(physicalMemory) * fraction / Double(perExample)
    guard fits >= 1 else { return nil }
    return fits >= Double(maximum) ? maximum : Int(fits)
  }
}
