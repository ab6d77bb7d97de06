import Testing

@testable import Empirical

/// The library's one table of `train` and `measure` options (`TrainingOptions.schema`,
/// `MeasurementOptions.schema`), which the CLI's `validate()` and sweep specs both check against.
@Suite("Option schema: one range per option, refused values name the option")
struct OptionSchemaTests {
  @Test func everyTypeTheSchemaAcceptsIsAPresetOfOneKindOrTheOther() {
    for name in TrainingOptions.types {
      let fc = Architecture.preset(name)
      let conv = ConvolutionalArchitecture.preset(name)
      #expect((fc == nil) != (conv == nil), "--type \(name)")
    }
    #expect(TrainingOptions.schema["type"].problem(with: "6") != nil)
  }

  @Test func weightDecayScopeChoicesAreTheEnumsCases() {
    let rule = TrainingOptions.schema["weight-decay-scope"]
    for scope in WeightDecayScope.allCases { #expect(rule.problem(with: scope.rawValue) == nil) }
    #expect(rule.problem(with: "nonorm") == "one of all, weights, no-norm")
  }

  @Test func negativeNonFiniteAndOverflowingValuesAreRefusedNamingTheOption() {
    let train = TrainingOptions.schema
    let measure = MeasurementOptions.schema
    let refused: [(OptionRule, String)] = [
      (train["weight-decay"], "-1"), (train["weight-decay"], "nan"), (train["weight-decay"], "inf"),
      (train["lr"], "0"), (train["drop-path"], "1"), (train["epochs"], "-1"),
      (train["batch-size"], "0"), (train["blocks"], "9999999999"),
      (measure["inputs"], "9223372036854775807"), (measure["inputs"], "9223372036854775808"),
      (measure["iterations"], "1001"), (measure["nc-memory-budget"], "-0.5"),
      (train["classes"], "0,-1"), (train["data"], "a\nb"),
    ]
    for (rule, value) in refused {
      #expect(rule.problem(with: value) != nil, "\(rule.flag) \(value)")
      #expect(throws: OptionError.self) { try rule.check(value) }
      do { try rule.check(value) } catch {
        #expect(error.description.hasPrefix("\(rule.flag) must be"))
        #expect(error.description.contains(String(value.prefix(10))))
      }
    }
    let accepted: [(OptionRule, String)] = [
      (train["weight-decay"], "0"), (train["weight-decay"], "1e-2"), (train["lr"], "0.1"),
      (train["drop-path"], "0"), (train["drop-path"], "0.3"), (train["epochs"], "0"),
      (measure["iterations"], "0"), (measure["iterations"], "1000"), (train["classes"], "0, 6"),
      (measure["nc-precision"], "double"), (train["labels"], "coarse"),
    ]
    for (rule, value) in accepted {
      #expect(rule.problem(with: value) == nil, "\(rule.flag) \(value)")
    }
  }

  @Test func typedChecksAgreeWithTheTextChecks() throws {
    let rule = TrainingOptions.schema["weight-decay"]
    try rule.check(0.01)
    #expect(throws: OptionError.self) { try rule.check(-0.01) }
    #expect(throws: OptionError.self) { try rule.check(Double.nan) }
    let inputs = MeasurementOptions.schema["inputs"]
    try inputs.check(20)
    #expect(throws: OptionError.self) { try inputs.check(Int.max) }
  }

  @Test func specKeysAreTheOptionNamesWithUnderscores() {
    #expect(
      TrainingOptions.schema.rule(specKey: "weight_decay_scope")?.name == "weight-decay-scope")
    #expect(
      MeasurementOptions.schema.rule(specKey: "nc_memory_budget")?.flag == "--nc-memory-budget")
    #expect(TrainingOptions.schema.rule(specKey: "weight-decay") == nil)
  }

  @Test func seedsTakeEveryUnsigned64BitValueAndNoOther() {
    let rule = TrainingOptions.schema["seed"]
    #expect(rule.problem(with: "18446744073709551615") == nil)
    #expect(rule.problem(with: "18446744073709551616") != nil)
    #expect(rule.problem(with: "-1") != nil)
  }
}
