// Goals, in order of priority: NC1 exactly as the full-covariance definition gives it, without
// ever forming a D×D matrix (D = 16,384 at convolutional widths: 2.1 GB per layer); memory
// O(D·C); residuals hᵢ − μ_{yᵢ} taken directly (a true second pass, no difference of moments);
// GEMMs over batches.

import LinearAlgebra

/// The within-class covariance Σ_W on the span of the centred class means, Mᵀ·Σ_W·M (C×C), and
/// NC4, accumulated in a second pass over the data once the class means are known.
///
/// Paper: Figure 7, after Papyan, Han & Donoho (PNAS 2020). NC1 = tr(Σ_W·Σ_B⁺)/C with
/// Σ_B = M·Mᵀ/C needs Σ_W only on range(M) (see `NeuralCollapseMetrics.init(classMeans:…)`):
///
///     Mᵀ·Σ_W·M = (1/N)·Σᵢ (Mᵀrᵢ)(Mᵀrᵢ)ᵀ,   rᵢ = hᵢ − μ_{yᵢ}
///
/// Per batch H (D×b), one GEMM of D·b·2C gives [M μ]ᵀ·H; then Mᵀrᵢ = Mᵀhᵢ − Mᵀμ_{yᵢ} (the second
/// term a column of the C×C matrix Mᵀμ), K += P·Pᵀ for P = [Mᵀrᵢ] (C×b, a C×C SYRK), against
/// D²·b for the full covariance. Each Mᵀrᵢ is a difference of two inner products of the
/// sample, computed in Float64: its rounding error is of order 1e-16·‖M‖·‖hᵢ‖, not a difference
/// of second moments. NC4 compares each sample's nearest class centre (from μᵀ·H, the same
/// GEMM) with a reference label (the network's prediction).
public struct NeuralCollapseSpanOfMeans: Sendable, Equatable {
  /// μ_c (D×C).
  public let classMeans: Matrix<Double>
  /// n_c, from the first pass.
  public let counts: [Int]
  /// M = [μ_c − μ_G] (D×C).
  public let centredMeans: Matrix<Double>
  /// Σᵢ (Mᵀrᵢ)(Mᵀrᵢ)ᵀ, upper triangle (C×C).
  private var projectedScatter: Matrix<Double>
  /// [M μ] (D×2C): one GEMM per batch for the projections and NC4's inner products.
  private let projector: Matrix<Double>
  /// Mᵀμ (C×C): column c is Mᵀμ_c.
  private let projectedMeans: Matrix<Double>
  /// Samples seen in this pass.
  public private(set) var sampleCount = 0
  /// NC4's counter.
  public private(set) var nearestCentre: NearestClassCenterAgreement

  /// Starts the second pass from the first pass's class means.
  public init(_ firstPass: NeuralCollapseClassMeans) {
    classMeans = firstPass.classMeans
    counts = firstPass.counts
    centredMeans = NeuralCollapseMetrics.centred(classMeans, counts: counts)
    projectedScatter = Matrix(rows: firstPass.classes, columns: firstPass.classes)
    let (d, c) = (classMeans.rows, classMeans.columns)
    projector = Matrix(rows: d, columns: 2 * c, storage: centredMeans.storage + classMeans.storage)
    projectedMeans = centredMeans.multiplied(by: classMeans, transposingSelf: true)
    nearestCentre = NearestClassCenterAgreement(means: classMeans)
  }

  /// C.
  public var classes: Int { classMeans.columns }
  /// D.
  public var dimension: Int { classMeans.rows }

  /// Adds the features in the columns of `batch` (D×b) with their labels and the reference
  /// labels of NC4 (the network's predictions).
  public mutating func add(batch: Matrix<Double>, labels: [Int], references: [Int]) {
    precondition(
      batch.rows == dimension && labels.count == batch.columns
        && references.count == batch.columns, "batch shape")
    if batch.columns == 0 { return }
    let c = classes
    let b = batch.columns
    let both = projector.multiplied(by: batch, transposingSelf: true)  // 2C×b
    var p = Matrix<Double>(rows: c, columns: b)
    var inner = Matrix<Double>(rows: c, columns: b)
    both.withUnsafeBufferPointer { q in
      projectedMeans.withUnsafeBufferPointer { g in
        p.withUnsafeMutableBufferPointer { p in
          inner.withUnsafeMutableBufferPointer { inner in
            for j in 0..<b {
              let column = 2 * c * j
              let mean = c * labels[j]
              for k in 0..<c {
                p[c * j + k] = q[column + k] - g[mean + k]
                inner[c * j + k] = q[column + c + k]
              }
            }
          }
        }
      }
    }
    projectedScatter.addGramUpperTriangle(of: p)
    sampleCount += b
    nearestCentre.add(
      nearest: nearestCentre.nearestCentres(innerProducts: inner), references: references)
  }

  /// Adds NC4's nearest class centres only (when Σ_W comes from elsewhere).
  public mutating func addNearestCentres(batch: Matrix<Double>, references: [Int]) {
    nearestCentre.add(batch: batch, references: references)
  }

  /// Mᵀ·Σ_W·M (C×C) over the samples of this pass.
  public var projectedWithinClassCovariance: Matrix<Double> {
    var k = projectedScatter
    k.copyUpperTriangleToLower()
    k.scale(by: sampleCount > 0 ? 1 / Double(sampleCount) : .nan)
    return k
  }

  /// NC1–NC3 (NC3 and the classifier's NC2 with the classifier W, C×D).
  public func metrics(classifier w: Matrix<Double>? = nil) throws(LAPACKError)
    -> NeuralCollapseMetrics
  {
    try NeuralCollapseMetrics(
      classMeans: classMeans, counts: counts,
      projectedWithinClassCovariance: projectedWithinClassCovariance, classifier: w)
  }
}
