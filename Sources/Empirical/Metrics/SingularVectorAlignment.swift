// Goals, in order of priority: RA2 as a number that a random block cannot fake (every score
// comes with the same score for Haar-random singular vectors); matrix-free (works on any
// `LinearOperator`); the k×k matrices of figure 2 available for plotting.

import LinearAlgebra

/// RA2 for one input: do the top singular vectors of the Residual Jacobians J₁, …, J_L align
/// with each other across depth?
///
/// Paper: (RA2) and Figure 2, which shows M_{ij} = U_{j,k}ᵀ·J_i·V_{j,k} for every pair of blocks
/// (U_{j,k}, V_{j,k}: the top-k left and right singular vectors of J_j). Alignment makes every
/// M_{ij} diagonal. For a k×k matrix M,
///
///     diagonalFraction(M) = Σₖ |M_kk| / Σₖₗ |M_kl|
///
/// which is 1 for a diagonal M and about 1/k for unstructured M. Reported, as means over the
/// L(L−1) ordered pairs i ≠ j:
/// - `diagonalFraction`: of U_jᵀ·J_i·V_j;
/// - `transposedDiagonalFraction`: of V_jᵀ·J_i·U_j (left and right vectors swapped, also in
///   the paper's caption; J must be square);
/// - `randomBaseline`: of Uᵀ·J_i·V with Haar-random orthonormal D×k matrices U, V drawn per j;
/// - `leftSubspaceCosine`, `rightSubspaceCosine`: the mean cosine of the k principal angles
///   between span U_i and span U_j (resp. V_i, V_j), i.e. the mean singular value of
///   U_iᵀ·U_j; 1 for equal subspaces, about √(k/D)·(a constant) for random ones.
public struct SingularVectorAlignment: Sendable, Equatable {
  /// Mean over i ≠ j of diagonalFraction(U_jᵀ·J_i·V_j), over the pairs where the product is
  /// not exactly zero (NaN when it is zero for every pair).
  public var diagonalFraction: Double
  /// Mean over i ≠ j of diagonalFraction(V_jᵀ·J_i·U_j).
  public var transposedDiagonalFraction: Double
  /// Mean over i ≠ j of diagonalFraction(Uᵀ·J_i·V), U and V Haar-random.
  public var randomBaseline: Double
  /// Mean over i ≠ j of the mean principal-angle cosine between span U_i and span U_j.
  public var leftSubspaceCosine: Double
  /// Mean over i ≠ j of the mean principal-angle cosine between span V_i and span V_j.
  public var rightSubspaceCosine: Double
  /// diagonalFraction(U_jᵀ·J_i·V_j) at (i, j), diagonal included (L×L).
  public var pairDiagonalFractions: Matrix<Double>

  /// Σₖ |M_kk| / Σₖₗ |M_kl| (NaN for a zero matrix).
  public static func diagonalFraction(_ m: Matrix<Double>) -> Double {
    var diagonal = 0.0
    var total = 0.0
    for j in 0..<m.columns {
      for i in 0..<m.rows {
        total += abs(m[i, j])
        if i == j { diagonal += abs(m[i, j]) }
      }
    }
    return total > 0 ? diagonal / total : .nan
  }

  /// M = Uᵀ·J·V for an operator J and D×k matrices U, V (figure 2's subplot).
  public static func alignmentMatrix<Op: LinearOperator<Double>>(
    _ j: Op, left u: Matrix<Double>, right v: Matrix<Double>
  ) -> Matrix<Double> {
    u.multiplied(by: j.apply(v), transposingSelf: true)
  }

  /// The mean cosine of the principal angles between the column spans of two matrices with
  /// orthonormal columns (the mean singular value of aᵀ·b).
  public static func meanPrincipalCosine(_ a: Matrix<Double>, _ b: Matrix<Double>)
    throws(LAPACKError) -> Double
  {
    let s = try a.multiplied(by: b, transposingSelf: true).singularValues()
    return s.isEmpty ? .nan : s.reduce(0, +) / Double(s.count)
  }

  /// Measures RA2 on the Jacobians `jacobians` (square, D×D) of one input, given the top-k
  /// singular vectors of each (`decompositions[i]` of `jacobians[i]`, at least k triplets).
  public init<Op: LinearOperator<Double>, G: RandomNumberGenerator>(
    jacobians: [Op], decompositions: [SingularValueDecomposition<Double>], rank k: Int,
    using generator: inout G
  ) throws(LAPACKError) {
    let l = jacobians.count
    precondition(l >= 2 && decompositions.count == l, "need ≥ 2 blocks, one SVD each")
    let d = jacobians[0].rows
    precondition(
      jacobians.allSatisfy { $0.rows == d && $0.columns == d }, "Jacobians must be D×D")
    precondition(k >= 1 && k <= d, "rank \(k) not in 1...\(d)")
    precondition(decompositions.allSatisfy { $0.singularValues.count >= k }, "too few triplets")
    let us = decompositions.map { $0.u.leadingColumns(k) }
    let vs = decompositions.map { $0.v.leadingColumns(k) }
    var randomU = [Matrix<Double>]()
    var randomV = [Matrix<Double>]()
    for _ in 0..<l {
      let gu: Matrix<Double> = Gaussian.matrix(rows: d, columns: k, using: &generator)
      let gv: Matrix<Double> = Gaussian.matrix(rows: d, columns: k, using: &generator)
      randomU.append(try gu.orthonormalized())
      randomV.append(try gv.orthonormalized())
    }
    var grid = Matrix<Double>(rows: l, columns: l)
    var sums = (aligned: 0.0, transposed: 0.0, random: 0.0, left: 0.0, right: 0.0)
    // A pair whose product is exactly zero (J_i annihilates V_j: in networks without skips the
    // ReLU masks of two blocks can have disjoint supports) has no diagonal fraction; it is left
    // out of the means rather than turning them into NaN.
    var counts = (aligned: 0, transposed: 0, random: 0)
    func add(_ x: Double, to sum: inout Double, count: inout Int) {
      if x.isFinite {
        sum += x
        count += 1
      }
    }
    for i in 0..<l {
      let jv = jacobians[i].apply(Self.block(vs + us + randomV))
      for j in 0..<l {
        // Columns of jv: J_i·V_j at j·k, J_i·U_j at (l + j)·k, J_i·V_random at (2l + j)·k.
        let m = us[j].multiplied(by: Self.columns(jv, from: j * k, count: k), transposingSelf: true)
        grid[i, j] = Self.diagonalFraction(m)
        if i == j { continue }
        add(grid[i, j], to: &sums.aligned, count: &counts.aligned)
        let mt = vs[j].multiplied(
          by: Self.columns(jv, from: (l + j) * k, count: k), transposingSelf: true)
        add(Self.diagonalFraction(mt), to: &sums.transposed, count: &counts.transposed)
        let mr = randomU[j].multiplied(
          by: Self.columns(jv, from: (2 * l + j) * k, count: k), transposingSelf: true)
        add(Self.diagonalFraction(mr), to: &sums.random, count: &counts.random)
        sums.left += try Self.meanPrincipalCosine(us[i], us[j])
        sums.right += try Self.meanPrincipalCosine(vs[i], vs[j])
      }
    }
    let pairs = Double(l * (l - 1))
    diagonalFraction = counts.aligned > 0 ? sums.aligned / Double(counts.aligned) : .nan
    transposedDiagonalFraction =
      counts.transposed > 0 ? sums.transposed / Double(counts.transposed) : .nan
    randomBaseline = counts.random > 0 ? sums.random / Double(counts.random) : .nan
    leftSubspaceCosine = sums.left / pairs
    rightSubspaceCosine = sums.right / pairs
    pairDiagonalFractions = grid
  }

  private static func block(_ parts: [Matrix<Double>]) -> Matrix<Double> {
    let rows = parts[0].rows
    var storage = [Double]()
    storage.reserveCapacity(rows * parts.reduce(0) { $0 + $1.columns })
    for p in parts { storage += p.storage }
    return Matrix(rows: rows, columns: storage.count / rows, storage: storage)
  }

  private static func columns(_ m: Matrix<Double>, from start: Int, count: Int) -> Matrix<Double> {
    Matrix(
      rows: m.rows, columns: count,
      storage: Array(m.storage[(start * m.rows)..<((start + count) * m.rows)]))
  }
}
