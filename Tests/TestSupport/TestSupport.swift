import LinearAlgebra

/// Shared helpers for ujm's test targets: seeded generators, closeness measures that return the
/// measured error (so a failing test prints a number), and labelled exhaustive loops.

/// A generator for tests: fixed seeds so that every failure replays.
public func testGenerator(_ seed: UInt64 = 0x5EED) -> SeededGenerator {
  SeededGenerator(seed: seed)
}

/// max |aᵢ − bᵢ| / max(max |bᵢ|, floor): the relative error of `a` against the reference `b`.
public func relativeError<S: BLASScalar>(_ a: [S], _ b: [S], floor: S = 1) -> S {
  precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
  var num: S = 0
  var den: S = floor
  for i in a.indices {
    num = max(num, abs(a[i] - b[i]))
    den = max(den, abs(b[i]))
  }
  return num / den
}

/// Relative error of two matrices, entrywise, against `b`'s largest entry.
public func relativeError<S: BLASScalar>(_ a: Matrix<S>, _ b: Matrix<S>, floor: S = 1) -> S {
  precondition(a.rows == b.rows && a.columns == b.columns, "shape mismatch")
  return relativeError(a.storage, b.storage, floor: floor)
}

/// The product of two matrices by the textbook triple loop: the reference for BLAS tests.
public func naiveProduct<S: BLASScalar>(_ a: Matrix<S>, _ b: Matrix<S>) -> Matrix<S> {
  precondition(a.columns == b.rows, "inner dimension mismatch")
  return Matrix(rows: a.rows, columns: b.columns) { i, j in
    var s: S = 0
    for k in 0..<a.columns { s += a[i, k] * b[k, j] }
    return s
  }
}

/// Runs `body` for every element, passing a label that says which case it was, so that a
/// failure message names the case (after swift-collections' `withEvery`).
public func withEvery<C: Collection>(
  _ label: String, in items: C, _ body: (C.Element, String) throws -> Void
) rethrows {
  for item in items { try body(item, "\(label) = \(item)") }
}
