// Goals, in order of priority: one row per number the theory predicts, each with the measured
// median and range, the tolerance and why, and a verdict that never stands without its number;
// JSON in the key names with non-finite numbers written as null.

import Empirical
import LinearAlgebra

/// Median, minimum and maximum of a measured quantity (over pairs, endpoints or both).
public struct Measured: Sendable, Equatable, Encodable {
  public var median: Double
  public var min: Double
  public var max: Double
  /// How many values were summarised.
  public var count: Int

  public init(_ values: [Double]) {
    let finite = values.filter(\.isFinite)
    let s = Spread(of: finite)
    (median, min, max, count) = (s.median, s.min, s.max, finite.count)
  }

  enum CodingKeys: String, CodingKey { case median, min, max, count }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encodeFinite(median, forKey: .median)
    try c.encodeFinite(min, forKey: .min)
    try c.encodeFinite(max, forKey: .max)
    try c.encode(count, forKey: .count)
  }
}

/// One block's value of a per-block prediction row, summarised over pairs (and endpoints).
public struct BlockValue: Sendable, Equatable, Encodable {
  /// The block index i (1-based).
  public var block: Int
  public var measured: Measured
}

/// One prediction of the theory against its measurement on a trained network.
public struct Prediction: Sendable, Equatable, Encodable {
  /// The row's name, e.g. `rank_one@boundary`.
  public var name: String
  /// The theory's value.
  public var theory: Double
  /// Where it is measured: `boundary` (at x_mid) or `endpoints` (at the training inputs).
  public var location: String
  public var measured: Measured
  /// The row holds when |median − theory| ≤ tolerance.
  public var tolerance: Double
  public var holds: Bool
  /// What is measured, why this tolerance, and anything else the reader needs.
  public var note: String
  /// The per-block values where the row is a per-block quantity.
  public var perBlock: [BlockValue]?

  public init(
    name: String, theory: Double, location: String, values: [Double], tolerance: Double,
    note: String, perBlock: [BlockValue]? = nil
  ) {
    self.name = name
    self.theory = theory
    self.location = location
    measured = Measured(values)
    self.tolerance = tolerance
    // A NaN median (no finite value) never holds.
    holds = abs(measured.median - theory) <= tolerance
    self.note = note
    self.perBlock = perBlock
  }

  enum CodingKeys: String, CodingKey {
    case name, theory
    case location = "where"
    case measured, tolerance, holds, note
    case perBlock = "per_block"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encodeFinite(theory, forKey: .theory)
    try c.encode(location, forKey: .location)
    try c.encode(measured, forKey: .measured)
    try c.encodeFinite(tolerance, forKey: .tolerance)
    try c.encode(holds, forKey: .holds)
    try c.encode(note, forKey: .note)
    if let perBlock { try c.encode(perBlock, forKey: .perBlock) }
  }
}

extension KeyedEncodingContainer {
  /// Encodes `value`, or null when it is nil or not finite (JSON has no NaN or infinity).
  mutating func encodeFinite(_ value: Double?, forKey key: Key) throws {
    if let value, value.isFinite {
      try encode(value, forKey: key)
    } else {
      try encodeNil(forKey: key)
    }
  }

  /// Encodes an array of numbers, each non-finite one as null.
  mutating func encodeFinite(_ values: [Double], forKey key: Key) throws {
    try encode(values.map { $0.isFinite ? $0 : nil }, forKey: key)
  }

  mutating func encodeFinite(_ values: [[Double]], forKey key: Key) throws {
    try encode(values.map { $0.map { $0.isFinite ? $0 : nil } }, forKey: key)
  }
}

/// |cos ∠(a, b)| = |aᵀb| / (‖a‖‖b‖) (NaN when either is zero).
func absoluteCosine(_ a: [Double], _ b: [Double]) -> Double {
  let na = a.euclideanNorm
  let nb = b.euclideanNorm
  guard na > 0 && nb > 0 else { return .nan }
  return Swift.min(1, abs(a.dot(b)) / (na * nb))
}

/// The median of `values` (NaN when empty).
func median(_ values: [Double]) -> Double { Spread(of: values).median }
