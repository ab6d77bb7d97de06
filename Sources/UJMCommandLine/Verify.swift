import ArgumentParser
import Foundation
import LinearAlgebra
import UJM

/// `ujm verify`: the executable proofs of Theorem 3.1 and of every step of Theorem 3.3's proof.
struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check Theorem 3.1 and every step of the proof of Theorem 3.3 (appendices A, B).",
    discussion: """
      Exact checks decide their claim in rational arithmetic (measured: failing cases, \
      tolerance 0); sampled checks evaluate it in floating point over seeded random cases \
      (measured: worst margin or relative error). With --counterexamples every verifier runs on \
      its counterexample instead and must fail there ("detected"). Exit status: 0 when every \
      check passes (every counterexample is detected), 1 otherwise, 64 for a usage error.
      """)

  @Option(
    name: .customLong("theorem"),
    help: "3.1, 3.3, multiclass (beyond the paper: rank ≤ C−1) or all.")
  var theorem: TheoremChoice = .all

  @Option(
    name: .customLong("up-to"), parsing: .unconditional,
    help: "Largest k of Theorem 3.1's checks (≥ 1; the typo check stops at 1000).")
  var upTo: Int = 1000

  @Option(
    name: .customLong("cases"), parsing: .unconditional,
    help: "Random cases of the sampled checks (exact checks run a fraction of it; ≥ 1).")
  var cases: Int = 1000

  @OptionGroup var seedOption: SeedOption

  @Flag(
    name: .customLong("counterexamples"),
    help: "Run each verifier on its counterexample; it must be detected (fail).")
  var counterexamples = false

  @OptionGroup var jsonOption: JSONOption

  func validate() throws {
    guard upTo >= 1 else { throw ValidationError("--up-to must be at least 1 (got \(upTo))") }
    guard cases >= 1 else { throw ValidationError("--cases must be at least 1 (got \(cases))") }
    if let refusal = ProofConfiguration.refusal(upTo: upTo, cases: cases) {
      throw ValidationError(refusal)
    }
  }

  var configuration: ProofConfiguration {
    ProofConfiguration(upTo: upTo, cases: cases, seed: seedOption.seed)
  }

  func run() throws {
    var outcome: VerifyOutcome?
    try reportingUsageErrors(command: "verify") { outcome = try self.outcome() }
    guard let outcome else { return }
    print(outcome.text)
    if !outcome.succeeded { throw ExitCode(1) }
  }

  /// Runs the checks (a line per check on stderr) and formats the report.
  func outcome(progress: Bool = true) throws -> VerifyOutcome {
    let clock = ContinuousClock()
    let start = clock.now
    let checks = ExecutableProofs.run(
      theorem: theorem.theorem, configuration: configuration, counterexamples: counterexamples
    ) { index, count, name in
      guard progress else { return }
      printError(
        "ujm verify: check \(index + 1)/\(count) \(name) "
          + "(\(String(format: "%.1f", (clock.now - start).secondsValue)) s elapsed)")
    }
    let succeeded = checks.allSatisfy { counterexamples ? $0.detected == true : $0.passed }
    let text =
      jsonOption.json
      ? try VerifyReportFormatter.json(seed: seedOption.seed, checks: checks)
      : VerifyReportFormatter.text(
        checks, configuration: configuration, counterexamples: counterexamples)
    return VerifyOutcome(checks: checks, text: text, succeeded: succeeded)
  }
}

/// `--theorem`: which theorem's checks run.
enum TheoremChoice: String, ExpressibleByArgument, CaseIterable {
  case theorem31 = "3.1"
  case theorem33 = "3.3"
  /// Beyond the paper: the multi-class UJM's rank bound.
  case multiclass
  case all

  /// The theorem's number, or nil for all.
  var theorem: String? { self == .all ? nil : rawValue }
}

/// What `ujm verify` printed and whether it succeeded.
struct VerifyOutcome {
  var checks: [ProofCheck]
  var text: String
  var succeeded: Bool
}

/// The human-readable table and the JSON of a `ujm verify` run.
enum VerifyReportFormatter {
  /// The JSON report `{seed, checks: [{name, theorem, step, kind, cases, measured, tolerance,
  /// passed, note[, detected]}]}`.
  static func json(seed: UInt64, checks: [ProofCheck]) throws -> String {
    struct Report: Encodable {
      var seed: UInt64
      var checks: [ProofCheck]
    }
    return try ReportJSON.string(Report(seed: seed, checks: checks), pretty: true)
  }

  /// One line per check: id, theorem, step, kind, cases, measured, tolerance, verdict, note.
  static func text(
    _ checks: [ProofCheck], configuration: ProofConfiguration, counterexamples: Bool
  ) -> String {
    var lines = [
      "ujm verify — seed \(configuration.seed), up-to \(configuration.upTo), "
        + "cases \(configuration.cases)"
        + (counterexamples ? ", counterexamples (each must be detected)" : ""),
      "",
    ]
    let header = [
      pad("id", 24), pad("thm", 4), pad("step", 48), pad("kind", 8), pad("cases", 7, right: true),
      pad("measured", 10, right: true), pad("tolerance", 10, right: true),
      pad(counterexamples ? "verdict" : "result", 13), "note",
    ]
    lines.append(header.joined(separator: " "))
    for c in checks {
      let verdict =
        counterexamples
        ? (c.detected == true ? "detected" : "NOT DETECTED") : (c.passed ? "pass" : "FAIL")
      lines.append(
        [
          pad(c.name, 24), pad(c.theorem, 4), pad(c.step, 48), pad(c.kind.rawValue, 8),
          pad("\(c.cases)", 7, right: true),
          pad(format(c.measured, exact: c.kind == .exact), 10, right: true),
          pad(format(c.tolerance, exact: c.kind == .exact), 10, right: true), pad(verdict, 13),
          c.note,
        ].joined(separator: " "))
      if let shrunk = c.counterexample {
        lines.append(
          "  shrunk: smallest detected run --cases \(shrunk.cases) --up-to \(shrunk.up_to): "
            + shrunk.note)
      }
    }
    let good = checks.filter { counterexamples ? $0.detected == true : $0.passed }.count
    lines.append("")
    lines.append(
      counterexamples
        ? "\(good) of \(checks.count) counterexamples detected"
        : "\(good) of \(checks.count) checks passed")
    return lines.joined(separator: "\n")
  }

  /// Exact checks print their integer count; sampled ones scientific notation.
  static func format(_ x: Double, exact: Bool) -> String {
    exact && x.isFinite && x == x.rounded() ? "\(Int(x))" : formatScientific(x)
  }

  static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let n = s.count
    if n >= width { return s }
    let fill = String(repeating: " ", count: width - n)
    return right ? fill + s : s + fill
  }
}
