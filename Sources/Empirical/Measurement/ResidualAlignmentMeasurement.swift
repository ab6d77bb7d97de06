// Goals, in order of priority: every number of the paper's section 2 figures 1, 2 and 4 for a
// set of inputs, each with its spread over the inputs; reproducible from one seed; the raw
// material of the figures (trajectories, U_jᵀ·J_i·V_j) kept for plotting.

import LinearAlgebra

/// RA1–RA4 of a fully-connected residual network measured on a set of inputs.
///
/// Paper: (RA1)–(RA4) of section 1, Figures 1, 2 and 4. For each input x: the trajectory
/// h₁…h_{L+1} (RA1, `TrajectoryAlignment`); the Residual Jacobians J_i = ∂F_i/∂h at h_i with
/// their top max(20, k, C + 1) singular triplets by Algorithm 971 (T = 20); RA2 on the top k
/// (`SingularVectorAlignment`); RA3 per block on the top 20 (`SpectrumShape`); σ₁ per block for
/// RA4 (`InverseDepthScaling`, fitted over all inputs and the live blocks). Every per-input number is summarised as
/// a `Spread` (median, min, max) over the inputs; RA3 per input is the median over blocks.
public struct ResidualAlignmentMeasurement: Sendable {
  /// One block's spectrum over the inputs.
  public struct Block: Sendable, Equatable, Codable {
    /// The block index i (1-based, as in the paper's figures).
    public var index: Int
    /// σ₁…σ₂₀ of J_i (σ₁…σ_D when D < 20), each the mean over the inputs.
    public var topSingularValues: [Double]
    /// σ₁(J_i) for each input, in input order.
    public var sigma1PerInput: [Double]
    /// σ_C/σ_{C+1} over the inputs.
    public var gap: Spread
    /// The numerical rank (threshold `RA3.threshold`) over the inputs.
    public var numericalRank: Spread
    /// Whether the block's residual branch is dead: its median σ₁ over the inputs is at most
    /// `InverseDepthScaling.deadRelativeThreshold` (1e-6) × the largest block median σ₁.
    /// RA4 is fitted over the other blocks only.
    public var dead: Bool

    enum CodingKeys: String, CodingKey {
      case index
      case topSingularValues = "top_singular_values"
      case sigma1PerInput = "sigma1_per_input"
      case gap
      case numericalRank = "numerical_rank"
      case dead
    }
  }

  /// RA1 over the inputs.
  public struct RA1: Sendable, Equatable, Codable {
    public var pc1VarianceFraction: Spread
    public var stepCV: Spread
    public var stepCos: Spread

    enum CodingKeys: String, CodingKey {
      case pc1VarianceFraction = "pc1_variance_fraction"
      case stepCV = "step_cv"
      case stepCos = "step_cos"
    }
  }

  /// RA2 over the inputs, for the top-k subspaces.
  public struct RA2: Sendable, Equatable, Codable {
    public var rank: Int
    public var diagFraction: Spread
    public var transposedDiagFraction: Spread
    public var randomBaseline: Spread
    public var leftSubspaceCosine: Spread
    public var rightSubspaceCosine: Spread

    enum CodingKeys: String, CodingKey {
      case rank
      case diagFraction = "diag_fraction"
      case transposedDiagFraction = "transposed_diag_fraction"
      case randomBaseline = "random_baseline"
      case leftSubspaceCosine = "left_subspace_cosine"
      case rightSubspaceCosine = "right_subspace_cosine"
    }
  }

  /// RA3 over the inputs (each input: the median over blocks).
  public struct RA3: Sendable, Equatable, Codable {
    public var classes: Int
    public var threshold: Double
    public var gap: Spread
    public var numericalRank: Spread

    enum CodingKeys: String, CodingKey {
      case classes, threshold, gap
      case numericalRank = "numerical_rank"
    }
  }

  /// The spectra of the L blocks.
  public var blocks: [Block]
  public var ra1: RA1
  public var ra2: RA2
  public var ra3: RA3
  public var ra4: InverseDepthScaling
  /// The largest triplet residual max(‖J·v_k − σ_k·u_k‖, ‖Jᵀ·u_k − σ_k·v_k‖) / σ₁(J) over
  /// every triplet of every Jacobian measured: the backward error of the randomized SVD (exact
  /// triplets give 0). The last triplets converge slowest when the spectrum is flat there.
  public var largestTripletResidual: Double
  /// The same over the top-k triplets only (those RA2 uses).
  public var largestTopKTripletResidual: Double
  /// Singular triplets computed per Jacobian: max(20, k, C + 1), at most D.
  public var tripletsPerJacobian: Int
  /// T, Algorithm 971's power iterations (the paper's 20 unless asked otherwise).
  public var powerIterations: Int = RandomizedSVD.defaultPowerIterations
  /// h₁…h_{L+1} of every input (Figure 1).
  public var trajectories: [[[Double]]]
  /// U_jᵀ·J_i·V_j at [i][j] (k×k) for the first input (Figure 2).
  public var alignmentMatrices: [[Matrix<Double>]]
  /// The diagonal fraction of U_jᵀ·J_i·V_j at (i, j) for the first input.
  public var pairDiagonalFractions: Matrix<Double>

  /// max over k of max(‖J·v_k − σ_k·u_k‖, ‖Jᵀ·u_k − σ_k·v_k‖) / σ₁ (0 when σ₁ = 0).
  public static func tripletResidual<Op: LinearOperator<Double>>(
    _ j: Op, _ d: SingularValueDecomposition<Double>
  ) -> Double {
    tripletResiduals(j, d).max() ?? 0
  }

  /// max(‖J·v_k − σ_k·u_k‖, ‖Jᵀ·u_k − σ_k·v_k‖) / σ₁ for each triplet k (zeros when σ₁ = 0).
  public static func tripletResiduals<Op: LinearOperator<Double>>(
    _ j: Op, _ d: SingularValueDecomposition<Double>
  ) -> [Double] {
    guard let sigma1 = d.singularValues.first, sigma1 > 0 else {
      return d.singularValues.map { _ in 0 }
    }
    let jv = j.apply(d.v)
    let jtu = j.applyTransposed(d.u)
    return (0..<d.singularValues.count).map { k in
      var a = jv.column(k)
      a.add(d.u.column(k), scaledBy: -d.singularValues[k])
      var b = jtu.column(k)
      b.add(d.v.column(k), scaledBy: -d.singularValues[k])
      return max(a.euclideanNorm, b.euclideanNorm) / sigma1
    }
  }

  /// The number of triplets computed per Jacobian for RA2 rank k, C classes and width D.
  public static func tripletCount(rank: Int, classes: Int, width: Int) -> Int {
    min(width, max(20, rank, classes + 1))
  }

  /// Why `network` cannot be measured, or nil when it can: RA4 needs at least 3 blocks, and
  /// RA2 two square blocks of the same dimension (a network whose every block downsamples has
  /// none).
  public static func unmeasurableReason<N: MeasurableResidualNetwork>(_ network: N) -> String? {
    let l = network.depth
    guard l >= 3 else { return "\(l) blocks; RA4 needs at least 3" }
    var squares = [Int: Int]()
    for i in 0..<l {
      let (rows, columns) = (
        network.representationSize(at: i + 2), network.representationSize(at: i + 1)
      )
      if rows == columns { squares[rows, default: 0] += 1 }
    }
    guard squares.values.contains(where: { $0 >= 2 }) else {
      return "no two blocks keep the same dimension (every block changes it, e.g. downsamples); "
        + "RA2 compares pairs of such blocks"
    }
    return nil
  }

  /// Measures RA1–RA4 of `network` on `inputs` (vectors of size n₀) with RA2 subspaces of
  /// size `rank`; all randomness (test matrices, RA2 baselines, RA4 bootstrap) from `generator`.
  ///
  /// Cross-block statistics compare square Jacobians of equal size only: RA2 pairs blocks
  /// within each group of equal dimension, RA4 fits over every square block; a rectangular
  /// Jacobian (a block that changes the dimension, Type 3's block 9) is reported per block
  /// but left out of both (`excludedBlocks`). RA1 uses h₁… up to the last point of h₁'s
  /// dimension (all of the trajectory unless the network changes dimension).
  public static func measure<N: MeasurableResidualNetwork, G: RandomNumberGenerator>(
    network: N, inputs: [[Double]], rank: Int,
    threshold: Double = SpectrumShape.defaultThreshold, bootstrapResamples: Int = 1000,
    powerIterations: Int = RandomizedSVD.defaultPowerIterations,
    using generator: inout G, progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }
  ) throws(LAPACKError) -> ResidualAlignmentMeasurement {
    let l = network.depth
    let c = network.classCount
    precondition(!inputs.isEmpty && l >= 3, "need inputs and at least 3 blocks")
    // Block i maps layer i+1 to layer i+2 (1-based layers): J_i is size(i+2) × size(i+1).
    let shapes0 = (0..<l).map {
      (
        rows: network.representationSize(at: $0 + 2),
        columns: network.representationSize(at: $0 + 1)
      )
    }
    let smallest = shapes0.map { min($0.rows, $0.columns) }.min()!
    precondition(rank >= 1 && rank <= smallest, "rank \(rank) not in 1...D")
    let excluded = Set((0..<l).filter { shapes0[$0].rows != shapes0[$0].columns }.map { $0 + 1 })
    // Groups of square blocks of equal dimension (0-based block indices).
    var groups = [Int: [Int]]()
    for i in 0..<l where !excluded.contains(i + 1) {
      groups[shapes0[i].rows, default: []].append(i)
    }
    let pairGroups = groups.values.filter { $0.count >= 2 }.sorted { $0[0] < $1[0] }
    precondition(!pairGroups.isEmpty, "RA2 needs two square blocks of the same dimension")
    let m = tripletCount(rank: rank, classes: c, width: smallest)
    let d1 = network.representationSize(at: 1)
    let ra1Points = (1...(l + 1)).prefix { network.representationSize(at: $0) == d1 }.count
    var trajectories = [[[Double]]]()
    var ra1 = [TrajectoryAlignment]()
    var ra2 = [RA2Sums]()
    var spectra = [[[Double]]]()  // [input][block] → top m σ
    var shapes = [[SpectrumShape]]()  // [input][block]
    var largestError = 0.0
    var largestTopK = 0.0
    var alignment = [[Matrix<Double>]]()
    var grid = Matrix<Double>(rows: l, columns: l, repeating: .nan)
    for (n, x) in inputs.enumerated() {
      let trajectory = network.trajectory(x)
      let sameSize = Array(trajectory.prefix(ra1Points))
      trajectories.append(sameSize)
      guard sameSize.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
        throw .nonFinite(
          "the trajectory h₁, …, h_L of measured input \(n + 1) of \(inputs.count)",
          routine: "SVD for RA1 (dgesdd)")
      }
      ra1.append(try TrajectoryAlignment(trajectory: sameSize))
      var jacobians = [N.Jacobian]()
      var decompositions = [SingularValueDecomposition<Double>]()
      for i in 0..<l {
        let j = network.residualJacobian(block: i, at: trajectory[i])
        let r: RandomizedSVDResult<Double>
        do {
          r = try network.topSingularTriplets(
            of: j, rank: m, powerIterations: powerIterations, using: &generator)
        } catch  where error.info == 0 {
          // An overflow (a checkpoint of huge weights): say which Jacobian, not "the matrix".
          throw .nonFinite(
            "the residual Jacobian of block \(i + 1) at measured input \(n + 1) of \(inputs.count)",
            routine: "SVD (dgesdd)")
        }
        let residuals = Self.tripletResiduals(j, r.decomposition)
        largestError = max(largestError, residuals.max() ?? 0)
        largestTopK = max(largestTopK, residuals.prefix(rank).max() ?? 0)
        jacobians.append(j)
        decompositions.append(r.decomposition)
      }
      spectra.append(decompositions.map(\.singularValues))
      shapes.append(
        decompositions.map {
          SpectrumShape(
            topSingularValues: Array($0.singularValues.prefix(max(20, c + 1))), classes: c,
            threshold: threshold)
        })
      var sums = RA2Sums()
      if n == 0 {
        alignment = (0..<l).map { _ in (0..<l).map { _ in Matrix<Double>(rows: 0, columns: 0) } }
      }
      for group in pairGroups {
        let a = try SingularVectorAlignment(
          jacobians: group.map { jacobians[$0] }, decompositions: group.map { decompositions[$0] },
          rank: rank, using: &generator)
        sums.add(a, blocks: group.count)
        if n == 0 {
          for (gi, i) in group.enumerated() {
            for (gj, j) in group.enumerated() {
              grid[i, j] = a.pairDiagonalFractions[gi, gj]
              alignment[i][j] = SingularVectorAlignment.alignmentMatrix(
                jacobians[i], left: decompositions[j].u.leadingColumns(rank),
                right: decompositions[j].v.leadingColumns(rank))
            }
          }
        }
      }
      ra2.append(sums)
      progress(n + 1, inputs.count)
    }
    let count = Double(inputs.count)
    let sigma1 = spectra.map { $0.map { $0.first ?? 0 } }
    let ra4 = InverseDepthScaling(
      sigma1: sigma1, excluding: excluded, resamples: bootstrapResamples, using: &generator)
    let blocks = (0..<l).map { i in
      Block(
        index: i + 1,
        topSingularValues: (0..<min(20, m)).map { k in
          spectra.reduce(0) { $0 + $1[i][k] } / count
        },
        sigma1PerInput: spectra.map { $0[i].first ?? 0 },
        gap: Spread(of: shapes.map { $0[i].gap }),
        numericalRank: Spread(of: shapes.map { Double($0[i].numericalRank) }),
        dead: ra4.deadBlocks.contains(i + 1))
    }
    return ResidualAlignmentMeasurement(
      blocks: blocks,
      ra1: RA1(
        pc1VarianceFraction: Spread(of: ra1.map(\.pc1VarianceFraction)),
        stepCV: Spread(of: ra1.map(\.stepLengthCV)), stepCos: Spread(of: ra1.map(\.stepCosine))),
      ra2: RA2(
        rank: rank, diagFraction: Spread(of: ra2.map(\.diagonalFraction)),
        transposedDiagFraction: Spread(of: ra2.map(\.transposedDiagonalFraction)),
        randomBaseline: Spread(of: ra2.map(\.randomBaseline)),
        leftSubspaceCosine: Spread(of: ra2.map(\.leftSubspaceCosine)),
        rightSubspaceCosine: Spread(of: ra2.map(\.rightSubspaceCosine))),
      ra3: RA3(
        classes: c, threshold: threshold,
        gap: Spread(of: shapes.map { Spread(of: $0.map(\.gap)).median }),
        numericalRank: Spread(
          of: shapes.map { Spread(of: $0.map { Double($0.numericalRank) }).median })),
      ra4: ra4,
      largestTripletResidual: largestError, largestTopKTripletResidual: largestTopK,
      tripletsPerJacobian: m, powerIterations: powerIterations, trajectories: trajectories,
      alignmentMatrices: alignment, pairDiagonalFractions: grid)
  }
}

/// RA2's pair means pooled over groups of equal-dimension blocks, each group's mean weighted by
/// its number of ordered pairs g(g − 1) (one group: that group's means).
struct RA2Sums {
  private var pairs = 0.0
  private var sums = [Double](repeating: 0, count: 5)

  mutating func add(_ a: SingularVectorAlignment, blocks g: Int) {
    let w = Double(g * (g - 1))
    pairs += w
    let values = [
      a.diagonalFraction, a.transposedDiagonalFraction, a.randomBaseline, a.leftSubspaceCosine,
      a.rightSubspaceCosine,
    ]
    for k in values.indices { sums[k] += w * values[k] }
  }

  var diagonalFraction: Double { sums[0] / pairs }
  var transposedDiagonalFraction: Double { sums[1] / pairs }
  var randomBaseline: Double { sums[2] / pairs }
  var leftSubspaceCosine: Double { sums[3] / pairs }
  var rightSubspaceCosine: Double { sums[4] / pairs }
}
