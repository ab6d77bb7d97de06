import Empirical
import LinearAlgebra
import TestSupport
import Testing

/// NC1–NC4 of features H (D×N) straight from the definitions: class means by loops, Σ_W and Σ_B
/// as sums of outer products, Σ_B⁺ by eigendecomposition, NC4 by explicit distances.
private struct DefinitionNC {
  var means: Matrix<Double>
  var nc1: Double
  var nc2Means: Double
  var projected: Matrix<Double>  // Mᵀ·Σ_W·M
  var nearest: [Int]

  init(_ h: Matrix<Double>, labels: [Int], classes c: Int) throws {
    let (d, n) = (h.rows, h.columns)
    var counts = [Int](repeating: 0, count: c)
    means = Matrix(rows: d, columns: c)
    for j in 0..<n {
      counts[labels[j]] += 1
      for i in 0..<d { means[i, labels[j]] += h[i, j] }
    }
    for k in 0..<c { for i in 0..<d { means[i, k] /= Double(counts[k]) } }
    var sw = Matrix<Double>(rows: d, columns: d)
    for j in 0..<n {
      var x = h.column(j)
      x.add(means.column(labels[j]), scaledBy: -1)
      sw.addOuterProduct(x, x, scaledBy: 1 / Double(n))
    }
    var global = [Double](repeating: 0, count: d)
    for k in 0..<c { global.add(means.column(k), scaledBy: Double(counts[k]) / Double(n)) }
    var centred = means
    var sb = Matrix<Double>(rows: d, columns: d)
    for k in 0..<c {
      var m = means.column(k)
      m.add(global, scaledBy: -1)
      centred.setColumn(k, to: m)
      sb.addOuterProduct(m, m, scaledBy: 1 / Double(c))
    }
    let (values, vectors) = try sb.symmetricEigendecomposition()
    var pinv = Matrix<Double>(rows: d, columns: d)
    for k in 0..<d where values[k] > 1e-10 * values.last! {
      pinv.addOuterProduct(vectors.column(k), vectors.column(k), scaledBy: 1 / values[k])
    }
    nc1 = (sw * pinv).trace / Double(c)
    nc2Means = NeuralCollapseMetrics.simplexETFDistance(centred.transposed)
    projected = centred.transposed * sw * centred
    let m = means
    nearest = (0..<n).map { j in
      (0..<c).min { a, b in
        let x = h.column(j)
        var da = x
        da.add(m.column(a), scaledBy: -1)
        var db = x
        db.add(m.column(b), scaledBy: -1)
        return da.dot(da) < db.dot(db)
      }!
    }
  }
}

/// The columns `range` of `h`.
private func columns(_ h: Matrix<Double>, _ range: Range<Int>) -> Matrix<Double> {
  Matrix(
    rows: h.rows, columns: range.count,
    storage: Array(h.storage[(range.lowerBound * h.rows)..<(range.upperBound * h.rows)]))
}

@Suite(
  "Neural Collapse accumulators: span of the means, full Σ_W and the definition agree",
  .serialized)
struct NeuralCollapseAccumulatorTests {
  @Test func spanOfMeansAndFullCovarianceEqualTheDefinition() throws {
    var rng = testGenerator(120)
    let (c, d, n) = (4, 9, 203)
    // Features far from the origin: the full path's moments are taken about h₀ for this.
    var h: Matrix<Double> = Gaussian.matrix(rows: d, columns: n, using: &rng)
    h = Matrix(rows: d, columns: n, storage: h.storage.map { $0 + 100 })
    let labels = (0..<n).map { _ in Int.random(in: 0..<c, using: &rng) }
    let reference = try DefinitionNC(h, labels: labels, classes: c)
    let cuts = [0, 50, 51, 128, n]  // batches of 50, 1, 77 and 75
    var full = NeuralCollapseAccumulator(classes: c, dimension: d)
    var firstPass = NeuralCollapseClassMeans(classes: c, dimension: d)
    for (a, b) in zip(cuts, cuts.dropFirst()) {
      full.add(batch: columns(h, a..<b), labels: Array(labels[a..<b]))
      firstPass.add(batch: columns(h, a..<b), labels: Array(labels[a..<b]))
    }
    var span = NeuralCollapseSpanOfMeans(firstPass)
    for (a, b) in zip(cuts, cuts.dropFirst()) {
      span.add(
        batch: columns(h, a..<b), labels: Array(labels[a..<b]),
        references: Array(reference.nearest[a..<b]))
    }
    let w: Matrix<Double> = Gaussian.matrix(rows: c, columns: d, using: &rng)
    let viaFull = try full.metrics(classifier: w)
    let viaSpan = try span.metrics(classifier: w)
    let errors = [
      ("NC1 full vs definition", abs(viaFull.nc1 - reference.nc1) / reference.nc1),
      ("NC1 span vs definition", abs(viaSpan.nc1 - reference.nc1) / reference.nc1),
      ("NC1 span vs full", abs(viaSpan.nc1 - viaFull.nc1) / viaFull.nc1),
      ("class means", relativeError(firstPass.classMeans, reference.means)),
      (
        "Mᵀ·Σ_W·M span vs definition",
        relativeError(span.projectedWithinClassCovariance, reference.projected)
      ),
      ("NC2 means", abs(viaSpan.nc2Means - reference.nc2Means) / reference.nc2Means),
      ("NC3 span vs full", abs(viaSpan.nc3! - viaFull.nc3!) / viaFull.nc3!),
    ]
    for (name, error) in errors {
      print("\(name): relative error \(error), tolerance 1e-10")
      #expect(error <= 1e-10, "\(name)")
    }
    print("NC1 \(viaSpan.nc1) (definition \(reference.nc1))")
    // Random features: far from collapse, and the nearest centres found as the definition's.
    #expect(viaSpan.nc1 > 0.5)
    #expect(span.nearestCentre.mismatches == 0 && span.nearestCentre.count == n)
    // A counterexample: residuals about the wrong means are caught.
    var shifted = firstPass
    shifted.add(batch: columns(h, 0..<1), labels: [labels[1] == 0 ? 1 : 0])
    var wrong = NeuralCollapseSpanOfMeans(shifted)
    wrong.add(batch: h, labels: labels, references: reference.nearest)
    let wrongError = abs(try wrong.metrics().nc1 - reference.nc1) / reference.nc1
    print("NC1 with one mislabelled extra sample in pass 1: relative error \(wrongError)")
    #expect(wrongError > 1e-6)
  }

  @Test func exactlyCollapsedFeaturesScoreZeroOnTheSpanOfTheMeans() throws {
    var rng = testGenerator(121)
    let (c, d) = (4, 7)
    let q: Matrix<Double> = try Gaussian.orthogonalMatrix(d, using: &rng)
    let centred = Matrix<Double>(rows: c, columns: c) { i, j in (i == j ? 3 : 0) - 3 / Double(c) }
    let vertices = centred * q.leadingColumns(c).transposed  // C×D, a simplex ETF
    var batch = Matrix<Double>(rows: d, columns: 40)
    let labels = (0..<40).map { $0 % c }
    for n in 0..<40 { batch.setColumn(n, to: vertices.row(labels[n])) }
    var firstPass = NeuralCollapseClassMeans(classes: c, dimension: d)
    firstPass.add(batch: batch, labels: labels)
    var span = NeuralCollapseSpanOfMeans(firstPass)
    span.add(batch: batch, labels: labels, references: labels)
    let nc = try span.metrics(classifier: vertices)
    print("collapsed: NC1 \(nc.nc1) (tolerance 1e-24), NC2 \(nc.nc2Means), NC3 \(nc.nc3!)")
    // A true second pass: the residuals are (nearly) exactly zero, not a difference of moments.
    #expect(nc.nc1 <= 1e-24)
    #expect(nc.nc2Means <= 1e-12 && nc.nc2Classifier! <= 1e-12 && nc.nc3! <= 1e-12)
    #expect(span.nearestCentre.mismatchFraction == 0)
  }

  @Test func layersMayDifferInWidthAndAMissingClassStopsThePass() throws {
    var rng = testGenerator(122)
    let labels = (0..<30).map { $0 % 3 }
    let wide: Matrix<Double> = Gaussian.matrix(rows: 6, columns: 30, using: &rng)
    let narrow: Matrix<Double> = Gaussian.matrix(rows: 2, columns: 30, using: &rng)
    for covariance in LayerwiseNeuralCollapse.Covariance.allCases {
      var nc = LayerwiseNeuralCollapse(classes: 3, covariance: covariance)
      nc.addFirstPass(layer: 1, batch: wide, labels: labels)
      nc.addFirstPass(layer: 2, batch: narrow, labels: labels)
      #expect(nc.beginSecondPass() == [])
      nc.addSecondPass(layer: 1, batch: wide, labels: labels, references: labels)
      nc.addSecondPass(layer: 2, batch: narrow, labels: labels, references: labels)
      #expect(nc.layers == [1, 2])
      let one = try nc.metrics(layer: 1)
      let two = try nc.metrics(layer: 2)
      let reference = try DefinitionNC(wide, labels: labels, classes: 3)
      #expect(abs(one.metrics.nc1 - reference.nc1) <= 1e-10 * reference.nc1, "\(covariance)")
      #expect(two.metrics.nc1.isFinite && one.nc4 >= 0 && two.nc4 <= 1)
    }
    var missing = LayerwiseNeuralCollapse(classes: 4)
    missing.addFirstPass(layer: 1, batch: wide, labels: labels)
    #expect(missing.beginSecondPass() == [3])
    #expect(!missing.inSecondPass)
  }

  @Test func measurementMatchesTheDefinitionAtEveryLayerOnBothPaths() throws {
    var rng = testGenerator(123)
    let net = randomNetwork(inputSize: 6, width: 10, blocks: 3, classes: 3, using: &rng)
    let x: Matrix<Double> = Gaussian.matrix(rows: 6, columns: 90, using: &rng)
    let labels = (0..<90).map { _ in Int.random(in: 0..<3, using: &rng) }
    let batches = {
      AnySequence(
        [0, 30, 60].map {
          (inputs: columns(x, $0..<($0 + 30)), labels: Array(labels[$0..<($0 + 30)]))
        })
    }
    var seen = [NeuralCollapseMeasurement.Progress]()
    let span = try NeuralCollapseMeasurement.measure(
      network: net, covariance: .spanOfMeans, batches: batches, progress: { seen.append($0) })
    let full = try NeuralCollapseMeasurement.measure(
      network: net, covariance: .full, batches: batches)
    #expect(
      seen.map(\.pass) == [1, 1, 1, 1, 2, 2, 2, 2]
        && seen.map(\.samples) == [0, 30, 60, 90, 0, 30, 60, 90])
    var representations = [Int: Matrix<Double>]()
    let predictions = EvaluationNetwork.predictions(
      net.forward(batch: x) { layer, h in representations[layer] = h })
    #expect(span.layers.map(\.layer) == Array(1...5) && span.samples == 90)
    for layer in span.layers {
      let reference = try DefinitionNC(representations[layer.layer]!, labels: labels, classes: 3)
      let nc4 = Double(zip(reference.nearest, predictions).filter { $0 != $1 }.count) / 90
      let other = full.layers[layer.layer - 1]
      let toDefinition = abs(layer.metrics.nc1 - reference.nc1) / reference.nc1
      let toFull = abs(layer.metrics.nc1 - other.metrics.nc1) / other.metrics.nc1
      print(
        "layer \(layer.layer): NC1 \(layer.metrics.nc1), relative error to the definition "
          + "\(toDefinition), to the full path \(toFull) (tolerance 1e-10); NC4 \(layer.nc4)")
      #expect(toDefinition <= 1e-10 && toFull <= 1e-10)
      #expect(layer.nc4 == nc4 && other.nc4 == nc4)
    }
    #expect(span.last.metrics.nc3 != nil && span.layers[0].metrics.nc3 == nil)
    // Labels without class 2: no class mean, an error rather than an omission.
    #expect(throws: NeuralCollapseMeasurement.Failure.classesWithoutSamples([2])) {
      try NeuralCollapseMeasurement.measure(network: net) {
        AnySequence([(inputs: x, labels: labels.map { $0 == 2 ? 0 : $0 })])
      }
    }
    #expect(NeuralCollapseMeasurement.examplesNeeded(labels: [0, 0, 1, 0, 2, 1], classes: 3) == 5)
    #expect(NeuralCollapseMeasurement.examplesNeeded(labels: [0, 1, 1], classes: 3) == nil)
  }

  @Test func anyNetworkFeedsTheMeasurementThroughItsForwardPass() throws {
    // A "network" whose layer 1 is its input (D = 5) and layer 2 the first 2 coordinates, with
    // logits W·(layer 2): the measurement needs no EvaluationNetwork.
    var rng = testGenerator(124)
    let x: Matrix<Double> = Gaussian.matrix(rows: 5, columns: 60, using: &rng)
    let labels = (0..<60).map { $0 % 3 }
    let w: Matrix<Double> = Gaussian.matrix(rows: 3, columns: 2, using: &rng)
    func head(_ h: Matrix<Double>) -> Matrix<Double> {
      Matrix(rows: 2, columns: h.columns) { i, j in h[i, j] }
    }
    let nc = try NeuralCollapseMeasurement.measure(
      classes: 3, classifier: (layer: 2, weights: w),
      batches: { AnySequence([(inputs: x, labels: labels)]) },
      forward: { batch, visit in
        visit(1, batch)
        visit(2, head(batch))
        return w * head(batch)
      })
    #expect(nc.layers.map(\.layer) == [1, 2] && nc.layers[0].metrics.nc3 == nil)
    #expect(nc.layers[1].metrics.nc3 != nil)
    for (layer, h) in [(0, x), (1, head(x))] {
      let reference = try DefinitionNC(h, labels: labels, classes: 3)
      let error = abs(nc.layers[layer].metrics.nc1 - reference.nc1) / reference.nc1
      print("layer \(layer + 1) (D = \(h.rows)): NC1 relative error \(error), tolerance 1e-10")
      #expect(error <= 1e-10)
    }
  }
}
