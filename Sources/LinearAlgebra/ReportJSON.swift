import Foundation

/// The one JSON encoding of every ujm report and file (`--json`, `--output`, run directories).
///
/// Keys are sorted and slashes are not escaped, so that the same value always gives the same
/// bytes. JSON has no token for a non-finite number: NaN and ±∞ are written as `null` (strict
/// parsers, Python's `json.loads(…, parse_constant=…)` and jq read them). An encoding failure is
/// an error, never an empty or `{}` output.
public enum ReportJSON {
  /// A string that no report contains; non-finite numbers are encoded as it, then replaced.
  private static let nonFinite = "__ujm_non_finite_number_7f3a9c__"

  /// `value` as UTF-8 JSON: one line, or indented with `pretty`.
  public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
    Data(try string(value, pretty: pretty).utf8)
  }

  /// `value` as a JSON string: one line, or indented with `pretty`.
  public static func string<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting =
      pretty
      ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
      : [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: nonFinite, negativeInfinity: nonFinite, nan: nonFinite)
    let text = String(decoding: try encoder.encode(value), as: UTF8.self)
    return text.replacingOccurrences(of: "\"\(nonFinite)\"", with: "null")
  }
}
