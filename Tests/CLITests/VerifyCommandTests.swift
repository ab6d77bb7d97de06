import ArgumentParser
import Foundation
import Testing

@testable import UJM
@testable import UJMCommandLine

@Suite("ujm verify: options, exit codes and JSON report", .serialized)
struct VerifyCommandTests {
  /// Parses `arguments` after `verify` as the root command would.
  func parse(_ arguments: [String]) throws -> Verify {
    let command = try UJMCommand.parseAsRoot(["verify"] + arguments)
    return try #require(command as? Verify)
  }

  /// The exit code `run()` ends with (0 when it returns normally).
  func exitCode(_ arguments: [String]) throws -> Int32 {
    do {
      var command = try UJMCommand.parseAsRoot(["verify"] + arguments)
      try command.run()
      return 0
    } catch {
      return UJMCommand.exitCode(for: error).rawValue
    }
  }

  @Test(arguments: [
    ["--up-to", "0"], ["--cases", "-1"], ["--theorem", "4"], ["--seed", "-3"],
    ["--up-to", "ten"],
  ])
  func badArgumentsExitWithUsageCode(arguments: [String]) throws {
    #expect(try exitCode(arguments) == 64)
  }

  @Test func badArgumentMessageNamesTheOption() throws {
    let arguments = ["verify", "--cases", "-1"]
    do {
      _ = try UJMCommand.parseAsRoot(arguments)
      Issue.record("--cases -1 was accepted")
    } catch {
      let line = UJMCommand.errorLine(for: error, arguments: arguments)
      print(line)
      #expect(line.hasPrefix("ujm verify: error: --cases"))
    }
  }

  @Test func defaultsAreTheIssues() throws {
    let command = try parse([])
    #expect(command.theorem == .all && command.upTo == 1000 && command.cases == 1000)
    #expect(command.seedOption.seed == 0 && !command.counterexamples && !command.jsonOption.json)
  }

  @Test func jsonReportHasTheIssuesFields() throws {
    let outcome = try parse(["--theorem", "3.1", "--up-to", "20", "--cases", "30", "--json"])
      .outcome()
    #expect(outcome.succeeded)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(outcome.text.utf8)) as? [String: Any])
    #expect(Set(object.keys) == ["seed", "checks"])
    #expect(object["seed"] as? Int == 0)
    let checks = try #require(object["checks"] as? [[String: Any]])
    #expect(
      checks.map { $0["name"] as? String } == [
        "thm3.1.product", "thm3.1.implication", "thm3.1.typo",
      ])
    for check in checks {
      #expect(
        Set(check.keys) == [
          "name", "theorem", "step", "kind", "cases", "measured", "tolerance", "passed", "note",
        ])
      #expect(check["passed"] as? Bool == true)
      #expect(check["kind"] as? String == "exact")
    }
    #expect(checks[0]["cases"] as? Int == 20)
  }

  @Test func counterexampleModeMarksEachCheckDetected() throws {
    let outcome = try parse([
      "--theorem", "3.3", "--up-to", "5", "--cases", "20", "--seed", "4", "--counterexamples",
      "--json",
    ]).outcome()
    #expect(outcome.succeeded)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(outcome.text.utf8)) as? [String: Any])
    #expect(object["seed"] as? Int == 4)
    let checks = try #require(object["checks"] as? [[String: Any]])
    #expect(checks.count == 8)
    for check in checks {
      #expect(check["detected"] as? Bool == true, "\(check["name"] ?? "?")")
      #expect(check["passed"] as? Bool == false)
    }
  }

  @Test func humanReportHasALinePerCheckWithVerdict() throws {
    let outcome = try parse(["--up-to", "10", "--cases", "20", "--seed", "2"]).outcome()
    #expect(outcome.succeeded)
    let lines = outcome.text.split(separator: "\n")
    #expect(lines[0].contains("seed 2"))
    for step in ExecutableProofs.steps {
      let line = try #require(lines.first { $0.hasPrefix(step.name + " ") })
      #expect(line.contains(" pass "), "\(line)")
    }
    #expect(lines.last == "12 of 12 checks passed")
  }

  @Test func passingRunExitsZeroAndDetectedCounterexamplesExitZero() throws {
    #expect(try exitCode(["--theorem", "3.1", "--up-to", "30", "--cases", "10"]) == 0)
    #expect(
      try exitCode(["--theorem", "3.1", "--up-to", "30", "--cases", "10", "--counterexamples"])
        == 0)
  }

  @Test func undetectedCounterexampleExitsOne() throws {
    // With k ≤ 2 there is one block only: a per-block rotation (no RA2) and the typo's
    // equal-spacing claim cannot be refuted there, so those counterexamples go undetected.
    #expect(try exitCode(["--theorem", "3.1", "--up-to", "2", "--counterexamples"]) == 1)
  }
}
