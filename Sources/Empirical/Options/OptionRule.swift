/// One command-line option's rule — its name, the kind of value it takes and the range that value
/// must lie in — declared once in the library and used by every client: the CLI's `validate()`,
/// a sweep spec's keys (`weight_decay` for `--weight-decay`) and the arguments a sweep gives its
/// child processes. A value is checked before any arithmetic, so a hostile value never traps.
public struct OptionRule: Sendable, Equatable {
  /// The kinds of value an option takes.
  public enum Kind: Sendable, Equatable {
    /// An integer in the closed range.
    case integer(ClosedRange<Int>)
    /// An unsigned 64-bit integer, 0…2⁶⁴−1 (`--seed`).
    case unsigned64
    /// A finite number in the interval.
    case number(NumberInterval)
    /// One of the listed words.
    case choice([String])
    /// Comma-separated non-negative integers (`0,3,7`), as `--classes` and `--indices` take.
    case integerList
    /// Any non-empty text without control characters (a path).
    case text
  }

  /// The long name without dashes: `weight-decay`.
  public var name: String
  /// The value's kind and range.
  public var kind: Kind

  public init(_ name: String, _ kind: Kind) {
    self.name = name
    self.kind = kind
  }

  /// The option as typed: `--weight-decay`.
  public var flag: String { "--" + name }

  /// The key that names the option in a sweep spec: `weight_decay`.
  public var specKey: String { name.replacingOccurrences(of: "-", with: "_") }

  /// What a value must be, in words: "a number ≥ 0", "an integer in 0…1000", "one of all, …".
  public var expectation: String {
    switch kind {
    case .integer(let range):
      if range.upperBound == Int.max { return "an integer ≥ \(range.lowerBound)" }
      return "an integer in \(range.lowerBound)…\(range.upperBound)"
    case .unsigned64: return "an integer in 0…18446744073709551615"
    case .number(let interval): return "a number \(interval)"
    case .choice(let words): return "one of \(words.joined(separator: ", "))"
    case .integerList: return "a comma-separated list of non-negative integers"
    case .text: return "a non-empty string without control characters"
    }
  }

  /// nil when `text` is a valid value, else what is expected.
  public func problem(with text: String) -> String? {
    let ok: Bool
    switch kind {
    case .integer(let range):
      ok = Int(text).map(range.contains) ?? false
    case .unsigned64:
      ok = UInt64(text) != nil
    case .number(let interval):
      ok = Double(text).map(interval.contains) ?? false
    case .choice(let words):
      ok = words.contains(text)
    case .integerList:
      let parts = text.split(separator: ",", omittingEmptySubsequences: false)
      ok =
        !parts.isEmpty
        && parts.allSatisfy { (Int($0.trimmingCharacters(in: .whitespaces)) ?? -1) >= 0 }
    case .text:
      ok =
        !text.isEmpty && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
    return ok ? nil : expectation
  }

  /// Checks a parsed integer; throws naming the option and the value.
  public func check(_ value: Int) throws(OptionError) {
    guard case .integer(let range) = kind else { return try check(String(value)) }
    guard range.contains(value) else { throw OptionError(rule: self, value: String(value)) }
  }

  /// Checks a parsed number; throws naming the option and the value.
  public func check(_ value: Double) throws(OptionError) {
    guard case .number(let interval) = kind else { return try check("\(value)") }
    guard interval.contains(value) else { throw OptionError(rule: self, value: "\(value)") }
  }

  /// Checks a value as written; throws naming the option and the value.
  public func check(_ text: String) throws(OptionError) {
    guard problem(with: text) == nil else { throw OptionError(rule: self, value: text) }
  }
}

/// An interval of finite numbers, each end open, closed or absent.
public struct NumberInterval: Sendable, Equatable, CustomStringConvertible {
  public var lower: Double?
  public var lowerClosed: Bool
  public var upper: Double?
  public var upperClosed: Bool

  public init(
    lower: Double?, lowerClosed: Bool = true, upper: Double? = nil, upperClosed: Bool = true
  ) {
    self.lower = lower
    self.lowerClosed = lowerClosed
    self.upper = upper
    self.upperClosed = upperClosed
  }

  /// x ≥ a.
  public static func atLeast(_ a: Double) -> NumberInterval { .init(lower: a) }
  /// x > a.
  public static func above(_ a: Double) -> NumberInterval { .init(lower: a, lowerClosed: false) }

  /// Whether x is finite and inside.
  public func contains(_ x: Double) -> Bool {
    guard x.isFinite else { return false }
    if let lower, lowerClosed ? x < lower : x <= lower { return false }
    if let upper, upperClosed ? x > upper : x >= upper { return false }
    return true
  }

  public var description: String {
    func number(_ x: Double) -> String {
      x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
    switch (lower, upper) {
    case (let a?, let b?):
      return "in \(lowerClosed ? "[" : "(")\(number(a)), \(number(b))\(upperClosed ? "]" : ")")"
    case (let a?, nil): return "\(lowerClosed ? "≥" : ">") \(number(a))"
    case (nil, let b?): return "\(upperClosed ? "≤" : "<") \(number(b))"
    case (nil, nil): return "(any finite value)"
    }
  }
}

/// A value outside its option's rule: "--weight-decay must be a number ≥ 0 (got -1)".
public struct OptionError: Error, Sendable, Equatable, CustomStringConvertible {
  public var rule: OptionRule
  public var value: String

  public var description: String {
    let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
    return "\(rule.flag) must be \(rule.expectation) (got '\(shown)')"
  }
}

/// A command's options, each declared once.
public struct OptionSchema: Sendable {
  public var rules: [OptionRule]

  public init(_ rules: [OptionRule]) { self.rules = rules }

  /// The rule of `--name`; a programming error if there is none.
  public subscript(_ name: String) -> OptionRule {
    guard let rule = rules.first(where: { $0.name == name }) else {
      preconditionFailure("no option --\(name) in the schema")
    }
    return rule
  }

  /// The rule named by a sweep spec's key (`weight_decay`), if any.
  public func rule(specKey: String) -> OptionRule? { rules.first { $0.specKey == specKey } }

  /// The spec keys, sorted.
  public var specKeys: [String] { rules.map(\.specKey).sorted() }
}
