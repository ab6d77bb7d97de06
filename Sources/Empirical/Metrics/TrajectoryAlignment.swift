// Goals, in order of priority: the three numbers of RA1 exactly as the report defines them;
// well defined on degenerate trajectories (a zero step, a single point).

import LinearAlgebra

/// RA1 on one trajectory: how close the representations h₁, …, h_{L+1} of one input are to
/// equispaced points on a line.
///
/// Paper: (RA1) "intermediate representations of a given input are equispaced on a line"
/// (section 1, Figure 1). With the points centred by their mean and stacked as the columns of
/// a D×(L+1) matrix H̄ with singular values s₁ ≥ s₂ ≥ …, and the steps dᵢ = h_{i+1} − hᵢ:
///
///     pc1VarianceFraction = s₁² / Σₖ sₖ²                   (1 on a line)
///     stepLengthCV        = std(‖dᵢ‖) / mean(‖dᵢ‖)          (population std; 0 if equispaced)
///     stepCosine          = mean over i of |⟨dᵢ, d_{i+1}⟩| / (‖dᵢ‖‖d_{i+1}‖)   (1 on a line)
///
/// Caveats: pairs of consecutive steps with a zero step are left out of `stepCosine` (NaN when
/// no pair remains); a trajectory whose points all coincide has `pc1VarianceFraction` NaN.
public struct TrajectoryAlignment: Sendable, Equatable, Codable {
  /// Fraction of the variance of the centred points on the first principal component.
  public var pc1VarianceFraction: Double
  /// Coefficient of variation (population standard deviation / mean) of the step lengths.
  public var stepLengthCV: Double
  /// Mean |cos| of the angle between consecutive steps.
  public var stepCosine: Double

  public init(pc1VarianceFraction: Double, stepLengthCV: Double, stepCosine: Double) {
    self.pc1VarianceFraction = pc1VarianceFraction
    self.stepLengthCV = stepLengthCV
    self.stepCosine = stepCosine
  }

  /// RA1 of the trajectory `points` (h₁, …, h_{L+1}, each of dimension D; at least 2 points).
  public init(trajectory points: [[Double]]) throws(LAPACKError) {
    precondition(points.count >= 2, "a trajectory needs at least two points")
    let d = points[0].count
    precondition(points.allSatisfy { $0.count == d }, "points of different dimensions")
    let n = points.count
    var mean = [Double](repeating: 0, count: d)
    for p in points { mean.add(p, scaledBy: 1 / Double(n)) }
    var centred = Matrix<Double>(rows: d, columns: n)
    for (j, p) in points.enumerated() {
      var c = p
      c.add(mean, scaledBy: -1)
      centred.setColumn(j, to: c)
    }
    let s = try centred.singularValues()
    let total = s.reduce(0) { $0 + $1 * $1 }
    let pc1 = total > 0 ? s[0] * s[0] / total : .nan

    var steps = [[Double]]()
    for i in 0..<(n - 1) {
      var step = points[i + 1]
      step.add(points[i], scaledBy: -1)
      steps.append(step)
    }
    let lengths = steps.map(\.euclideanNorm)
    let meanLength = lengths.reduce(0, +) / Double(lengths.count)
    let variance =
      lengths.reduce(0) { $0 + ($1 - meanLength) * ($1 - meanLength) }
      / Double(lengths.count)
    let cv = meanLength > 0 ? variance.squareRoot() / meanLength : .nan

    var cosines = [Double]()
    for i in 0..<max(0, steps.count - 1) where lengths[i] > 0 && lengths[i + 1] > 0 {
      cosines.append(abs(steps[i].dot(steps[i + 1])) / (lengths[i] * lengths[i + 1]))
    }
    let cosine = cosines.isEmpty ? .nan : cosines.reduce(0, +) / Double(cosines.count)
    self.init(pc1VarianceFraction: pc1, stepLengthCV: cv, stepCosine: cosine)
  }
}
