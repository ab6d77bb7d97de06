import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

/// A tiny trained-looking conv net in Float64: 1 channel 6×6 padded to 8×8, stem to `channels`
/// at 4×4, `blocks` blocks, optionally a downsampling block to 4 channels at 2×2.
private func tinyNetwork(
  skips: Bool, seed: UInt64, blocks: Int = 3, channels: Int = 3, downsample: Bool = false,
  dropPath: Double = 0
) -> ConvolutionalEvaluationNetwork {
  var rng = testGenerator(seed)
  let stages =
    [ConvolutionalArchitecture.Stage(blocks: blocks, channels: channels)]
    + (downsample ? [ConvolutionalArchitecture.Stage(blocks: 1, channels: 4)] : [])
  var model = ConvolutionalNetwork<Double>(
    architecture: ConvolutionalArchitecture(stages: stages, skips: skips),
    image: ConvolutionalInput(channels: 1, side: 6, padding: 1), classCount: 3, dropPath: dropPath,
    using: &rng)
  model.perturbBatchNorms(using: &rng)
  return ConvolutionalEvaluationNetwork(model)
}

private func input(_ seed: UInt64) -> [Double] {
  var rng = testGenerator(seed)
  return (0..<36).map { _ in uniform(2, &rng) }
}

/// ∂F/∂h by central differences, column by column.
private func finiteDifferenceJacobian(
  _ f: ([Double]) -> [Double], at h: [Double], step: Double = 1e-6
) -> Matrix<Double> {
  let rows = f(h).count
  var j = Matrix<Double>(rows: rows, columns: h.count)
  for k in h.indices {
    var plus = h
    var minus = h
    plus[k] += step
    minus[k] -= step
    let (a, b) = (f(plus), f(minus))
    for i in 0..<rows { j[i, k] = (a[i] - b[i]) / (2 * step) }
  }
  return j
}

private func dot(_ a: [Double], _ b: [Double]) -> Double {
  zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}

@Suite("Matrix-free Residual Jacobians of convolutional blocks")
struct ConvolutionalJacobianTests {
  @Test(arguments: [false, true])
  func productsMatchTheFiniteDifferenceJacobian(downsample: Bool) {
    let net = tinyNetwork(skips: true, seed: 21, downsample: downsample, dropPath: 0.25)
    let trajectory = net.trajectory(input(1))
    let blocks = downsample ? [0, net.depth - 1] : [0, 2]
    for i in blocks {
      let j = net.residualJacobian(block: i, at: trajectory[i])
      let dense = j.materialized()
      let reference = finiteDifferenceJacobian({ net.branch(block: i, at: $0) }, at: trajectory[i])
      let error = relativeError(dense, reference, floor: 1e-3)
      let transposedError = relativeError(
        j.transposedOperator.materialized(), reference.transposed, floor: 1e-3)
      print(
        "block \(i + 1) (\(j.rows)×\(j.columns)): J·e_k vs central differences \(error), "
          + "Jᵀ·e_k vs \(transposedError), tolerance 1e-7")
      #expect(error < 1e-7 && transposedError < 1e-7)
    }
  }

  @Test func adjointIdentityHoldsForBlocksOfVectors() {
    let net = tinyNetwork(skips: true, seed: 22, downsample: true)
    let trajectory = net.trajectory(input(2))
    var rng = testGenerator(5)
    for i in 0..<net.depth {
      let j = net.residualJacobian(block: i, at: trajectory[i])
      let v: Matrix<Double> = Gaussian.matrix(rows: j.columns, columns: 4, using: &rng)
      let u: Matrix<Double> = Gaussian.matrix(rows: j.rows, columns: 4, using: &rng)
      let jv = j.apply(v)
      let jtu = j.applyTransposed(u)
      var worst = 0.0
      for k in 0..<4 {
        let (a, b) = (dot(jv.column(k), u.column(k)), dot(v.column(k), jtu.column(k)))
        worst = max(worst, abs(a - b) / max(abs(a), 1e-12))
        // The block product is the column-by-column product.
        worst = max(worst, relativeError(jv.column(k), j.apply(v.column(k)), floor: 1e-12))
      }
      print(
        "block \(i + 1): ⟨Jv,u⟩ vs ⟨v,Jᵀu⟩ and block vs column products: \(worst), tolerance 1e-12")
      #expect(worst < 1e-12)
    }
  }

  @Test func adjointCheckDetectsAWrongTranspose() {
    let net = tinyNetwork(skips: true, seed: 23)
    let trajectory = net.trajectory(input(3))
    let j = net.residualJacobian(block: 0, at: trajectory[0])
    // J used as its own transpose: wrong unless J is symmetric.
    var rng = testGenerator(6)
    let v = (Gaussian.matrix(rows: j.columns, columns: 1, using: &rng) as Matrix<Double>).storage
    let u = (Gaussian.matrix(rows: j.rows, columns: 1, using: &rng) as Matrix<Double>).storage
    let (a, b) = (dot(j.apply(v), u), dot(v, j.apply(u)))
    let error = abs(a - b) / abs(a)
    print("J in place of Jᵀ: relative adjoint error \(error), must exceed 1e-12")
    #expect(error > 1e-12)
  }

  @Test(arguments: [true, false])
  func withoutSkipsTheBlockIsTheBranch(skips: Bool) {
    // Type 5b: h_{i+1} = F_i(h_i), so the block's Jacobian is J_i itself; Type 5a:
    // h_{i+1} = h_i + F_i(h_i).
    let net = tinyNetwork(skips: skips, seed: 24)
    let trajectory = net.trajectory(input(4))
    var worst = 0.0
    for i in 0..<net.depth {
      let f = net.branch(block: i, at: trajectory[i])
      let expected = skips ? zip(trajectory[i], f).map { $0 + $1 } : f
      worst = max(worst, relativeError(trajectory[i + 1], expected, floor: 1e-12))
    }
    print(
      "skips \(skips): h_{i+1} vs \(skips ? "h_i + F_i(h_i)" : "F_i(h_i)"): \(worst), tolerance 1e-13"
    )
    #expect(worst < 1e-13)
  }

  @Test func measurementRunsOnAConvolutionalNetworkAndLeavesOutTheRectangularBlock() throws {
    let net = tinyNetwork(skips: true, seed: 25, blocks: 3, downsample: true)
    var rng = testGenerator(7)
    let m = try ResidualAlignmentMeasurement.measure(
      network: net, inputs: [input(5), input(6)], rank: 2, bootstrapResamples: 20, using: &rng)
    print(
      "excluded blocks \(m.ra4.excludedBlocks), live \(m.ra4.liveBlocks), largest triplet "
        + "residual \(m.largestTripletResidual) (tolerance 1e-8)")
    #expect(m.ra4.excludedBlocks == [4])
    #expect(!m.ra4.liveBlocks.contains(4) && !m.ra4.deadBlocks.contains(4))
    #expect(m.blocks.count == 4 && m.blocks[3].sigma1PerInput.count == 2)
    #expect(m.largestTripletResidual < 1e-8)
    #expect(m.pairDiagonalFractions[3, 0].isNaN && m.pairDiagonalFractions[0, 1].isFinite)
  }
}
