import RealModule

/// Standard normal draws by the Box–Muller transform.
///
/// Each call consumes exactly two 64-bit words per pair of normals, so a stream is a pure
/// function of the generator state (no hidden cached second value).
public enum Gaussian {
  /// `count` independent N(0, σ²) draws.
  public static func sample<G: RandomNumberGenerator, Scalar: BLASScalar>(
    _ count: Int, standardDeviation: Scalar = 1, as: Scalar.Type = Scalar.self,
    using generator: inout G
  ) -> [Scalar] {
    var out = [Scalar]()
    out.reserveCapacity(count)
    while out.count < count {
      // u1 in (0, 1]: log never sees 0.
      let u1 = (Double(generator.next() >> 11) + 1) * 0x1.0p-53
      let u2 = Double(generator.next() >> 11) * 0x1.0p-53
      let r = (-2 * Double.log(u1)).squareRoot()
      let theta = 2 * Double.pi * u2
      out.append(Scalar(r * Double.cos(theta)) * standardDeviation)
      if out.count < count { out.append(Scalar(r * Double.sin(theta)) * standardDeviation) }
    }
    return out
  }

  /// An m×n matrix of independent N(0, σ²) entries, drawn column by column.
  public static func matrix<G: RandomNumberGenerator, Scalar: BLASScalar>(
    rows: Int, columns: Int, standardDeviation: Scalar = 1, as: Scalar.Type = Scalar.self,
    using generator: inout G
  ) -> Matrix<Scalar> {
    Matrix(
      rows: rows, columns: columns,
      storage: sample(rows * columns, standardDeviation: standardDeviation, using: &generator))
  }

  /// A Haar-distributed random orthogonal n×n matrix (QR of a Gaussian matrix with the signs
  /// of R's diagonal folded into Q; Mezzadri 2007).
  public static func orthogonalMatrix<G: RandomNumberGenerator, Scalar: BLASScalar>(
    _ n: Int, as: Scalar.Type = Scalar.self, using generator: inout G
  ) throws(LAPACKError) -> Matrix<Scalar> {
    let g: Matrix<Scalar> = matrix(rows: n, columns: n, using: &generator)
    var (q, r) = try g.qrDecomposition()
    for j in 0..<n where r[j, j] < 0 {
      for i in 0..<n { q[i, j] = -q[i, j] }
    }
    return q
  }
}
