import Empirical
import LinearAlgebra
import TestSupport
import Testing

/// A random block of width d in evaluation mode, BatchNorm statistics drawn so that about half
/// the units are active.
func randomBranch(_ d: Int, branchScale: Double = 1, using rng: inout SeededGenerator)
  -> ResidualBranch
{
  let w1: Matrix<Double> = Gaussian.matrix(rows: d, columns: d, using: &rng)
  let w2: Matrix<Double> = Gaussian.matrix(rows: d, columns: d, using: &rng)
  let s1 = (0..<d).map { _ in Double.random(in: 0.5...1.5, using: &rng) }
  let t1: [Double] = Gaussian.sample(d, using: &rng)
  let s2 = (0..<d).map { _ in Double.random(in: 0.1...0.3, using: &rng) }
  let t2: [Double] = Gaussian.sample(d, using: &rng)
  return ResidualBranch(
    w1: w1.scaled(by: 1 / Double(d).squareRoot()), scale1: s1, shift1: t1,
    w2: w2.scaled(by: 1 / Double(d).squareRoot()), scale2: s2, shift2: t2,
    branchScale: branchScale)
}

@Suite("Residual Jacobian J = ∂F/∂h: closed form against finite differences", .serialized)
struct ResidualJacobianTests {
  /// Central differences (F(h + εe_k) − F(h − εe_k)) / 2ε, column by column.
  func finiteDifferenceJacobian(_ f: ResidualBranch, at h: [Double], step: Double = 1e-6)
    -> Matrix<Double>
  {
    var j = Matrix<Double>(rows: h.count, columns: h.count)
    for k in h.indices {
      var plus = h
      var minus = h
      plus[k] += step
      minus[k] -= step
      var column = f(plus)
      column.add(f(minus), scaledBy: -1)
      j.setColumn(k, to: column.scaled(by: 1 / (2 * step)))
    }
    return j
  }

  @Test func closedFormMatchesFiniteDifferences() {
    var rng = testGenerator(60)
    withEvery("branch scale", in: [1.0, 0.9]) { c, label in
      let f = randomBranch(24, branchScale: c, using: &rng)
      let h: [Double] = Gaussian.sample(24, using: &rng)
      let exact = f.jacobian(at: h).materialized()
      let fd = finiteDifferenceJacobian(f, at: h)
      let err = relativeError(exact, fd)
      print("\(label): ‖J − J_fd‖_max/‖J‖_max = \(err) (tolerance 1e-7)")
      #expect(err <= 1e-7, "\(label): \(err)")
      #expect(exact.frobeniusNorm > 0.1)
    }
  }

  @Test func aWrongMaskIsCaughtByFiniteDifferences() {
    // Counterexample: the same product without the ReLU masks is not the Jacobian.
    var rng = testGenerator(61)
    let f = randomBranch(24, using: &rng)
    let h: [Double] = Gaussian.sample(24, using: &rng)
    let unmasked = ResidualJacobian(w1: f.w1, inner: f.scale1, w2: f.w2, outer: f.scale2)
    let err = relativeError(unmasked.materialized(), finiteDifferenceJacobian(f, at: h))
    #expect(err > 1e-2, "unmasked product scored \(err)")
  }

  @Test func operatorProductsEqualTheMatrix() {
    var rng = testGenerator(62)
    let f = randomBranch(30, using: &rng)
    let j = f.jacobian(at: Gaussian.sample(30, using: &rng))
    let dense = j.materialized()
    let x: Matrix<Double> = Gaussian.matrix(rows: 30, columns: 5, using: &rng)
    #expect(relativeError(j.apply(x), dense * x) <= 1e-13)
    #expect(relativeError(j.applyTransposed(x), dense.applyTransposed(x)) <= 1e-13)
    let v = x.column(0)
    #expect(relativeError(j.apply(v), dense * v) <= 1e-13)
    #expect(relativeError(j.applyTransposed(v), dense.applyTransposed(v)) <= 1e-13)
    #expect(j.activeInputs.count < 30 && j.activeInputs.count > 0)
  }

  @Test func compressedTripletsEqualTheDenseSVD() throws {
    var rng = testGenerator(63)
    // Rank 8 of a 96×|A1| part: the dense SVD is cheaper; rank 2 with p = 8 of a 240-wide
    // block: Algorithm 971 is.
    try withEvery("(D, rank, p)", in: [(96, 8, 10), (240, 2, 8)]) { config, label in
      let (d, k, p) = config
      let f = randomBranch(d, using: &rng)
      let j = f.jacobian(at: Gaussian.sample(d, using: &rng))
      let r = try j.topSingularTriplets(rank: k, oversampling: p, using: &rng)
      let dense = try j.materialized().singularValueDecomposition().truncated(to: k)
        .signCanonical()
      let valueError = relativeError(r.singularValues, dense.singularValues)
      print(
        "\(label): top-\(k) of J (|A1| = \(j.activeInputs.count)) by \(r.method): σ error "
          + "\(valueError) (tolerance 1e-8)")
      #expect(r.method == (d == 96 ? .dense : .randomized), "\(label)")
      #expect(valueError <= 1e-8, "\(label)")
      #expect(relativeError(r.decomposition.v, dense.v) <= 1e-6, "\(label)")
      #expect(relativeError(r.decomposition.u, dense.u) <= 1e-6, "\(label)")
    }
  }
}
