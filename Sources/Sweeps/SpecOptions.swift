/// The kinds of value a spec option takes, checked when the spec is read.
public enum OptionKind: Sendable, Equatable {
  case integer(minimum: Int)
  case number
  case text
  case choice([String])
  /// Comma-separated class numbers (`0,1,2`), written as text or a YAML sequence.
  case list

  /// Whether `value` is of this kind; nil if it is, else what is expected.
  func mismatch(_ value: String) -> String? {
    switch self {
    case .integer(let minimum):
      guard let k = Int(value), k >= minimum else { return "an integer ≥ \(minimum)" }
      return nil
    case .number:
      guard let x = Double(value), x.isFinite else { return "a finite number" }
      return nil
    case .text:
      return value.isEmpty ? "a non-empty string" : nil
    case .choice(let options):
      return options.contains(value) ? nil : "one of \(options.joined(separator: ", "))"
    case .list:
      let parts = value.split(separator: ",", omittingEmptySubsequences: false)
      let ok =
        !parts.isEmpty && parts.allSatisfy { Int($0.trimmingCharacters(in: .whitespaces)) != nil }
      return ok ? nil : "a comma-separated list of integers"
    }
  }
}

/// The options of `ujm train` and `ujm measure` that a spec may set, with their kinds.
public enum SpecOptions {
  /// `ujm train`'s options (without `--output`, `--resume` and `--json`, which the sweep sets).
  public static let train: [String: OptionKind] = [
    "type": .choice(["1", "4a", "4b"]),
    "epochs": .integer(minimum: 0),
    "weight_decay": .number,
    "weight_decay_scope": .choice(["all", "weights", "no-norm"]),
    "lr": .number,
    "batch_size": .integer(minimum: 1),
    "seed": .integer(minimum: 0),
    "classes": .list,
    "drop_path": .number,
    "max_steps": .integer(minimum: 1),
    "blocks": .integer(minimum: 1),
    "width": .integer(minimum: 1),
    "data": .text,
  ]

  /// `ujm measure`'s options (without `--checkpoint`, `--json` and `--figures`).
  public static let measure: [String: OptionKind] = [
    "inputs": .integer(minimum: 1),
    "indices": .list,
    "rank": .integer(minimum: 1),
    "seed": .integer(minimum: 0),
    "nc_examples": .integer(minimum: 0),
    "data": .text,
  ]

  /// The spec's top-level keys (and a variant's, less `small`).
  public static let topLevel = ["base", "axes", "measure", "snapshots", "resources", "small"]
  public static let resources = ["threads", "memory", "time"]
}
