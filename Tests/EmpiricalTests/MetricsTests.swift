import Empirical
import LinearAlgebra
import TestSupport
import Testing

/// Jacobians J_i = U·diag(s_i)·Vᵀ that share their singular vectors (perfect RA2), with
/// σ₁(J_i) = 1/i (perfect RA4), for i = 1…l, in dimension d with rank r.
func alignedJacobians(
  blocks l: Int, dimension d: Int, rank r: Int, using rng: inout SeededGenerator
) throws -> [Matrix<Double>] {
  let u = try (Gaussian.matrix(rows: d, columns: r, using: &rng) as Matrix<Double>)
    .orthonormalized()
  let v = try (Gaussian.matrix(rows: d, columns: r, using: &rng) as Matrix<Double>)
    .orthonormalized()
  return (1...l).map { i in
    let s = (0..<r).map { k in 1 / Double(i) / Double(k + 1) }
    var us = u
    for k in 0..<r { for row in 0..<d { us[row, k] *= s[k] } }
    return us.multiplied(by: v, transposingOther: true)
  }
}

@Suite("RA1: trajectories on a line score 1, 0, 1; random walks do not")
struct TrajectoryAlignmentTests {
  @Test func equispacedPointsOnALineArePerfect() throws {
    var rng = testGenerator(40)
    let start: [Double] = Gaussian.sample(8, using: &rng)
    let direction: [Double] = Gaussian.sample(8, using: &rng)
    let points = (0...16).map { i in zip(start, direction).map { $0 + Double(i) * $1 } }
    let ra1 = try TrajectoryAlignment(trajectory: points)
    #expect(abs(ra1.pc1VarianceFraction - 1) <= 1e-12, "PC1 \(ra1.pc1VarianceFraction)")
    #expect(ra1.stepLengthCV <= 1e-12, "CV \(ra1.stepLengthCV)")
    #expect(abs(ra1.stepCosine - 1) <= 1e-12, "cos \(ra1.stepCosine)")
  }

  @Test func aRandomWalkIsNotScoredAsALine() throws {
    var rng = testGenerator(41)
    var points: [[Double]] = [Gaussian.sample(64, using: &rng)]
    for _ in 0..<16 {
      var next = points.last!
      next.add(Gaussian.sample(64, using: &rng))
      points.append(next)
    }
    let ra1 = try TrajectoryAlignment(trajectory: points)
    print("random walk RA1: PC1 \(ra1.pc1VarianceFraction), CV \(ra1.stepLengthCV), "
      + "cos \(ra1.stepCosine)")
    #expect(ra1.pc1VarianceFraction < 0.9 && ra1.stepCosine < 0.4)
  }

  @Test func unequalStepsOnALineShowInTheCV() throws {
    let points = [0.0, 1, 3, 4, 6].map { [$0, 2 * $0] }
    let ra1 = try TrajectoryAlignment(trajectory: points)
    // Steps 1, 2, 1, 2 (×√5): mean 1.5, population std 0.5, CV 1/3.
    #expect(abs(ra1.stepLengthCV - 1.0 / 3) <= 1e-12 && abs(ra1.pc1VarianceFraction - 1) <= 1e-12)
  }
}

@Suite("RA2: shared singular vectors give diagonal fraction 1; random blocks give the baseline",
  .serialized)
struct SingularVectorAlignmentTests {
  func measure(_ js: [Matrix<Double>], rank k: Int, seed: UInt64) throws
    -> SingularVectorAlignment
  {
    var rng = testGenerator(seed)
    let svds = try js.map { try $0.singularValueDecomposition().signCanonical() }
    return try SingularVectorAlignment(jacobians: js, decompositions: svds, rank: k, using: &rng)
  }

  @Test func alignedBlocksAreDiagonal() throws {
    var rng = testGenerator(42)
    let js = try alignedJacobians(blocks: 5, dimension: 40, rank: 4, using: &rng)
    let ra2 = try measure(js, rank: 4, seed: 1)
    #expect(abs(ra2.diagonalFraction - 1) <= 1e-10, "diagonal fraction \(ra2.diagonalFraction)")
    #expect(abs(ra2.leftSubspaceCosine - 1) <= 1e-10 && abs(ra2.rightSubspaceCosine - 1) <= 1e-10)
    #expect(ra2.randomBaseline < 0.6, "baseline \(ra2.randomBaseline)")
  }

  @Test func rankOneBlocksAreDiagonalAtRankOne() throws {
    var rng = testGenerator(43)
    let js = try alignedJacobians(blocks: 4, dimension: 30, rank: 1, using: &rng)
    let ra2 = try measure(js, rank: 1, seed: 2)
    #expect(abs(ra2.diagonalFraction - 1) <= 1e-12)
  }

  @Test func randomBlocksScoreLikeTheBaseline() throws {
    var rng = testGenerator(44)
    let js: [Matrix<Double>] = (0..<5).map { _ in
      Gaussian.matrix(rows: 40, columns: 40, using: &rng)
    }
    let ra2 = try measure(js, rank: 5, seed: 3)
    print("random blocks RA2: diagonal \(ra2.diagonalFraction), transposed "
      + "\(ra2.transposedDiagonalFraction), baseline \(ra2.randomBaseline), subspace cosine "
      + "\(ra2.leftSubspaceCosine)")
    #expect(ra2.diagonalFraction < 0.4, "random blocks scored \(ra2.diagonalFraction)")
    #expect(abs(ra2.diagonalFraction - ra2.randomBaseline) < 0.1)
    #expect(ra2.leftSubspaceCosine < 0.6)
  }

  @Test func diagonalFractionOfKnownMatrices() {
    #expect(SingularVectorAlignment.diagonalFraction(.diagonal([3, -2, 1])) == 1)
    #expect(SingularVectorAlignment.diagonalFraction(Matrix(rowMajor: [[1, 1], [1, 1]])) == 0.5)
    #expect(SingularVectorAlignment.diagonalFraction(Matrix(rowMajor: [[0, 1], [1, 0]])) == 0)
  }
}

@Suite("RA3: gap and numerical rank of the top of a spectrum")
struct SpectrumShapeTests {
  @Test func rankCSpectrumHasALargeGap() {
    let s = [3.0, 2, 1, 1e-6, 1e-7] + [Double](repeating: 1e-8, count: 15)
    let ra3 = SpectrumShape(topSingularValues: s, classes: 3)
    #expect(ra3.gap == 1e6 && ra3.numericalRank == 3 && !ra3.rankIsLowerBound)
  }

  @Test func flatSpectrumHasNoGap() {
    let s = (1...20).map { 1 / Double($0).squareRoot() }
    let ra3 = SpectrumShape(topSingularValues: s, classes: 10)
    #expect(ra3.gap < 1.1 && ra3.numericalRank == 20 && ra3.rankIsLowerBound)
  }
}

@Suite("RA4: 1/σ₁ linear in depth fits with slope 1 and R² 1; noise does not")
struct InverseDepthScalingTests {
  @Test func exactInverseScalingFitsPerfectly() {
    var rng = testGenerator(45)
    let sigma1 = (0..<6).map { _ in (1...16).map { 1 / Double($0) } }
    let ra4 = InverseDepthScaling(sigma1: sigma1, resamples: 200, using: &rng)
    #expect(abs(ra4.all.slope - 1) <= 1e-12 && abs(ra4.all.intercept) <= 1e-11)
    #expect(abs(ra4.all.r2 - 1) <= 1e-12 && ra4.onset == 1)
    #expect(abs(ra4.ci95[0] - 1) <= 1e-12 && abs(ra4.ci95[1] - 1) <= 1e-12)
  }

  @Test func randomTopValuesAreNotScoredAsInverseScaling() {
    var rng = testGenerator(46)
    let sigma1 = (0..<20).map { _ in (1...16).map { _ in Double.random(in: 0.5...2, using: &rng) } }
    let ra4 = InverseDepthScaling(sigma1: sigma1, resamples: 500, using: &rng)
    print("random σ₁ RA4: slope \(ra4.all.slope), R² \(ra4.all.r2), ci95 \(ra4.ci95), "
      + "onset \(String(describing: ra4.onset))")
    #expect(ra4.all.r2 < 0.5 && abs(ra4.all.slope) < 0.1 && ra4.ci95[1] < 0.5)
  }

  @Test func onsetFindsWhereTheLawStarts() {
    var rng = testGenerator(47)
    // Flat-then-linear: 1/σ₁ = 5 for blocks 1…6 (with a bump), then i for blocks 7…16.
    let curve: [Double] = (1...16).map { (i: Int) -> Double in
      let x = Double(i)
      return i <= 6 ? 1 / (5 + Double(i % 2) * 3) : 1 / x
    }
    let ra4 = InverseDepthScaling(sigma1: [curve, curve], resamples: 10, using: &rng)
    #expect(
      ra4.onset != nil && ra4.onset! > 1 && ra4.onset! <= 7,
      "onset \(String(describing: ra4.onset))")
    #expect(ra4.fromOnset!.r2 >= 0.9)
  }
}

@Suite("Neural Collapse: collapsed features score 0, random features do not", .serialized)
struct NeuralCollapseTests {
  /// The C vertices of a simplex ETF in ℝᴰ (rows), D ≥ C.
  func simplex(_ c: Int, dimension d: Int, using rng: inout SeededGenerator) throws
    -> Matrix<Double>
  {
    let q: Matrix<Double> = try Gaussian.orthogonalMatrix(d, using: &rng)
    let centred = Matrix<Double>(rows: c, columns: c) { i, j in (i == j ? 1 : 0) - 1 / Double(c) }
    return centred * q.leadingColumns(c).transposed
  }

  @Test func collapsedFeaturesScoreZero() throws {
    var rng = testGenerator(48)
    let (c, d) = (4, 7)
    let vertices = try simplex(c, dimension: d, using: &rng).scaled(by: 3)
    var acc = NeuralCollapseAccumulator(classes: c, dimension: d)
    var labels = [Int]()
    var batch = Matrix<Double>(rows: d, columns: 40)
    for n in 0..<40 {
      labels.append(n % c)
      batch.setColumn(n, to: vertices.row(n % c))
    }
    acc.add(batch: batch, labels: labels)
    let nc = try acc.metrics(classifier: vertices)
    #expect(nc.nc1 <= 1e-12, "NC1 \(nc.nc1)")
    #expect(nc.nc2Means <= 1e-12 && nc.nc2Classifier! <= 1e-12 && nc.nc3! <= 1e-12)
    #expect(nc.meansNormCV <= 1e-12)
    var ncc = NearestClassCenterAgreement(means: acc.classMeans)
    ncc.add(batch: batch, references: labels)
    #expect(ncc.mismatchFraction == 0)
  }

  @Test func randomFeaturesDoNotCollapse() throws {
    var rng = testGenerator(49)
    let (c, d, n) = (5, 12, 400)
    let batch: Matrix<Double> = Gaussian.matrix(rows: d, columns: n, using: &rng)
    let labels = (0..<n).map { _ in Int.random(in: 0..<c, using: &rng) }
    var acc = NeuralCollapseAccumulator(classes: c, dimension: d)
    acc.add(batch: batch, labels: labels)
    let w: Matrix<Double> = Gaussian.matrix(rows: c, columns: d, using: &rng)
    let nc = try acc.metrics(classifier: w)
    print("random NC: NC1 \(nc.nc1), NC2 means \(nc.nc2Means), NC2 W \(nc.nc2Classifier!), "
      + "NC3 \(nc.nc3!)")
    #expect(nc.nc1 > 1 && nc.nc2Means > 0.1 && nc.nc3! > 0.5)
    var ncc = NearestClassCenterAgreement(means: acc.classMeans)
    ncc.add(batch: batch, references: labels)
    #expect(ncc.mismatchFraction > 0.3)
  }

  @Test func streamingEqualsTheTwoPassDefinition() throws {
    var rng = testGenerator(50)
    let (c, d, n) = (3, 5, 60)
    let batch: Matrix<Double> = Gaussian.matrix(rows: d, columns: n, using: &rng)
    let labels = (0..<n).map { $0 % c }
    var streamed = NeuralCollapseAccumulator(classes: c, dimension: d)
    for j in 0..<n { streamed.add(batch.column(j).map { $0 + 100 }, label: labels[j]) }
    // Two-pass reference: means first, then Σ_W and Σ_B, pseudo-inverse by eigendecomposition.
    var means = Matrix<Double>(rows: d, columns: c)
    for j in 0..<n { for i in 0..<d { means[i, labels[j]] += (batch[i, j] + 100) / Double(n / c) } }
    var sw = Matrix<Double>(rows: d, columns: d)
    for j in 0..<n {
      var x = batch.column(j).map { $0 + 100 }
      x.add(means.column(labels[j]), scaledBy: -1)
      sw.addOuterProduct(x, x, scaledBy: 1 / Double(n))
    }
    var global = [Double](repeating: 0, count: d)
    for k in 0..<c { global.add(means.column(k), scaledBy: 1 / Double(c)) }
    var sb = Matrix<Double>(rows: d, columns: d)
    for k in 0..<c {
      var m = means.column(k)
      m.add(global, scaledBy: -1)
      sb.addOuterProduct(m, m, scaledBy: 1 / Double(c))
    }
    let (values, vectors) = try sb.symmetricEigendecomposition()
    var pinv = Matrix<Double>(rows: d, columns: d)
    for k in 0..<d where values[k] > 1e-10 * values.last! {
      pinv.addOuterProduct(vectors.column(k), vectors.column(k), scaledBy: 1 / values[k])
    }
    let reference = (sw * pinv).trace / Double(c)
    let nc1 = try streamed.metrics().nc1
    #expect(abs(nc1 - reference) <= 1e-9 * reference, "NC1 \(nc1) vs two-pass \(reference)")
    #expect(relativeError(streamed.withinClassCovariance, sw) <= 1e-10)
  }
}

@Suite("Spread: median, min and max over inputs")
struct SpreadTests {
  @Test func oddAndEvenCounts() {
    #expect(Spread(of: [3, 1, 2]) == Spread(median: 2, min: 1, max: 3))
    #expect(Spread(of: [4, 1, 2, 3]) == Spread(median: 2.5, min: 1, max: 4))
  }
}

@Suite("RA1–RA4 together on exactly aligned rank-one blocks σ₁(J_i) = 1/i", .serialized)
struct AlignedRankOneBlocksTests {
  @Test func everyMetricSeesPerfectResidualAlignment() throws {
    var rng = testGenerator(51)
    let d = 64
    let blocks = 8
    let js = try alignedJacobians(blocks: blocks, dimension: d, rank: 1, using: &rng)
    // Randomized SVD (not the dense fallback) of each block.
    let svds = try js.map { try RandomizedSVD.svd(of: $0, rank: 1, using: &rng) }
    #expect(svds.allSatisfy { $0.method == .randomized })
    let ra2 = try SingularVectorAlignment(
      jacobians: js, decompositions: svds.map(\.decomposition), rank: 1, using: &rng)
    #expect(abs(ra2.diagonalFraction - 1) <= 1e-12, "diagonal fraction \(ra2.diagonalFraction)")
    let sigma1 = svds.map { $0.singularValues[0] }
    let ra4 = InverseDepthScaling(sigma1: [sigma1], resamples: 50, using: &rng)
    #expect(abs(ra4.all.slope - 1) <= 1e-10 && abs(ra4.all.r2 - 1) <= 1e-12)
    // A linear residual network h_{i+1} = h_i + J_i·h_i: every step is along u, so RA1's line.
    var h: [Double] = Gaussian.sample(d, using: &rng)
    var trajectory = [h]
    for j in js {
      h.add(j * h)
      trajectory.append(h)
    }
    let ra1 = try TrajectoryAlignment(trajectory: trajectory)
    #expect(abs(ra1.pc1VarianceFraction - 1) <= 1e-12 && abs(ra1.stepCosine - 1) <= 1e-12)
    let ra3 = SpectrumShape(
      topSingularValues: try js[0].singularValues().prefix(20).map { $0 }, classes: 1)
    #expect(ra3.numericalRank == 1 && ra3.gap > 1e12)
  }
}
