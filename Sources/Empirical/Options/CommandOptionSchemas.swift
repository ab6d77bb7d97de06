/// The options of `ujm train` that a user or a sweep spec sets (`--output`, `--resume`, `--json`
/// and the snapshot options are the sweep's own), with their ranges. `Train.validate()` and
/// `SpecParser` both check against this table, so the two cannot drift apart.
public enum TrainingOptions {
  /// The architecture presets: fully-connected 1, 4a, 4b; convolutional 2, 3, 5a, 5b.
  public static let types = ["1", "4a", "4b", "2", "3", "5a", "5b"]

  public static let schema = OptionSchema([
    OptionRule("type", .choice(types)),
    OptionRule("epochs", .integer(0...1_000_000)),
    OptionRule("weight-decay", .number(.atLeast(0))),
    OptionRule("weight-decay-scope", .choice(WeightDecayScope.allCases.map(\.rawValue))),
    OptionRule("lr", .number(.above(0))),
    OptionRule("batch-size", .integer(1...1_000_000)),
    OptionRule("seed", .unsigned64),
    OptionRule("classes", .integerList),
    OptionRule("labels", .choice(CIFARFile.Labels.allCases.map(\.rawValue))),
    OptionRule("drop-path", .number(NumberInterval(lower: 0, upper: 1, upperClosed: false))),
    OptionRule("max-steps", .integer(1...Int.max)),
    OptionRule("blocks", .integer(1...Int(Int32.max))),
    OptionRule("width", .integer(1...Int(Int32.max))),
    OptionRule("snapshot-every", .integer(1...1_000_000)),
    OptionRule("data", .text),
  ])
}

/// The options of `ujm measure` that a user or a sweep spec sets (`--checkpoint`, `--json` and
/// `--figures` are the sweep's own), with their ranges.
public enum MeasurementOptions {
  /// The most inputs (`--inputs`, `--indices`) and the largest `--rank`: 100,000, checked before
  /// any arithmetic on them (the paper measures 20 inputs at rank 10).
  public static let maximumInputs = 100_000

  public static let schema = OptionSchema([
    OptionRule("inputs", .integer(1...maximumInputs)),
    OptionRule("indices", .integerList),
    OptionRule("rank", .integer(1...maximumInputs)),
    OptionRule("iterations", .integer(0...1000)),
    OptionRule("seed", .unsigned64),
    OptionRule("nc-examples", .integer(0...Int.max)),
    OptionRule(
      "nc-precision", .choice(NeuralCollapseMeasurement.Precision.allCases.map(\.rawValue))),
    OptionRule("nc-memory-budget", .number(NumberInterval(lower: 0, upper: 1_048_576))),
    OptionRule("data", .text),
  ])
}
