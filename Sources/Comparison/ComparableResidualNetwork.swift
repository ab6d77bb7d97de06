// Goals, in order of priority: one seam between the theory-versus-practice comparison and the
// networks it compares, on top of the measurements' own (`MeasurableResidualNetwork`), so that
// fully-connected and convolutional checkpoints take one code path; only what the comparison
// needs beyond the measurements (the two-class view, w = ∂z/∂h_{L+1}, ‖J_i‖_F, the skips).

import Empirical
import LinearAlgebra

/// A residual network that `TheoryComparison` holds against the UJM: a measurable network
/// (trajectory, Residual Jacobians, their top singular triplets) with the margin of two of its
/// classes.
///
/// Paper: Definition 3.2 and appendix B — the UJM's Jacobians J_i, classifier w and
/// Δx = h₁(x) − h₁(x_mid) are those of the network linearised at a point x_mid of its decision
/// boundary; every quantity here is one of those, whatever the blocks are made of.
public protocol ComparableResidualNetwork: MeasurableResidualNetwork where Jacobian: Sendable {
  /// Whether h_{i+1} = h_i + F_i(h_i) (true) or h_{i+1} = F_i(h_i).
  var skips: Bool { get }

  /// The two-class view for the classes `negative` (y = −1) and `positive` (y = +1), indices
  /// into the logits: the same network with those two classifier rows and biases only, so that
  /// its margin is z = logit[positive] − logit[negative].
  func binary(negative: Int, positive: Int) -> Self

  /// w = ∂z/∂h_{L+1} at h = h_{L+1} of a two-class network (z = logit₁ − logit₀), through BN_f,
  /// its ReLU mask (ReLU'(0) = 0) and any pooling before the classifier.
  func classifierJacobian(at h: [Double]) -> [Double]

  /// ‖J‖_F of `jacobian`, whose top singular triplets are `triplets`: exact where the network
  /// can afford it, otherwise a seeded estimate from `generator` (`FrobeniusNorm.estimate`).
  func frobeniusNorm<G: RandomNumberGenerator>(
    of jacobian: Jacobian, triplets: SingularValueDecomposition<Double>, using generator: inout G
  ) throws(LAPACKError) -> FrobeniusNorm

  /// J_i at h (block `block`, 0-based) as the comparison keeps it for its rows once its
  /// triplets are taken: `jacobian` itself, or a fresh operator where products leave work space
  /// behind (a convolutional Jacobian keeps the patches of its last product).
  func keptJacobian(_ jacobian: Jacobian, block: Int, at h: [Double]) -> Jacobian

  /// S_i = ∂(skip)/∂h at h of block `block` (0-based) where the skip is neither the identity
  /// nor absent (a projection shortcut: Type 3's block 9), so that the block's Jacobian is
  /// S_i + J_i; nil where it is I (with skips) or 0 (without).
  func skipJacobian(block: Int, at h: [Double]) -> (any LinearOperator<Double> & Sendable)?
}

extension ComparableResidualNetwork {
  public func keptJacobian(_ jacobian: Jacobian, block: Int, at h: [Double]) -> Jacobian {
    jacobian
  }

  public func skipJacobian(block: Int, at h: [Double]) -> (any LinearOperator<Double> & Sendable)? {
    nil
  }

  /// D, the size of h₁ (of every h_i when no block changes it).
  public var width: Int { representationSize(at: 1) }

  /// The blocks (1-based) whose Jacobian is not square (they change the representation's size,
  /// e.g. Type 3's downsampling block 9): δ is propagated through them as (S_i + J_i)·δ_i with
  /// their skip Jacobian S_i (`skipJacobian`), not (I + J_i)·δ_i, so the UJM does not describe
  /// them and the comparison leaves them out of its rows.
  public var shapeChangingBlocks: [Int] {
    (1...depth).filter { representationSize(at: $0) != representationSize(at: $0 + 1) }
  }

  /// The smallest representation size of h₁…h_{L+1}: the largest rank an SVD of every J_i has.
  public var smallestWidth: Int { (1...(depth + 1)).map(representationSize).min() ?? 0 }

  /// The margin z(x) = logit₁(x) − logit₀(x) of a binary network (class index 1 is the second
  /// listed class; y = +1 for it, −1 for the first).
  ///
  /// Paper: the UJM's logit y·wᵀ(h_{L+1}) (Definition 3.2, appendix B) is the margin of a
  /// two-class network expanded around a point on its decision boundary, where z = 0.
  public func margin(_ x: [Double]) -> Double {
    precondition(classCount == 2, "the margin is defined for two classes (got \(classCount))")
    let logits = forward(batch: Matrix(rows: x.count, columns: 1, storage: x)) { _, _ in }
    return logits[1, 0] - logits[0, 0]
  }

  /// z for every column of `inputs` (n₀×b), in one batched forward pass.
  public func margins(_ inputs: Matrix<Double>) -> [Double] {
    precondition(classCount == 2, "the margin is defined for two classes (got \(classCount))")
    let logits = forward(batch: inputs) { _, _ in }
    return (0..<inputs.columns).map { logits[1, $0] - logits[0, $0] }
  }

  /// The class other than `classes` (indices) with the largest logit at x, when that logit
  /// exceeds both of theirs; nil otherwise.
  public static func dominantOtherClass(_ network: Self, at x: [Double], classes: (Int, Int))
    -> Int?
  {
    let logits = network.forward(batch: Matrix(rows: x.count, columns: 1, storage: x)) { _, _ in }
    let pair = Swift.max(logits[classes.0, 0], logits[classes.1, 0])
    var best: Int? = nil
    for c in 0..<network.classCount where c != classes.0 && c != classes.1 {
      if logits[c, 0] > pair && (best == nil || logits[c, 0] > logits[best!, 0]) { best = c }
    }
    return best
  }
}

/// ‖J‖_F of one Residual Jacobian, exact or estimated.
public struct FrobeniusNorm: Sendable, Equatable {
  /// ‖J‖_F (the estimate's square root where not exact).
  public var value: Double
  /// The estimate's relative standard error as a bound on |‖J‖_F − value|/‖J‖_F at one
  /// standard deviation (0 when exact).
  public var relativeStandardError: Double
  /// Whether `value` is exact (up to rounding).
  public var exact: Bool

  public init(exact value: Double) {
    self.value = value
    relativeStandardError = 0
    exact = true
  }

  public init(estimate value: Double, relativeStandardError: Double) {
    self.value = value
    self.relativeStandardError = relativeStandardError
    exact = false
  }

  /// Gaussian probes of the estimator's remainder.
  public static let probes = 32

  /// What the estimator is, for the notes.
  public static let method =
    "Hutch++ deflated by the top singular vectors (‖J‖_F² = ‖JV‖_F² + ‖J(I − VVᵀ)‖_F², V the "
    + "orthonormalised right singular vectors of the randomized SVD, the second term by "
    + "Hutchinson's estimator with \(probes) Gaussian probes drawn from the comparison's seed)"

  /// ‖J‖_F² = ‖J·V‖_F² + ‖J·(I − VVᵀ)‖_F² for any orthonormal V (the two terms are orthogonal
  /// in the Frobenius inner product): the first exactly from k products, the second by
  /// Hutchinson's estimator E‖J·(I − VVᵀ)g‖² over m = `probes` Gaussian g (Meyer, Musco, Musco
  /// & Woodruff 2021, Hutch++, with the randomized SVD's V as the sketch). The remainder's
  /// standard error is the probes' sample standard deviation over √m; the relative error of
  /// ‖J‖_F is half that of ‖J‖_F². For a J close to rank k the remainder is small and so is the
  /// error; for a flat spectrum it is about √(2/m)/2 ≈ 0.125 × the remainder's share.
  public static func estimate<Op: LinearOperator<Double>, G: RandomNumberGenerator>(
    _ jacobian: Op, rightVectors: Matrix<Double>, probes m: Int = probes,
    using generator: inout G
  ) throws(LAPACKError) -> FrobeniusNorm {
    let n = jacobian.columns
    precondition(rightVectors.rows == n && m >= 2, "V must have J's columns; m ≥ 2")
    let v = rightVectors.columns > 0 ? try rightVectors.orthonormalized() : rightVectors
    let head = v.columns > 0 ? jacobian.apply(v).storage.reduce(0) { $0 + $1 * $1 } : 0
    var g: Matrix<Double> = Gaussian.matrix(rows: n, columns: m, using: &generator)
    if v.columns > 0 {
      // g ← (I − VVᵀ)g.
      let coefficients = v.multiplied(by: g, transposingSelf: true)
      let projection = v * coefficients
      g.add(projection, scaledBy: -1)
    }
    let images = jacobian.apply(g)
    let rows = images.rows
    let samples = (0..<m).map { j in
      images.storage[(j * rows)..<((j + 1) * rows)].reduce(0) { $0 + $1 * $1 }
    }
    let mean = samples.reduce(0, +) / Double(m)
    let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(m - 1)
    let square = head + mean
    guard square > 0 else { return FrobeniusNorm(estimate: 0, relativeStandardError: 0) }
    let error = (variance / Double(m)).squareRoot() / square / 2
    return FrobeniusNorm(estimate: square.squareRoot(), relativeStandardError: error)
  }
}
