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

/// What a relational row gives when the things it relates come from different pairs: the same
/// quantity on the same network with pair p matched against pair p + 1 (cyclically).
public struct NullSummary: Sendable, Equatable, Encodable {
  /// The median of the mismatched values.
  public var median: Double
  /// Its bootstrap interval (`Bootstrap`).
  public var ci: [Double]

  enum CodingKeys: String, CodingKey { case median, ci }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encodeFinite(median, forKey: .median)
    try c.encodeFinite(ci, forKey: .ci)
  }
}

/// Whether a row can be a verdict at all.
public enum RowStatus: Sendable, Equatable {
  /// A verdict: holds or does not.
  case verdict
  /// Not a verdict: the quantity changes under a reparametrisation that leaves the network's
  /// function unchanged (the reason says which).
  case notIdentifiable(String)
  /// Not a verdict: the data cannot test it (the reason says why, e.g. too few live blocks).
  case notApplicable(String)
}

/// One prediction of the theory against its measurement on a trained network.
///
/// The row *holds* when its 95% interval `ci` (a bootstrap of the median over pairs) lies within
/// `tolerance` of `theory` and, for a relational row, excludes the median of its `null`; a
/// `condition` (a second requirement, e.g. RA4's R² ≥ 0.9) must hold as well. `holds` is nil when
/// the row is not a verdict (`RowStatus`). `verdict` says in words which requirement failed.
public struct Prediction: Sendable, Equatable, Encodable {
  /// The row's name, e.g. `rank_one@boundary`.
  public var name: String
  /// The theory's value.
  public var theory: Double
  /// Where it is measured: `boundary` (at x_mid) or `endpoints` (at the training inputs).
  public var location: String
  public var measured: Measured
  /// [lo, hi], the 95% bootstrap interval of the median over pairs (NaN when not measured).
  public var ci: [Double]
  /// The cyclic pair-mismatch null of a relational row (nil for the others).
  public var null: NullSummary?
  public var tolerance: Double
  /// Nil when the row is not a verdict.
  public var holds: Bool?
  /// "holds", or what failed ("does not hold: …"), or why the row is no verdict.
  public var verdict: String
  /// What is measured, why this tolerance, and anything else the reader needs.
  public var note: String
  /// The per-block values where the row is a per-block quantity.
  public var perBlock: [BlockValue]?

  /// A row from per-pair groups of values (`groups[p]`: one value per pair, or one per endpoint)
  /// and, for a relational row, the per-pair groups of its null; `seed` seeds both bootstraps
  /// (mixed with the row's name). `condition`, when given, is a second requirement: (whether it
  /// is met, what it says).
  public init(
    name: String, theory: Double, location: String, groups: [[Double]], tolerance: Double,
    note: String, perBlock: [BlockValue]? = nil, nullGroups: [[Double]]? = nil,
    seed: UInt64, status: RowStatus = .verdict, condition: (met: Bool, text: String)? = nil
  ) {
    self.name = name
    self.theory = theory
    self.location = location
    measured = Measured(groups.flatMap { $0 })
    self.tolerance = tolerance
    self.note = note
    self.perBlock = perBlock
    if case .notIdentifiable = status {
      ci = [.nan, .nan]
    } else {
      ci = Bootstrap.medianInterval(groups, seed: Bootstrap.seed(seed, row: name))
    }
    if let nullGroups {
      let values = nullGroups.flatMap { $0 }.filter(\.isFinite)
      null = NullSummary(
        median: median(values),
        ci: Bootstrap.medianInterval(nullGroups, seed: Bootstrap.seed(seed, row: name + "/null")))
    } else {
      null = nil
    }
    switch status {
    case .notIdentifiable(let reason):
      holds = nil
      verdict = "not identifiable: " + reason
    case .notApplicable(let reason):
      holds = nil
      verdict = "not applicable: " + reason
    case .verdict:
      (holds, verdict) = Self.judge(
        theory: theory, tolerance: tolerance, ci: ci, null: null, relational: nullGroups != nil,
        condition: condition)
    }
  }

  /// The verdict: the interval within `tolerance` of `theory`, excluding the null's median (a
  /// relational row), and the condition met. NaN anywhere fails.
  static func judge(
    theory: Double, tolerance: Double, ci: [Double], null: NullSummary?, relational: Bool,
    condition: (met: Bool, text: String)?
  ) -> (Bool, String) {
    let (lo, hi) = (ci[0], ci[1])
    guard lo.isFinite && hi.isFinite else { return (false, "does not hold: no finite value") }
    var failures = [String]()
    let distance = Swift.max(abs(lo - theory), abs(hi - theory))
    if !(distance <= tolerance) {
      failures.append(
        "interval [\(short(lo)), \(short(hi))] is \(short(distance)) from the theory's "
          + "\(short(theory)), tolerance \(short(tolerance))")
    }
    if relational {
      if let m = null?.median, m.isFinite {
        if lo <= m && m <= hi {
          failures.append(
            "interval [\(short(lo)), \(short(hi))] contains the null's median \(short(m))")
        }
      } else {
        failures.append("no null (it needs at least 2 measured pairs)")
      }
    }
    if let condition, !condition.met { failures.append(condition.text) }
    return failures.isEmpty
      ? (true, "holds") : (false, "does not hold: " + failures.joined(separator: "; "))
  }

  /// "holds", "does not hold", "not identifiable" or "not applicable".
  public var verdictWord: String {
    if let holds { return holds ? "holds" : "does not hold" }
    return verdict.hasPrefix("not identifiable") ? "not identifiable" : "not applicable"
  }

  enum CodingKeys: String, CodingKey {
    case name, theory
    case location = "where"
    case measured, ci, null, tolerance, holds, verdict, note
    case perBlock = "per_block"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encodeFinite(theory, forKey: .theory)
    try c.encode(location, forKey: .location)
    try c.encode(measured, forKey: .measured)
    try c.encodeFinite(ci, forKey: .ci)
    if let null { try c.encode(null, forKey: .null) } else { try c.encodeNil(forKey: .null) }
    try c.encodeFinite(tolerance, forKey: .tolerance)
    if let holds { try c.encode(holds, forKey: .holds) } else { try c.encodeNil(forKey: .holds) }
    try c.encode(verdict, forKey: .verdict)
    try c.encode(note, forKey: .note)
    if let perBlock {
      try c.encode(perBlock, forKey: .perBlock)
    } else {
      try c.encodeNil(forKey: .perBlock)
    }
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
