// Goals, in order of priority: the NC1–NC4 definitions of Papyan, Han & Donoho (2020), as the
// paper uses them (Figure 7); one streaming pass over the data for NC1–NC3 with memory O(D²)
// per layer; numerical care (sums taken about the first sample, not the origin).

import LinearAlgebra

/// Class counts, class sums and the second moment of features h ∈ ℝᴰ with labels in 0..<C,
/// accumulated in one streaming pass: enough for the class means, Σ_W and Σ_B of Neural Collapse.
///
/// Paper: Figure 7 and the Neural Collapse paragraph of section 4, after Papyan, Han & Donoho,
/// "Prevalence of neural collapse during the terminal phase of deep learning training" (PNAS
/// 2020). With N samples, class means μ_c, global mean μ_G:
///
///     Σ_W = (1/N)·Σᵢ (hᵢ − μ_{yᵢ})(hᵢ − μ_{yᵢ})ᵀ = (1/N)·(Σᵢ xᵢxᵢᵀ − Σ_c n_c·m_c·m_cᵀ)
///     Σ_B = (1/C)·Σ_c (μ_c − μ_G)(μ_c − μ_G)ᵀ
///
/// where xᵢ = hᵢ − h₀ and m_c = μ_c − h₀ are taken about the first sample h₀ to limit
/// cancellation. Caveat: Σ_W is still a difference of second moments, accurate to about
/// 1e-16·‖h − h₀‖²; an exactly collapsed set gives NC1 near 1e-16, not 0.
public struct NeuralCollapseAccumulator: Sendable, Equatable {
  /// C, the number of classes.
  public let classes: Int
  /// D, the feature dimension.
  public let dimension: Int
  /// Samples per class.
  public private(set) var counts: [Int]
  /// Σ over samples of class c of (hᵢ − h₀), as the columns of a D×C matrix.
  public private(set) var shiftedClassSums: Matrix<Double>
  /// Σᵢ (hᵢ − h₀)(hᵢ − h₀)ᵀ.
  public private(set) var shiftedSecondMoment: Matrix<Double>
  /// h₀, the first sample seen (the shift).
  public private(set) var origin: [Double]?

  public init(classes: Int, dimension: Int) {
    precondition(classes >= 2 && dimension >= 1, "need C ≥ 2 classes and D ≥ 1")
    self.classes = classes
    self.dimension = dimension
    counts = [Int](repeating: 0, count: classes)
    shiftedClassSums = Matrix(rows: dimension, columns: classes)
    shiftedSecondMoment = Matrix(rows: dimension, columns: dimension)
  }

  /// N, the samples seen.
  public var sampleCount: Int { counts.reduce(0, +) }

  /// Adds the features in the columns of `batch` (D×b) with their labels.
  public mutating func add(batch: Matrix<Double>, labels: [Int]) {
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
  public mutating func add(_ h: [Double], label: Int) {
    add(batch: Matrix(rows: h.count, columns: 1, storage: h), labels: [label])
  }

  /// The class means μ_c as the columns of a D×C matrix (requires every class seen).
  public var classMeans: Matrix<Double> {
    precondition(counts.allSatisfy { $0 > 0 }, "every class needs at least one sample")
    var m = shiftedClassSums
    for c in 0..<classes {
      for i in 0..<dimension { m[i, c] = m[i, c] / Double(counts[c]) + origin![i] }
    }
    return m
  }

  /// The within-class covariance Σ_W.
  public var withinClassCovariance: Matrix<Double> {
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
  public var centredClassMeans: Matrix<Double> {
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
  public func metrics(classifier w: Matrix<Double>? = nil) throws(LAPACKError)
    -> NeuralCollapseMetrics
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
    var result = NeuralCollapseMetrics(
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
  public static func simplexETFDistance(_ w: Matrix<Double>) -> Double {
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

/// NC1–NC3 at one layer (NC4: `NearestClassCenterAgreement`).
///
/// - `nc1` = tr(Σ_W·Σ_B⁺)/C: within-class variability against between-class (→ 0 at collapse).
/// - `nc2Means`, `nc2Classifier`: distance of the centred class means (resp. the classifier
///   rows), normalised as a whole, from a simplex ETF (→ 0); `meansNormCV`, `classifierNormCV`:
///   the coefficient of variation of their norms (equinorm → 0).
/// - `nc3` = ‖W/‖W‖_F − Mᵀ/‖M‖_F‖_F², self-duality of classifier and centred means (→ 0).
public struct NeuralCollapseMetrics: Sendable, Equatable, Codable {
  public var nc1: Double
  public var nc2Means: Double
  public var meansNormCV: Double
  public var nc2Classifier: Double?
  public var classifierNormCV: Double?
  public var nc3: Double?
}

/// NC4: how often the nearest class centre, argmin_c ‖h − μ_c‖, agrees with a reference label
/// (the network's prediction for NC4; the true label for the nearest-class-centre accuracy).
///
/// Paper: Figure 7g ("convergence to nearest class center"). Needs the class means, so it is a
/// second pass after `NeuralCollapseAccumulator`.
public struct NearestClassCenterAgreement: Sendable, Equatable {
  /// μ_c as the columns of a D×C matrix.
  public let means: Matrix<Double>
  private let meanSquaredNorms: [Double]
  /// Samples seen.
  public private(set) var count = 0
  /// Samples whose nearest class centre differs from the reference label.
  public private(set) var mismatches = 0

  public init(means: Matrix<Double>) {
    self.means = means
    meanSquaredNorms = (0..<means.columns).map { means.column($0).dot(means.column($0)) }
  }

  /// Adds the features in the columns of `batch` (D×b) with their reference labels.
  public mutating func add(batch: Matrix<Double>, references: [Int]) {
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
  public var mismatchFraction: Double { count > 0 ? Double(mismatches) / Double(count) : .nan }
}
