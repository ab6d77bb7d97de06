// Goals, in order of priority: every number the theory-versus-practice comparison needs for one
// pair of training inputs, measured once (the boundary point, the Jacobians and w at x_mid, the
// linear propagation of Δx, RA1/RA2/RA4 at the inputs themselves); the existing measurement code
// (ResidualJacobian, its randomized SVD, InverseDepthScaling, TrajectoryAlignment) reused as is.

import Empirical
import LinearAlgebra

/// Two training inputs, one of each class of a binary network, in the standardised input space:
/// `a` of the first class (y = −1), `b` of the second (y = +1). `a` and `b` are positions in the
/// training file, carried into the report.
public struct InputPair: Sendable, Equatable {
  public var a: Int
  public var b: Int
  public var xa: [Double]
  public var xb: [Double]

  public init(a: Int, b: Int, xa: [Double], xb: [Double]) {
    precondition(xa.count == xb.count, "inputs of different sizes")
    self.a = a
    self.b = b
    self.xa = xa
    self.xb = xb
  }

  /// x(t) = (1 − t)·x_a + t·x_b.
  public func point(at t: Double) -> [Double] {
    xa.indices.map { (1 - t) * xa[$0] + t * xb[$0] }
  }
}

/// What the UJM is evaluated on at the boundary point x_mid of one pair.
///
/// Paper: appendix B (the Jacobians and classifier of Definition 3.2 are those of the network
/// at x_mid, where f(x_mid) = 0).
public struct BoundaryJacobians: Sendable {
  /// h₁(x_mid), …, h_{L+1}(x_mid).
  public var trajectory: [[Double]]
  /// J_i = ∂F_i/∂h at h_i(x_mid), i = 1…L (dense-compressed for a fully-connected block,
  /// matrix-free for a convolutional one).
  public var jacobians: [any LinearOperator<Double> & Sendable]
  /// The top `rank` singular triplets of each J_i.
  public var decompositions: [SingularValueDecomposition<Double>]
  /// w = ∂z/∂h_{L+1} at x_mid.
  public var classifierJacobian: [Double]
  /// ‖J_i‖_F: exact for a fully-connected block, estimated for a convolutional one
  /// (`ComparableResidualNetwork.frobeniusNorm`).
  public var frobeniusNorms: [Double]
  /// The relative standard error of each ‖J_i‖_F (0 where exact).
  public var frobeniusErrors: [Double]
  /// Whether every ‖J_i‖_F is exact.
  public var frobeniusExact: Bool
  /// S_i, the skip Jacobian of each block whose skip is a projection (nil where it is I, or
  /// absent without skips): `ComparableResidualNetwork.skipJacobian`.
  public var skipJacobians: [(any LinearOperator<Double> & Sendable)?]
  /// g_i = ∂z_lin/∂δ_i = A_{i−1}ᵀw for i = 1…L+1, where z_lin = wᵀ(I + J_L)⋯(I + J₁)δ₁:
  /// g_{L+1} = w, g_i = (I + J_i)ᵀg_{i+1} (J_iᵀg_{i+1} without skips; (S_i + J_i)ᵀg_{i+1}
  /// through a projection skip S_i). The UJM's gradient with respect to J_i is g_{i+1}·δ_iᵀ:
  /// A_iᵀw of block i (0-based) is `classifierGradients[i + 1]`.
  public var classifierGradients: [[Double]]

  /// σ₁…σ_rank per block.
  public var singularValues: [[Double]] { decompositions.map(\.singularValues) }
  /// σ₁ per block.
  public var sigma1: [Double] { decompositions.map { $0.singularValues.first ?? 0 } }
  /// v₁(J_i), the top right singular vector per block (the input direction J_i amplifies most).
  public var topRightVectors: [[Double]] { decompositions.map { $0.v.column(0) } }
  /// u₁(J_i), the top left singular vector per block (where J_i sends v₁).
  public var topLeftVectors: [[Double]] { decompositions.map { $0.u.column(0) } }

  /// The boundary quantities of one pair, with the networks's ‖J_i‖_F; gᵢ is computed here.
  public init(
    trajectory: [[Double]], jacobians: [any LinearOperator<Double> & Sendable],
    decompositions: [SingularValueDecomposition<Double>], classifierJacobian: [Double],
    frobeniusNorms: [FrobeniusNorm], skips: Bool,
    skipJacobians: [(any LinearOperator<Double> & Sendable)?] = []
  ) {
    self.trajectory = trajectory
    self.jacobians = jacobians
    self.decompositions = decompositions
    self.classifierJacobian = classifierJacobian
    self.frobeniusNorms = frobeniusNorms.map(\.value)
    frobeniusErrors = frobeniusNorms.map(\.relativeStandardError)
    frobeniusExact = frobeniusNorms.allSatisfy(\.exact)
    let skipJacobians =
      skipJacobians.isEmpty ? Array(repeating: nil, count: jacobians.count) : skipJacobians
    precondition(skipJacobians.count == jacobians.count, "one skip Jacobian (or nil) per block")
    self.skipJacobians = skipJacobians
    classifierGradients = LinearPropagation.gradients(
      from: classifierJacobian, through: jacobians, skips: skips, skipJacobians: skipJacobians)
  }
}

/// One endpoint x ∈ {x_a, x_b} of a pair, against the expansion at x_mid.
public struct EndpointMeasurement: Sendable {
  /// "a" (first class, y = −1) or "b" (second class, y = +1).
  public var position: String
  /// y.
  public var label: Double
  /// z(x).
  public var z: Double
  /// ẑ = z(x_mid) + wᵀ·δ_{L+1}: the first-order prediction of z(x) from x_mid (z(x_mid) is at
  /// most 1e-10 in size; adding it makes ẑ exact for a network that is linear on the segment).
  public var linearisedZ: Double
  /// δ₁ = h₁(x) − h₁(x_mid) (the UJM's Δx, footnote 6) and its linear propagation
  /// δ_{i+1} = (I + J_i)·δ_i (δ_{i+1} = J_i·δ_i without skips, (S_i + J_i)·δ_i through a
  /// projection skip S_i): δ₁…δ_{L+1}.
  public var deltas: [[Double]]
  /// h_i(x) − h_i(x_mid), i = 1…L+1: the true differences the deltas approximate.
  public var trajectoryDifferences: [[Double]]
  /// σ₁(J_i) at h_i(x), per block: RA4 on the training input itself.
  public var sigma1: [Double]
  /// σ₂(J_i) at h_i(x), per block (RA3 on a binary network: σ₂ ≪ σ₁).
  public var sigma2: [Double]
  /// RA1 of the trajectory h₁(x)…h_{L+1}(x).
  public var ra1: TrajectoryAlignment
  /// RA2 at x on the top-`rank` subspaces: the diagonal fraction and its random baseline.
  public var ra2DiagonalFraction: Double
  public var ra2RandomBaseline: Double
}

extension EndpointMeasurement {
  /// RA4 at x: the least-squares line 1/σ₁(J_i) = slope·i + intercept over the blocks `live`
  /// (1-based; the comparison's live blocks) and its R² (`InverseDepthScaling.fit`); nil with
  /// fewer than 2 blocks.
  public func ra4(live: [Int]) -> (slope: Double, r2: Double)? {
    guard live.count >= 2 else { return nil }
    let f = InverseDepthScaling.fit(live.map(Double.init), live.map { 1 / sigma1[$0 - 1] })
    return (f.slope, f.r2)
  }
}

/// Everything measured for one pair; `boundary` and `endpoints` are nil/empty when the margin
/// has no sign change on the segment.
public struct PairMeasurement: Sendable {
  public var a: Int
  public var b: Int
  public var za: Double
  public var zb: Double
  public var boundaryPoint: BoundarySearch.Point?
  public var boundary: BoundaryJacobians?
  public var endpoints: [EndpointMeasurement]
  /// For the two-class view of a C-class network: a third class (index into the full network's
  /// logits) whose logit exceeds both of the pair's classes at x_mid, if any.
  public var dominantClass: Int? = nil

  /// Measures one pair of `network` (binary, L ≥ 3 blocks; a block that changes the
  /// representation's size is propagated through with its skip Jacobian) with the top `rank`
  /// triplets (≥ 2) of every Jacobian from Algorithm 971 with
  /// `powerIterations` (or the network's exact path); test matrices, RA2 baselines and any
  /// ‖J_i‖_F estimate from `generator`.
  public static func measure<N: ComparableResidualNetwork, G: RandomNumberGenerator>(
    network: N, pair: InputPair, rank: Int,
    powerIterations: Int = RandomizedSVD.defaultPowerIterations, using generator: inout G
  ) throws(LAPACKError) -> PairMeasurement {
    precondition(network.classCount == 2 && network.depth >= 3, "binary network, L ≥ 3")
    precondition(
      rank >= 2 && rank <= network.smallestWidth, "rank \(rank) not in 2...\(network.smallestWidth)"
    )
    let za = network.margin(pair.xa)
    let zb = network.margin(pair.xb)
    guard let point = boundaryPoint(network: network, pair: pair) else {
      return PairMeasurement(
        a: pair.a, b: pair.b, za: za, zb: zb, boundaryPoint: nil, boundary: nil, endpoints: [])
    }
    let xMid = pair.point(at: point.t)
    let trajectory = network.trajectory(xMid)
    let l = network.depth
    var jacobians = [any LinearOperator<Double> & Sendable]()
    var decompositions = [SingularValueDecomposition<Double>]()
    var norms = [FrobeniusNorm]()
    var skipJacobians = [(any LinearOperator<Double> & Sendable)?]()
    for i in 0..<l {
      skipJacobians.append(network.skipJacobian(block: i, at: trajectory[i]))
      let j = network.residualJacobian(block: i, at: trajectory[i])
      let triplets = try network.topSingularTriplets(
        of: j, rank: rank, powerIterations: powerIterations, using: &generator
      ).decomposition
      decompositions.append(triplets)
      norms.append(try network.frobeniusNorm(of: j, triplets: triplets, using: &generator))
      jacobians.append(network.keptJacobian(j, block: i, at: trajectory[i]))
    }
    let boundary = BoundaryJacobians(
      trajectory: trajectory, jacobians: jacobians, decompositions: decompositions,
      classifierJacobian: network.classifierJacobian(at: trajectory[l]), frobeniusNorms: norms,
      skips: network.skips, skipJacobians: skipJacobians)
    var endpoints = [EndpointMeasurement]()
    for (position, x, label) in [("a", pair.xa, -1.0), ("b", pair.xb, 1.0)] {
      endpoints.append(
        try endpoint(
          network: network, x: x, position: position, label: label, boundary: boundary,
          zMid: point.z, rank: rank, powerIterations: powerIterations, using: &generator))
    }
    return PairMeasurement(
      a: pair.a, b: pair.b, za: za, zb: zb, boundaryPoint: point, boundary: boundary,
      endpoints: endpoints)
  }

  /// The boundary point of `pair` (`BoundarySearch`): z on the 65-point grid in one batched
  /// forward pass, then bisection with single evaluations.
  public static func boundaryPoint<N: ComparableResidualNetwork>(network: N, pair: InputPair)
    -> BoundarySearch.Point?
  {
    let grid = BoundarySearch.grid
    var points = Matrix<Double>(rows: pair.xa.count, columns: grid.count)
    for (k, t) in grid.enumerated() { points.setColumn(k, to: pair.point(at: t)) }
    return BoundarySearch.search(gridMargins: network.margins(points)) {
      network.margin(pair.point(at: $0))
    }
  }

  /// δ propagation, the linearised margin and RA1/RA2/RA4 at one endpoint.
  static func endpoint<N: ComparableResidualNetwork, G: RandomNumberGenerator>(
    network: N, x: [Double], position: String, label: Double, boundary: BoundaryJacobians,
    zMid: Double, rank: Int, powerIterations: Int, using generator: inout G
  ) throws(LAPACKError) -> EndpointMeasurement {
    let l = network.depth
    let trajectory = network.trajectory(x)
    let differences = (0...l).map { i in
      var d = trajectory[i]
      d.add(boundary.trajectory[i], scaledBy: -1)
      return d
    }
    let deltas = LinearPropagation.deltas(
      from: differences[0], through: boundary.jacobians, skips: network.skips,
      skipJacobians: boundary.skipJacobians)
    let linearised = zMid + boundary.classifierJacobian.dot(deltas[l])
    var jacobians = [N.Jacobian]()
    var decompositions = [SingularValueDecomposition<Double>]()
    for i in 0..<l {
      let j = network.residualJacobian(block: i, at: trajectory[i])
      jacobians.append(j)
      decompositions.append(
        try network.topSingularTriplets(
          of: j, rank: rank, powerIterations: powerIterations, using: &generator
        ).decomposition)
    }
    let sigma1 = decompositions.map { $0.singularValues.first ?? 0 }
    // RA2 on the largest set of square blocks of one size (all of them when no block changes
    // the size; Type 3: the blocks before or after block 9), RA1 on h₁… up to the first change.
    var groups = [Int: [Int]]()
    for i in 0..<l where jacobians[i].rows == jacobians[i].columns {
      groups[jacobians[i].rows, default: []].append(i)
    }
    let group = groups.values.filter { $0.count >= 2 }.max { a, b in
      a.count < b.count || (a.count == b.count && a[0] > b[0])
    }
    var ra2 = (diagonalFraction: Double.nan, randomBaseline: Double.nan)
    if let group {
      let a = try SingularVectorAlignment(
        jacobians: group.map { jacobians[$0] }, decompositions: group.map { decompositions[$0] },
        rank: rank, using: &generator)
      ra2 = (a.diagonalFraction, a.randomBaseline)
    }
    let sameSize = Array(trajectory.prefix { $0.count == trajectory[0].count })
    return EndpointMeasurement(
      position: position, label: label, z: network.margin(x), linearisedZ: linearised,
      deltas: deltas, trajectoryDifferences: differences, sigma1: sigma1,
      sigma2: decompositions.map { $0.singularValues.count > 1 ? $0.singularValues[1] : 0 },
      ra1: try TrajectoryAlignment(trajectory: sameSize),
      ra2DiagonalFraction: ra2.diagonalFraction, ra2RandomBaseline: ra2.randomBaseline)
  }
}

/// The linear propagation of a perturbation of the first representation through the blocks.
public enum LinearPropagation {
  /// δ₁ = `delta`, δ_{i+1} = (I + J_i)·δ_i with skips (J_i·δ_i without; (S_i + J_i)·δ_i where
  /// `skipJacobians[i]` is a projection skip S_i): the first-order change of h_{i+1}
  /// (Definition 3.2's product (I + J_L)…(I + J_1)·Δx, applied block by block). An empty
  /// `skipJacobians` means no projection skip.
  public static func deltas(
    from delta: [Double], through jacobians: [any LinearOperator<Double>], skips: Bool,
    skipJacobians: [(any LinearOperator<Double> & Sendable)?] = []
  ) -> [[Double]] {
    var out = [delta]
    var current = delta
    for (i, j) in jacobians.enumerated() {
      var next = j.apply(current)
      if i < skipJacobians.count, let s = skipJacobians[i] {
        next.add(s.apply(current))
      } else if skips {
        next.add(current)
      }
      out.append(next)
      current = next
    }
    return out
  }

  /// g_{L+1} = `classifier` (w), g_i = (I + J_i)ᵀg_{i+1} with skips (J_iᵀg_{i+1} without;
  /// (S_i + J_i)ᵀg_{i+1} through a projection skip S_i): g_i = ∂(wᵀδ_{L+1})/∂δ_i, so that
  /// A_iᵀw = g_{i+1} (the adjoint of `deltas`). Returns g₁…g_{L+1}.
  public static func gradients(
    from classifier: [Double], through jacobians: [any LinearOperator<Double>], skips: Bool,
    skipJacobians: [(any LinearOperator<Double> & Sendable)?] = []
  ) -> [[Double]] {
    var g = [classifier]
    for i in jacobians.indices.reversed() {
      var next = jacobians[i].applyTransposed(g[0])
      if i < skipJacobians.count, let s = skipJacobians[i] {
        next.add(s.applyTransposed(g[0]))
      } else if skips {
        next.add(g[0])
      }
      g.insert(next, at: 0)
    }
    return g
  }
}
