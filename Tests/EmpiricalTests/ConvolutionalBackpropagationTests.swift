import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

/// A tiny convolutional network: 1 channel of 6×6 padded to 8×8, a 2-channel stem (4×4), two
/// blocks at 2 channels, then a downsampling block to 3 channels at 2×2 (conv1 stride 2 and a
/// projection shortcut); 3 classes. Non-trivial BatchNorm parameters.
private func tinyConvolutionalProblem(skips: Bool, seed: UInt64, downsample: Bool = true)
  -> (ConvolutionalNetwork<Double>, [Double], [Int32])
{
  var rng = testGenerator(seed)
  let stages =
    [ConvolutionalArchitecture.Stage(blocks: 2, channels: 2)]
    + (downsample ? [ConvolutionalArchitecture.Stage(blocks: 1, channels: 3)] : [])
  var model = ConvolutionalNetwork<Double>(
    architecture: ConvolutionalArchitecture(stages: stages, skips: skips),
    image: ConvolutionalInput(channels: 1, side: 6, padding: 1), classCount: 3, using: &rng)
  model.perturbBatchNorms(using: &rng)
  let count = 3
  let input = (0..<(36 * count)).map { _ in uniform(2, &rng) }
  let labels = (0..<count).map { Int32($0 % 3) }
  return (model, input, labels)
}

private func loss(
  _ model: ConvolutionalNetwork<Double>, input: [Double], labels: [Int32], drop: [Bool]? = nil
) -> Double {
  let workspace = ConvolutionalWorkspace(model: model, capacity: labels.count)
  input.withUnsafeBufferPointer { workspace.loadInput($0.baseAddress!, count: labels.count) }
  workspace.forward(model, training: true, drop: drop)
  return labels.withUnsafeBufferPointer {
    workspace.loss(labels: $0.baseAddress!, withGradient: false).loss
  }
}

private func gradientAndFiniteDifference(
  _ model: ConvolutionalNetwork<Double>, input: [Double], labels: [Int32], drop: [Bool]? = nil
) -> (backprop: [Double], finiteDifference: [Double]) {
  let workspace = ConvolutionalWorkspace(model: model, capacity: labels.count)
  input.withUnsafeBufferPointer { workspace.loadInput($0.baseAddress!, count: labels.count) }
  workspace.forward(model, training: true, drop: drop)
  _ = labels.withUnsafeBufferPointer { workspace.loss(labels: $0.baseAddress!, withGradient: true) }
  workspace.backward(model)
  var backprop: [Double] = []
  var shapes: [Int] = []
  var scratch = model
  var other = model
  scratch.forEachParameter(workspace.gradients, &other) { _, g, _ in
    backprop += g
    shapes.append(g.count)
  }
  var finite: [Double] = []
  let h = 1e-5
  for (parameter, size) in shapes.enumerated() {
    for k in 0..<size {
      func shifted(_ delta: Double) -> Double {
        var m = model
        var index = 0
        var dummy = model
        m.forEachParameter(model, &dummy) { p, _, _ in
          if index == parameter { p[k] += delta }
          index += 1
        }
        return loss(m, input: input, labels: labels, drop: drop)
      }
      finite.append((shifted(h) - shifted(-h)) / (2 * h))
    }
  }
  return (backprop, finite)
}

/// PyTorch's Conv2d by its definition (cross-correlation, zero padding), on one CHW image with
/// weights in PyTorch's [out, in, kh, kw] order; the output in CHW.
private func directConvolution(
  _ x: [Double], channels: Int, side: Int, weights w: [Double], outChannels: Int, kernel k: Int,
  stride s: Int, padding pad: Int
) -> [Double] {
  let out = (side + 2 * pad - k) / s + 1
  var y = [Double](repeating: 0, count: outChannels * out * out)
  for o in 0..<outChannels {
    for p in 0..<out {
      for q in 0..<out {
        var sum = 0.0
        for c in 0..<channels {
          for a in 0..<k {
            for b in 0..<k {
              let (r, t) = (s * p - pad + a, s * q - pad + b)
              guard r >= 0 && r < side && t >= 0 && t < side else { continue }
              sum += w[((o * channels + c) * k + a) * k + b] * x[(c * side + r) * side + t]
            }
          }
        }
        y[(o * out + p) * out + q] = sum
      }
    }
  }
  return y
}

@Suite(
  "Convolutional ResNet: lowered convolutions are PyTorch's Conv2d; backprop matches finite differences (Float64)"
)
struct ConvolutionalBackpropagationTests {
  @Test(arguments: [(1, 0), (2, 1), (1, 1)])
  func loweredConvolutionIsCrossCorrelation(stride: Int, padding: Int) {
    var rng = testGenerator(11)
    let (cin, cout, side, k) = (3, 4, 5, 3)
    var conv = Convolution<Double>(
      inChannels: cin, outChannels: cout, kernel: k, stride: stride, padding: padding)
    conv.initialize(using: &rng)
    let images = 2
    let chw = (0..<(images * cin * side * side)).map { _ in uniform(1, &rng) }
    // NHWC copy of the CHW images.
    var nhwc = [Double](repeating: 0, count: chw.count)
    for n in 0..<images {
      for c in 0..<cin {
        for p in 0..<(side * side) {
          nhwc[(n * side * side + p) * cin + c] = chw[(n * cin + c) * side * side + p]
        }
      }
    }
    let out = conv.outputSide(side)
    var y = [Double](repeating: 0, count: images * cout * out * out)
    // Room for one image's patches: one image per chunk.
    let scratch = LoweringScratch<Double>(capacity: conv.patchSize * out * out)
    nhwc.withUnsafeBufferPointer { x in
      y.withUnsafeMutableBufferPointer { yy in
        convolutionForward(
          conv, x.baseAddress!, side: side, images: images, into: yy.baseAddress!,
          scratch: scratch)
      }
    }
    var error = 0.0
    for n in 0..<images {
      let reference = directConvolution(
        Array(chw[(n * cin * side * side)..<((n + 1) * cin * side * side)]), channels: cin,
        side: side, weights: conv.pytorchWeights, outChannels: cout, kernel: k, stride: stride,
        padding: padding)
      for o in 0..<cout {
        for p in 0..<(out * out) {
          error = max(
            error, abs(y[(n * out * out + p) * cout + o] - reference[o * out * out + p]))
        }
      }
    }
    print("stride \(stride) padding \(padding): max |lowered − direct| = \(error), tolerance 1e-13")
    #expect(error < 1e-13)
  }

  @Test(arguments: [true, false])
  func gradientMatchesCentralDifferences(skips: Bool) {
    let (model, input, labels) = tinyConvolutionalProblem(
      skips: skips, seed: skips ? 1 : 2, downsample: skips)
    let (backprop, finite) = gradientAndFiniteDifference(model, input: input, labels: labels)
    let error = relativeError(backprop, finite, floor: 1e-3)
    print(
      "skips \(skips), \(backprop.count) parameters: max |backprop − finite difference| / "
        + "max |g|: \(error), tolerance 1e-6")
    #expect(error < 1e-6)
  }

  @Test func gradientWithADroppedBlockMatchesCentralDifferences() {
    let (model, input, labels) = tinyConvolutionalProblem(skips: true, seed: 3)
    let (backprop, finite) = gradientAndFiniteDifference(
      model, input: input, labels: labels, drop: [false, true, false])
    let error = relativeError(backprop, finite, floor: 1e-3)
    print("dropped block 1: relative error \(error), tolerance 1e-6")
    #expect(error < 1e-6)
  }

  @Test func comparisonDetectsAWrongGradient() {
    let (model, input, labels) = tinyConvolutionalProblem(skips: true, seed: 4)
    var (backprop, finite) = gradientAndFiniteDifference(model, input: input, labels: labels)
    let largest = backprop.map(abs).max()!
    backprop[backprop.count / 2] += 1e-4 * largest
    let error = relativeError(backprop, finite, floor: 1e-3)
    print("perturbed gradient: relative error \(error), must exceed tolerance 1e-6")
    #expect(error > 1e-6)
  }
}
