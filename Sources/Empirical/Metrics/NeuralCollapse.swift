// Goals, in order of priority: the NC1–NC4 definitions of Papyan, Han & Donoho (2020), as the
// paper uses them (Figure 7); one formula for NC1 shared by the full-covariance and the
// span-of-means accumulators; the simplex-ETF and self-duality measures of NC2 and NC3.

import LinearAlgebra

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

extension NeuralCollapseMetrics {
  /// NC1–NC3 from the class means (D×C), the class counts and Mᵀ·Σ_W·M (C×C), M the centred
  /// class means; NC3 and the classifier's NC2 need the classifier W (C×D, one row per class).
  ///
  /// Paper: Figure 7, after Papyan, Han & Donoho (PNAS 2020). With the thin SVD M = U·S·Vᵀ,
  /// Σ_B = M·Mᵀ/C = U·S²·Uᵀ/C and uₖ = M·vₖ/sₖ, so
  ///
  ///     NC1 = tr(Σ_W·Σ_B⁺)/C = Σₖ uₖᵀ·Σ_W·uₖ / sₖ² = Σₖ vₖᵀ·(Mᵀ·Σ_W·M)·vₖ / sₖ⁴
  ///
  /// over the nonzero sₖ: Σ_W is needed on the span of the centred means only. Σ_B has rank
  /// ≤ C − 1 (Σ_c n_c·(μ_c − μ_G) = 0), and the centred means carry rounding errors of the size
  /// of the uncentred ones: k < C − 1 and sₖ > max(D, C)·ε·max(s₁, max_c ‖μ_c‖) are kept.
  public init(
    classMeans means: Matrix<Double>, counts: [Int],
    projectedWithinClassCovariance k: Matrix<Double>,
    classifier w: Matrix<Double>? = nil
  ) throws(LAPACKError) {
    let (d, c) = (means.rows, means.columns)
    precondition(counts.count == c && k.rows == c && k.columns == c, "shapes of means and Mᵀ·Σ_W·M")
    let m = Self.centred(means, counts: counts)
    let svd = try m.singularValueDecomposition()
    let s = svd.singularValues
    let scale = (0..<c).map { means.column($0).euclideanNorm }.max() ?? 0
    let tolerance = Double(max(d, c)) * Double.ulpOfOne * max(s.first ?? 0, scale)
    let kv = k * svd.v
    var nc1 = 0.0
    for j in 0..<min(s.count, c - 1) where s[j] > tolerance {
      let s2 = s[j] * s[j]
      nc1 += svd.v.column(j).dot(kv.column(j)) / (s2 * s2)
    }
    let meanRows = m.transposed
    self.init(
      nc1: nc1, nc2Means: Self.simplexETFDistance(meanRows), meansNormCV: Self.normCV(meanRows),
      nc2Classifier: nil, classifierNormCV: nil, nc3: nil)
    if let w {
      precondition(w.rows == c && w.columns == d, "classifier must be C×D")
      nc2Classifier = Self.simplexETFDistance(w)
      classifierNormCV = Self.normCV(w)
      let a = w.scaled(by: 1 / w.frobeniusNorm)
      let b = meanRows.scaled(by: 1 / meanRows.frobeniusNorm)
      let diff = (a - b).frobeniusNorm
      nc3 = diff * diff
    }
  }

  /// μ_c − μ_G for the class means μ_c (columns of a D×C matrix) with counts n_c, where
  /// μ_G = Σ_c n_c·μ_c / N is the global mean of the samples.
  public static func centred(_ means: Matrix<Double>, counts: [Int]) -> Matrix<Double> {
    let total = Double(counts.reduce(0, +))
    let weights = counts.map { Double($0) / total }
    let global = means.multiplied(by: weights)
    var m = means
    m.addOuterProduct(global, [Double](repeating: 1, count: means.columns), scaledBy: -1)
    return m
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

/// NC4: how often the nearest class centre, argmin_c ‖h − μ_c‖, agrees with a reference label
/// (the network's prediction for NC4; the true label for the nearest-class-centre accuracy).
///
/// Paper: Figure 7g ("convergence to nearest class center"). Needs the class means, so it is a
/// second pass after `NeuralCollapseClassMeans`.
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

  /// argmin_c ‖h − μ_c‖ of each column h of `batch` (D×b).
  public func nearestCentres(_ batch: Matrix<Double>) -> [Int] {
    precondition(batch.rows == means.rows, "batch shape")
    // ‖h − μ_c‖² = ‖h‖² − 2⟨μ_c, h⟩ + ‖μ_c‖²: argmin_c of ‖μ_c‖² − 2⟨μ_c, h⟩.
    return nearestCentres(innerProducts: means.multiplied(by: batch, transposingSelf: true))
  }

  /// argmin_c ‖h_j − μ_c‖ from the inner products ⟨μ_c, h_j⟩ (C×b, the rows of μᵀ·H).
  public func nearestCentres(innerProducts inner: Matrix<Double>) -> [Int] {
    precondition(inner.rows == means.columns, "one row of inner products per class")
    return (0..<inner.columns).map { j in
      var best = 0
      var bestValue = Double.infinity
      for c in 0..<means.columns {
        let v = meanSquaredNorms[c] - 2 * inner[c, j]
        if v < bestValue {
          bestValue = v
          best = c
        }
      }
      return best
    }
  }

  /// Adds the features in the columns of `batch` (D×b) with their reference labels.
  public mutating func add(batch: Matrix<Double>, references: [Int]) {
    precondition(references.count == batch.columns, "batch shape")
    add(nearest: nearestCentres(batch), references: references)
  }

  /// Adds nearest class centres found by `nearestCentres(_:)` with their reference labels.
  public mutating func add(nearest: [Int], references: [Int]) {
    precondition(nearest.count == references.count, "one reference per sample")
    mismatches += zip(nearest, references).filter { $0 != $1 }.count
    count += nearest.count
  }

  /// The fraction of samples where the nearest class centre disagrees with the reference.
  public var mismatchFraction: Double { count > 0 ? Double(mismatches) / Double(count) : .nan }
}

extension Matrix where Scalar == Double {
  /// The b×C indicator of `labels` (entry (j, c) = 1 when labels[j] = c), so that H·E sums the
  /// columns of H class by class.
  static func classIndicator(_ labels: [Int], classes: Int) -> Matrix {
    var e = Matrix(rows: labels.count, columns: classes)
    for (j, c) in labels.enumerated() {
      precondition(c >= 0 && c < classes, "label \(c) not in 0..<\(classes)")
      e[j, c] = 1
    }
    return e
  }
}
