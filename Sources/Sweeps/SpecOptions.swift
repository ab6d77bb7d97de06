import Empirical

/// The kinds of value a spec option takes, checked when the spec is read: the library's own
/// `OptionRule` of the command the option belongs to, so that a spec accepts exactly what
/// `ujm train` and `ujm measure` accept (`TrainingOptions.schema`, `MeasurementOptions.schema`).
public typealias OptionKind = OptionRule

extension OptionRule {
  /// Whether the option takes a comma-separated list (written as text or a YAML sequence).
  var isList: Bool { kind == .integerList }

  /// Whether `value` is of this kind; nil if it is, else what is expected.
  func mismatch(_ value: String) -> String? { problem(with: value) }
}

/// The options of `ujm train` and `ujm measure` that a spec may set, by spec key.
public enum SpecOptions {
  /// `ujm train`'s options (without `--output`, `--resume`, `--json` and the snapshot options,
  /// which the sweep sets: `--snapshot-epochs` from `snapshots`).
  public static let train: [String: OptionKind] = table(
    TrainingOptions.schema, without: ["snapshot-every"])

  /// `ujm measure`'s options (without `--checkpoint`, `--json` and `--figures`).
  public static let measure: [String: OptionKind] = table(MeasurementOptions.schema)

  /// The spec's top-level keys (and a variant's, less `small`).
  public static let topLevel = ["base", "axes", "measure", "snapshots", "resources", "small"]
  public static let resources = ["threads", "memory", "time"]

  private static func table(_ schema: OptionSchema, without: Set<String> = [])
    -> [String: OptionKind]
  {
    Dictionary(
      uniqueKeysWithValues: schema.rules.filter { !without.contains($0.name) }.map {
        ($0.specKey, $0)
      })
  }
}
