import Empirical
import Foundation
import LinearAlgebra
import TestSupport
import Testing

/// A small random network in evaluation mode: n₀ inputs, width d, l blocks, c classes.
func randomNetwork(
  inputSize n0: Int, width d: Int, blocks l: Int, classes c: Int, skips: Bool = true,
  using rng: inout SeededGenerator
) -> EvaluationNetwork {
  let stem: Matrix<Double> = Gaussian.matrix(rows: d, columns: n0, using: &rng)
  let classifier: Matrix<Double> = Gaussian.matrix(rows: c, columns: d, using: &rng)
  return EvaluationNetwork(
    stem: stem.scaled(by: 1 / Double(n0).squareRoot()),
    stemScale: [Double](repeating: 1, count: d), stemShift: [Double](repeating: 0, count: d),
    branches: (0..<l).map { _ in randomBranch(d, using: &rng) }, skips: skips,
    finalScale: [Double](repeating: 1, count: d), finalShift: [Double](repeating: 0, count: d),
    classifier: classifier, classifierBias: [Double](repeating: 0, count: c))
}

@Suite("EvaluationNetwork: batched forward pass and trajectories", .serialized)
struct EvaluationNetworkTests {
  @Test func trajectoryFollowsTheResidualRecursion() {
    var rng = testGenerator(70)
    withEvery("skips", in: [true, false]) { skips, label in
      let net = randomNetwork(
        inputSize: 10, width: 16, blocks: 4, classes: 3, skips: skips,
        using: &rng)
      let x: [Double] = Gaussian.sample(10, using: &rng)
      let t = net.trajectory(x)
      #expect(t.count == 5, "\(label)")
      var h = (net.stem * x).map { max($0, 0) }
      #expect(relativeError(t[0], h) <= 1e-15, "\(label)")
      for (i, branch) in net.branches.enumerated() {
        let f = branch(h)
        if skips { h.add(f) } else { h = f }
        #expect(relativeError(t[i + 1], h) <= 1e-13, "\(label) block \(i + 1)")
      }
    }
  }

  @Test func batchEqualsOneAtATime() {
    var rng = testGenerator(71)
    let net = randomNetwork(inputSize: 8, width: 12, blocks: 3, classes: 4, using: &rng)
    let x: Matrix<Double> = Gaussian.matrix(rows: 8, columns: 5, using: &rng)
    let logits = net.forward(batch: x)
    for j in 0..<5 {
      let single = net.forward(batch: Matrix(rows: 8, columns: 1, storage: x.column(j)))
      #expect(relativeError(single.storage, logits.column(j)) <= 1e-13)
    }
  }
}

@Suite("Measurement: RA1–RA4 and Neural Collapse of a whole network", .serialized)
struct MeasurementTests {
  @Test func decayedBranchesAreFlaggedDeadAndLeftOutOfRA4() throws {
    // Branches 2 and 5 decayed as weight decay 1e-2 leaves them (notebook 04): W2 scaled by
    // 1e-12 and 0, so σ₁ ≈ 1e-12·σ₁(live) and exactly 0.
    var rng = testGenerator(73)
    var net = randomNetwork(inputSize: 20, width: 48, blocks: 6, classes: 3, using: &rng)
    net.branches[1].w2 = net.branches[1].w2.scaled(by: 1e-12)
    net.branches[4].w2 = net.branches[4].w2.scaled(by: 0)
    let inputs: [[Double]] = (0..<4).map { _ in Gaussian.sample(20, using: &rng) }
    let m = try ResidualAlignmentMeasurement.measure(
      network: net, inputs: inputs, rank: 4, bootstrapResamples: 100, using: &rng)
    let medians = m.blocks.map { Spread(of: $0.sigma1PerInput).median }
    print(
      "decayed branches 2, 5: median σ₁ per block \(medians); dead \(m.ra4.deadBlocks) "
        + "(threshold \(m.ra4.deadThreshold)); fit over \(m.ra4.liveBlocks): "
        + "slope \(m.ra4.all?.slope ?? .nan), R² \(m.ra4.all?.r2 ?? .nan)")
    #expect(m.blocks.map(\.dead) == [false, true, false, false, true, false])
    #expect(m.ra4.deadBlocks == [2, 5] && m.ra4.liveBlocks == [1, 3, 4, 6])
    let all = try #require(m.ra4.all)
    #expect(all.slope.isFinite && all.r2.isFinite && m.ra4.ci95?.allSatisfy(\.isFinite) == true)
  }

  @Test func randomNetworkShowsNoAlignment() throws {
    // Counterexample to RA: an untrained random network must not score as aligned.
    var rng = testGenerator(72)
    let net = randomNetwork(inputSize: 20, width: 48, blocks: 6, classes: 3, using: &rng)
    let inputs: [[Double]] = (0..<4).map { _ in Gaussian.sample(20, using: &rng) }
    let m = try ResidualAlignmentMeasurement.measure(
      network: net, inputs: inputs, rank: 4, bootstrapResamples: 100, using: &rng)
    print(
      "random network: RA2 diagonal \(m.ra2.diagFraction.median) vs baseline "
        + "\(m.ra2.randomBaseline.median); RA4 R² \(m.ra4.all?.r2 ?? .nan); PC1 "
        + "\(m.ra1.pc1VarianceFraction.median); triplet residual \(m.largestTripletResidual)")
    #expect(m.ra2.diagFraction.median < 0.5)
    #expect(abs(m.ra2.diagFraction.median - m.ra2.randomBaseline.median) < 0.15)
    #expect(m.blocks.count == 6 && m.blocks.allSatisfy { $0.topSingularValues.count == 20 })
    #expect(m.blocks.allSatisfy { !$0.dead } && m.ra4.liveBlocks == Array(1...6))
    #expect(m.alignmentMatrices.count == 6 && m.alignmentMatrices[0][0].rows == 4)
    #expect(m.largestTripletResidual < 1e-8, "triplet residual \(m.largestTripletResidual)")
  }

  @Test func sameSeedSameMeasurement() throws {
    var rng = testGenerator(73)
    let net = randomNetwork(inputSize: 10, width: 32, blocks: 4, classes: 3, using: &rng)
    let inputs: [[Double]] = (0..<2).map { _ in Gaussian.sample(10, using: &rng) }
    var g1 = SeededGenerator(seed: 5)
    var g2 = SeededGenerator(seed: 5)
    let a = try ResidualAlignmentMeasurement.measure(
      network: net, inputs: inputs, rank: 3, bootstrapResamples: 20, using: &g1)
    let b = try ResidualAlignmentMeasurement.measure(
      network: net, inputs: inputs, rank: 3, bootstrapResamples: 20, using: &g2)
    #expect(a.blocks == b.blocks && a.ra2 == b.ra2 && a.ra4 == b.ra4)
  }

  @Test func neuralCollapseLayersAndPasses() throws {
    var rng = testGenerator(74)
    let net = randomNetwork(inputSize: 6, width: 10, blocks: 3, classes: 3, using: &rng)
    let x: Matrix<Double> = Gaussian.matrix(rows: 6, columns: 90, using: &rng)
    let labels = (0..<90).map { $0 % 3 }
    let nc = try NeuralCollapseMeasurement.measure(network: net) {
      AnySequence([(inputs: x, labels: labels)])
    }
    #expect(nc.layers.count == 5 && nc.samples == 90)
    #expect(nc.last.metrics.nc3 != nil && nc.layers[0].metrics.nc3 == nil)
    // Random labels on a random network: no collapse.
    #expect(nc.last.metrics.nc1 > 0.5, "NC1 \(nc.last.metrics.nc1)")
    #expect(nc.layers.allSatisfy { $0.nc4 >= 0 && $0.nc4 <= 1 })
  }
}

@Suite("Triplet residual: the backward error of an SVD")
struct TripletResidualTests {
  @Test func exactTripletsHaveZeroResidualAndWrongOnesDoNot() throws {
    var rng = testGenerator(75)
    let a: Matrix<Double> = Gaussian.matrix(rows: 12, columns: 12, using: &rng)
    let exact = try a.singularValueDecomposition().truncated(to: 4)
    #expect(ResidualAlignmentMeasurement.tripletResidual(a, exact) <= 1e-14)
    var wrong = exact
    wrong.singularValues[1] *= 1.01
    #expect(ResidualAlignmentMeasurement.tripletResidual(a, wrong) >= 1e-3)
  }
}

@Suite(
  "EvaluationNetwork of a Float32 ResidualNetwork agrees with the trainer's forward pass",
  .serialized)
struct EvaluationNetworkAdapterTests {
  /// A small random Float32 network with non-trivial BatchNorm statistics.
  func model(skips: Bool, dropPath: Double, using rng: inout SeededGenerator)
    -> ResidualNetwork<Float>
  {
    var m = ResidualNetwork<Float>(
      architecture: Architecture(blocks: 3, width: 16, skips: skips), inputSize: 12,
      classCount: 4, dropPath: dropPath, using: &rng)
    func perturb(_ bn: inout BatchNorm<Float>) {
      for k in 0..<bn.features {
        bn.weight[k] = Float.random(in: 0.5...1.5, using: &rng)
        bn.bias[k] = Float.random(in: -0.3...0.3, using: &rng)
        bn.runningMean[k] = Float.random(in: -0.2...0.2, using: &rng)
        bn.runningVariance[k] = Float.random(in: 0.2...2, using: &rng)
      }
    }
    perturb(&m.bn0)
    perturb(&m.bnf)
    for i in m.blocks.indices {
      perturb(&m.blocks[i].bn1)
      perturb(&m.blocks[i].bn2)
    }
    return m
  }

  @Test func lossAndAccuracyAgreeWithTheFloat32Network() {
    var rng = testGenerator(76)
    withEvery("skips, drop path", in: [(true, 0.0), (false, 0.0), (true, 0.2)]) { config, label in
      let m = model(skips: config.0, dropPath: config.1, using: &rng)
      let n = 64
      let features = (0..<(12 * n)).map { _ in Float.random(in: -1...1, using: &rng) }
      let labels = (0..<n).map { Int32($0 % 4) }
      let reference = evaluate(
        m, on: LabeledExamples(features: features, labels: labels, featureCount: 12))
      let net = EvaluationNetwork(m)
      let x = Matrix<Double>(rows: 12, columns: n, storage: features.map(Double.init))
      let logits = net.forward(batch: x)
      var loss = 0.0
      var correct = 0
      for j in 0..<n {
        let column = logits.column(j)
        let top = column.max()!
        let logSum = top + Foundation.log(column.reduce(0) { $0 + Foundation.exp($1 - top) })
        loss += (logSum - column[Int(labels[j])]) / Double(n)
        if EvaluationNetwork.predictions(Matrix(rows: 4, columns: 1, storage: column))[0]
          == Int(labels[j])
        {
          correct += 1
        }
      }
      let lossError = abs(loss - reference.loss) / reference.loss
      print(
        "\(label): Float64 loss \(loss), Float32 loss \(reference.loss), relative "
          + "difference \(lossError) (tolerance 1e-5)")
      #expect(lossError <= 1e-5, "\(label)")
      #expect(abs(Double(correct) / Double(n) - reference.accuracy) <= 1.0 / Double(n), "\(label)")
    }
  }
}

@Suite("InputSelection: balanced, seeded draws of training positions")
struct InputSelectionTests {
  @Test func twoPerClassForTwentyInputsAndTenClasses() {
    var rng = testGenerator(77)
    let labels = (0..<1000).map { _ in Int.random(in: 0..<10, using: &rng) }
    var g1 = SeededGenerator(seed: 0)
    var g2 = SeededGenerator(seed: 0)
    let a = InputSelection.balanced(labels: labels, classes: 10, count: 20, using: &g1)!
    let b = InputSelection.balanced(labels: labels, classes: 10, count: 20, using: &g2)!
    #expect(a == b && Set(a).count == 20)
    for c in 0..<10 { #expect(a.filter { labels[$0] == c }.count == 2, "class \(c)") }
    var g3 = SeededGenerator(seed: 1)
    #expect(InputSelection.balanced(labels: labels, classes: 10, count: 20, using: &g3)! != a)
  }

  @Test func tooFewExamplesOfAClassIsNil() {
    var rng = testGenerator(78)
    #expect(InputSelection.balanced(labels: [0, 0, 1], classes: 2, count: 4, using: &rng) == nil)
  }
}
