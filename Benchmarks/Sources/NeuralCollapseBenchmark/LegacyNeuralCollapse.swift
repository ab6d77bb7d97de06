// The Neural Collapse path of `ujm measure` before issue 12's rewrite (commit 023d7a3), kept
// verbatim as the benchmark's baseline: one D×D second moment per layer updated by a full GEMM
// X·Xᵀ per batch (after element-wise shifting), and a second forward pass for NC4 that holds
// every layer's representations of the batch. Only renamed (`Legacy…`) and made internal.

import Empirical
import LinearAlgebra

struct LegacyNeuralCollapseAccumulator: Sendable, Equatable {
  /// C, the number of classes.
  let classes: Int
  /// D, the feature dimension.
  let dimension: Int
  /// Samples per class.
  private(set) var counts: [Int]
  /// Σ over samples of class c of (hᵢ − h₀), as the columns of a D×C matrix.
  private(set) var shiftedClassSums: Matrix<Double>
  /// Σᵢ (hᵢ − h₀)(hᵢ − h₀)ᵀ.
  private(set) var shiftedSecondMoment: Matrix<Double>
  /// h₀, the first sample seen (the shift).
  private(set) var origin: [Double]?

  init(classes: Int, dimension: Int) {
    precondition(classes >= 2 && dimension >= 1, "need C ≥ 2 classes and D ≥ 1")
    self.classes = classes
    self.dimension = dimension
    counts = [Int](repeating: 0, count: classes)
    shiftedClassSums = Matrix(rows: dimension, columns: classes)
    shiftedSecondMoment = Matrix(rows: dimension, columns: dimension)
  }

  /// N, the samples seen.
  var sampleCount: Int { counts.reduce(0, +) }

  /// Adds the features in the columns of `batch` (D×b) with their labels.
  mutating func add(batch: Matrix<Double>, labels: [Int]) {
    precondition(batch.rows == dimension && labels.count == batch.columns, "batch shape")
    if batch.columns == 0 { return }
    if origin == nil { origin = batch.column(0) }
    var x = batch
    for j in 0..<x.columns {
      let c = labels[j]
      precondition(c >= 0 && c < classes, "label \(c) not in 0..<\(classes)")
      for i in 0..<dimension {
        x[i, j] -= origin![i]
        shiftedClassSums[i, c] += x[i, j]
      }
      counts[c] += 1
    }
    shiftedSecondMoment.add(x.multiplied(by: x, transposingOther: true))
  }

  /// Adds one feature vector.
  mutating func add(_ h: [Double], label: Int) {
    add(batch: Matrix(rows: h.count, columns: 1, storage: h), labels: [label])
  }

  /// The class means μ_c as the columns of a D×C matrix (requires every class seen).
  var classMeans: Matrix<Double> {
    precondition(counts.allSatisfy { $0 > 0 }, "every class needs at least one sample")
    var m = shiftedClassSums
    for c in 0..<classes {
      for i in 0..<dimension { m[i, c] = m[i, c] / Double(counts[c]) + origin![i] }
    }
    return m
  }

  /// The within-class covariance Σ_W.
  var withinClassCovariance: Matrix<Double> {
    precondition(counts.allSatisfy { $0 > 0 }, "every class needs at least one sample")
    var s = shiftedSecondMoment
    for c in 0..<classes {
      let m = shiftedClassSums.column(c).scaled(by: 1 / Double(counts[c]))
      s.addOuterProduct(m, m, scaledBy: -Double(counts[c]))
    }
    s.scale(by: 1 / Double(sampleCount))
    return s
  }

  /// The centred class means μ_c − μ_G (μ_G the global mean of the samples), as the columns
  /// of a D×C matrix.
  var centredClassMeans: Matrix<Double> {
    let means = classMeans
    var global = [Double](repeating: 0, count: dimension)
    for c in 0..<classes {
      global.add(means.column(c), scaledBy: Double(counts[c]) / Double(sampleCount))
    }
    var m = means
    for c in 0..<classes { for i in 0..<dimension { m[i, c] -= global[i] } }
    return m
  }

  /// NC1–NC3 of the features seen; NC3 and the classifier's NC2 need the classifier W (C×D,
  /// one row per class). NC4 needs the class means first: see `NearestClassCenterAgreement`.
  func metrics(classifier w: Matrix<Double>? = nil) throws(LAPACKError)
    -> LegacyNeuralCollapseMetrics
  {
    let m = centredClassMeans
    let sigmaW = withinClassCovariance
    // Σ_B = M·Mᵀ/C = U·S²·Uᵀ/C, so tr(Σ_W·Σ_B⁺)/C = Σₖ uₖᵀ·Σ_W·uₖ / sₖ² over the nonzero sₖ.
    // Σ_B has rank ≤ C − 1 (Σ_c n_c·(μ_c − μ_G) = 0), and the centred means carry rounding
    // errors of the size of the uncentred ones: keep k < C − 1 and sₖ above that noise.
    let svd = try m.singularValueDecomposition()
    let s = svd.singularValues
    let means = classMeans
    let scale = (0..<classes).map { means.column($0).euclideanNorm }.max() ?? 0
    let tolerance =
      Double(max(dimension, classes)) * Double.ulpOfOne * max(s.first ?? 0, scale)
    let wu = sigmaW * svd.u
    var nc1 = 0.0
    for k in 0..<min(s.count, classes - 1) where s[k] > tolerance {
      nc1 += svd.u.column(k).dot(wu.column(k)) / (s[k] * s[k])
    }
    let meanRows = m.transposed
    var result = LegacyNeuralCollapseMetrics(
      nc1: nc1, nc2Means: Self.simplexETFDistance(meanRows),
      meansNormCV: Self.normCV(meanRows), nc2Classifier: nil, classifierNormCV: nil, nc3: nil)
    if let w {
      precondition(w.rows == classes && w.columns == dimension, "classifier must be C×D")
      result.nc2Classifier = Self.simplexETFDistance(w)
      result.classifierNormCV = Self.normCV(w)
      let a = w.scaled(by: 1 / w.frobeniusNorm)
      let b = meanRows.scaled(by: 1 / meanRows.frobeniusNorm)
      let d = (a - b).frobeniusNorm
      result.nc3 = d * d
    }
    return result
  }

  /// ‖ W·Wᵀ/‖W·Wᵀ‖_F − (I − 11ᵀ/C)/√(C−1) ‖_F for the C rows of W: 0 exactly when the rows
  /// form a simplex equiangular tight frame (equal norms, pairwise cosines −1/(C−1)).
  static func simplexETFDistance(_ w: Matrix<Double>) -> Double {
    let c = w.rows
    let g = w.multiplied(by: w, transposingOther: true)
    let gn = g.frobeniusNorm
    var diff = g.scaled(by: gn > 0 ? 1 / gn : 0)
    let scale = 1 / Double(c - 1).squareRoot()
    for j in 0..<c {
      for i in 0..<c { diff[i, j] -= ((i == j ? 1 : 0) - 1 / Double(c)) * scale }
    }
    return diff.frobeniusNorm
  }

  /// std/mean of the norms of the rows of W (0 when equinorm).
  static func normCV(_ w: Matrix<Double>) -> Double {
    let norms = (0..<w.rows).map { w.row($0).euclideanNorm }
    let mean = norms.reduce(0, +) / Double(norms.count)
    let variance = norms.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(norms.count)
    return mean > 0 ? variance.squareRoot() / mean : .nan
  }
}

struct LegacyNearestClassCenterAgreement: Sendable, Equatable {
  /// μ_c as the columns of a D×C matrix.
  let means: Matrix<Double>
  private let meanSquaredNorms: [Double]
  /// Samples seen.
  private(set) var count = 0
  /// Samples whose nearest class centre differs from the reference label.
  private(set) var mismatches = 0

  init(means: Matrix<Double>) {
    self.means = means
    meanSquaredNorms = (0..<means.columns).map { means.column($0).dot(means.column($0)) }
  }

  /// Adds the features in the columns of `batch` (D×b) with their reference labels.
  mutating func add(batch: Matrix<Double>, references: [Int]) {
    precondition(batch.rows == means.rows && references.count == batch.columns, "batch shape")
    // ‖h − μ_c‖² = ‖h‖² − 2⟨μ_c, h⟩ + ‖μ_c‖²: argmin_c of ‖μ_c‖² − 2⟨μ_c, h⟩.
    let inner = means.multiplied(by: batch, transposingSelf: true)
    for j in 0..<batch.columns {
      var best = 0
      var bestValue = Double.infinity
      for c in 0..<means.columns {
        let v = meanSquaredNorms[c] - 2 * inner[c, j]
        if v < bestValue {
          bestValue = v
          best = c
        }
      }
      if best != references[j] { mismatches += 1 }
      count += 1
    }
  }

  /// The fraction of samples where the nearest class centre disagrees with the reference.
  var mismatchFraction: Double { count > 0 ? Double(mismatches) / Double(count) : .nan }
}

/// The old `NeuralCollapseMeasurement.measure`.
enum LegacyNeuralCollapseMeasurement {
  static func measure(
    network: EvaluationNetwork,
    batches: () -> AnySequence<(inputs: Matrix<Double>, labels: [Int])>
  ) throws(LAPACKError) -> LegacyNeuralCollapseResult {
    let c = network.classCount
    let d = network.width
    let layerCount = network.depth + 2
    var accumulators = [LegacyNeuralCollapseAccumulator](
      repeating: LegacyNeuralCollapseAccumulator(classes: c, dimension: d), count: layerCount)
    var correct = 0
    var samples = 0
    for (x, labels) in batches() {
      let logits = network.forward(batch: x) { layer, h in
        accumulators[layer - 1].add(batch: h, labels: labels)
      }
      let predicted = EvaluationNetwork.predictions(logits)
      correct += zip(predicted, labels).filter { $0 == $1 }.count
      samples += labels.count
    }
    precondition(samples > 0, "no samples")
    precondition(
      accumulators[0].counts.allSatisfy { $0 > 0 }, "every class needs at least one sample")
    var centres = accumulators.map { LegacyNearestClassCenterAgreement(means: $0.classMeans) }
    for (x, _) in batches() {
      // The predictions come last, so the batch's representations are kept until then.
      var representations = [Matrix<Double>]()
      let logits = network.forward(batch: x) { _, h in representations.append(h) }
      let predicted = EvaluationNetwork.predictions(logits)
      for (k, h) in representations.enumerated() {
        centres[k].add(batch: h, references: predicted)
      }
    }
    var layers = [LegacyNeuralCollapseResult.Layer]()
    for k in 0..<layerCount {
      let classifier = k == layerCount - 1 ? network.classifier : nil
      layers.append(
        LegacyNeuralCollapseResult.Layer(
          layer: k + 1, metrics: try accumulators[k].metrics(classifier: classifier),
          nc4: centres[k].mismatchFraction))
    }
    return LegacyNeuralCollapseResult(
      layers: layers, samples: samples, accuracy: Double(correct) / Double(samples))
  }
}

/// The old NC1–NC3 of one layer (the fields of `NeuralCollapseMetrics`).
struct LegacyNeuralCollapseMetrics {
  var nc1: Double
  var nc2Means: Double
  var meansNormCV: Double
  var nc2Classifier: Double?
  var classifierNormCV: Double?
  var nc3: Double?
}

/// The old measurement's result (the fields of `NeuralCollapseMeasurement`).
struct LegacyNeuralCollapseResult {
  struct Layer {
    var layer: Int
    var metrics: LegacyNeuralCollapseMetrics
    var nc4: Double
  }
  var layers: [Layer]
  var samples: Int
  var accuracy: Double
}
