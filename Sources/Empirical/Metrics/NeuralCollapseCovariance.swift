// Goals, in order of priority: the full within-class covariance Σ_W (D×D) of Neural Collapse in
// one streaming pass, for small widths and as the reference of the span-of-means path;
// numerical care (moments taken about the first sample, not the origin); SYRK and GEMM over
// batches.

import LinearAlgebra

/// Class counts, class sums and the second moment of features h ∈ ℝᴰ with labels in 0..<C,
/// accumulated in one streaming pass: enough for the class means, Σ_W and Σ_B of Neural Collapse.
/// Memory O(D²): at convolutional widths use `NeuralCollapseClassMeans` and
/// `NeuralCollapseSpanOfMeans` instead (two passes, O(D·C)).
///
/// Paper: Figure 7 and the Neural Collapse paragraph of section 4, after Papyan, Han & Donoho,
/// "Prevalence of neural collapse during the terminal phase of deep learning training" (PNAS
/// 2020). With N samples, class means μ_c, global mean μ_G:
///
///     Σ_W = (1/N)·Σᵢ (hᵢ − μ_{yᵢ})(hᵢ − μ_{yᵢ})ᵀ = (1/N)·(Σᵢ xᵢxᵢᵀ − Σ_c n_c·m_c·m_cᵀ)
///     Σ_B = (1/C)·Σ_c (μ_c − μ_G)(μ_c − μ_G)ᵀ
///
/// where xᵢ = hᵢ − h₀ and m_c = μ_c − h₀ are taken about the first sample h₀ to limit
/// cancellation. Per batch X (D×b): Σ xxᵀ += X·Xᵀ (SYRK, upper triangle), class sums += X·E
/// (GEMM, E the class indicator). Caveat: Σ_W is still a difference of second moments,
/// accurate to about 1e-16·‖h − h₀‖²; an exactly collapsed set gives NC1 near 1e-16, not 0.
public struct NeuralCollapseAccumulator: Sendable, Equatable {
  /// C, the number of classes.
  public let classes: Int
  /// D, the feature dimension.
  public let dimension: Int
  /// Samples per class.
  public private(set) var counts: [Int]
  /// Σ over samples of class c of (hᵢ − h₀), as the columns of a D×C matrix.
  public private(set) var shiftedClassSums: Matrix<Double>
  /// Σᵢ (hᵢ − h₀)(hᵢ − h₀)ᵀ, upper triangle only (see `shiftedSecondMoment`).
  private var shiftedSecondMomentUpper: Matrix<Double>
  /// h₀, the first sample seen (the shift).
  public private(set) var origin: [Double]?

  public init(classes: Int, dimension: Int) {
    precondition(classes >= 2 && dimension >= 1, "need C ≥ 2 classes and D ≥ 1")
    self.classes = classes
    self.dimension = dimension
    counts = [Int](repeating: 0, count: classes)
    shiftedClassSums = Matrix(rows: dimension, columns: classes)
    shiftedSecondMomentUpper = Matrix(rows: dimension, columns: dimension)
  }

  /// N, the samples seen.
  public var sampleCount: Int { counts.reduce(0, +) }

  /// Σᵢ (hᵢ − h₀)(hᵢ − h₀)ᵀ.
  public var shiftedSecondMoment: Matrix<Double> {
    var s = shiftedSecondMomentUpper
    s.copyUpperTriangleToLower()
    return s
  }

  /// Adds the features in the columns of `batch` (D×b) with their labels.
  public mutating func add(batch: Matrix<Double>, labels: [Int]) {
    precondition(batch.rows == dimension && labels.count == batch.columns, "batch shape")
    if batch.columns == 0 { return }
    if origin == nil { origin = batch.column(0) }
    var x = batch
    x.addOuterProduct(origin!, [Double](repeating: 1, count: x.columns), scaledBy: -1)
    shiftedClassSums.addProduct(x, Matrix.classIndicator(labels, classes: classes))
    for c in labels { counts[c] += 1 }
    shiftedSecondMomentUpper.addGramUpperTriangle(of: x)
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
    var s = shiftedSecondMomentUpper
    var m = shiftedClassSums
    for c in 0..<classes {
      let factor = 1 / Double(counts[c]).squareRoot()
      for i in 0..<dimension { m[i, c] *= factor }
    }
    // Σ_c n_c·m_c·m_cᵀ = (m_c·√n_c)(m_c·√n_c)ᵀ summed: one SYRK.
    s.addGramUpperTriangle(of: m, scaledBy: -1)
    s.copyUpperTriangleToLower()
    s.scale(by: 1 / Double(sampleCount))
    return s
  }

  /// The centred class means μ_c − μ_G (μ_G the global mean of the samples), as the columns
  /// of a D×C matrix.
  public var centredClassMeans: Matrix<Double> {
    NeuralCollapseMetrics.centred(classMeans, counts: counts)
  }

  /// NC1–NC3 of the features seen; NC3 and the classifier's NC2 need the classifier W (C×D,
  /// one row per class). NC4 needs the class means first: see `NearestClassCenterAgreement`.
  public func metrics(classifier w: Matrix<Double>? = nil) throws(LAPACKError)
    -> NeuralCollapseMetrics
  {
    let m = centredClassMeans
    let projected = m.multiplied(by: withinClassCovariance * m, transposingSelf: true)
    return try NeuralCollapseMetrics(
      classMeans: classMeans, counts: counts, projectedWithinClassCovariance: projected,
      classifier: w)
  }
}
