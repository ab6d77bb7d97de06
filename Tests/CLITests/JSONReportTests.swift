import ArgumentParser
import Empirical
import Foundation
import LinearAlgebra
import Testing

@testable import UJM
@testable import UJMCommandLine

/// Parses `text` strictly (Foundation's parser has no NaN or Infinity tokens) and fails on the
/// strings other encoders use for non-finite numbers.
private func parseStrictly(_ text: String) throws -> Any {
  for token in ["\"nan\"", "\"inf\"", "\"-inf\"", "NaN", "Infinity"] {
    #expect(!text.contains(token), "\(token) in \(text)")
  }
  return try JSONSerialization.jsonObject(with: Data(text.utf8))
}

@Suite("One JSON encoder: non-finite numbers are null, every report parses strictly (issue 10)")
struct JSONReportTests {
  @Test func nonFiniteNumbersAreNullAndKeysAreSorted() throws {
    struct Sample: Encodable {
      var b = Double.nan
      var a = [1.0, .infinity, -.infinity]
      var path = "a/b"
    }
    let text = try jsonLine(Sample())
    #expect(text == #"{"a":[1,null,null],"b":null,"path":"a/b"}"#)
    _ = try parseStrictly(text)
  }

  @Test func everyReportTypeWithNonFiniteValuesParsesStrictly() throws {
    let solve = SolveReport(
      L: 2, lambda: 1e100, D: 4, label: 1, seed: 0, algorithm: "lbfgs", dx_norm: 1,
      objective: .infinity,
      reduced: .init(objective: .nan, s: 0, t: 0, gradient_norm: .nan), gap: .nan,
      gradient_norm: .infinity, iterations: 1, evaluations: 1, restarts: 0, polish_iterations: 0,
      stopReason: .nonFinite, seconds: 0, perturb: 0,
      checks: [CheckResult(name: "gap", measured: .nan, tolerance: 1e-9)],
      blas: BLASEnvironment.current)
    let verify = try VerifyReportFormatter.json(
      seed: 0,
      checks: [
        ProofCheck(
          name: "x", theorem: "3.3", step: "s", kind: .sampled, cases: 1, measured: .nan,
          tolerance: 1e-9, note: "")
      ])
    let rsvd = RSVDCommand.Report(
      singular_values: [.infinity, 1], error_estimate: .nan, seconds: 0, rank: 2,
      oversampling: 10, iterations: 20, seed: 0, precision: "double")
    let evaluate = EvaluationReport(
      testAccuracy: .nan, testLoss: .infinity, trainAccuracy: 0, trainLoss: .nan, arch: "x",
      seconds: .nan)
    let train = TrainSummary(
      type: "4a", epochs: 0, steps: 0, seconds: 0, samplesPerSecond: .nan, testAccuracy: .nan,
      testLoss: .infinity, checkpoint: "c", weightDecayScope: "all", changedHyperparameters: [])
    let texts = [
      String(decoding: try solve.jsonData(), as: UTF8.self), verify, try jsonLine(rsvd),
      try jsonLine(evaluate), try jsonLine(train),
    ]
    for text in texts {
      let object = try #require(try parseStrictly(text) as? [String: Any])
      #expect(!object.isEmpty)
    }
    let solveObject = try parseStrictly(texts[0]) as! [String: Any]
    #expect(solveObject["objective"] is NSNull && solveObject["gap"] is NSNull)
  }

  @Test func aSolveWhoseChecksAreNotFinitePrintsStrictJSON() throws {
    // A perturbation of 1e300 (refused by `ujm solve --perturb`, issue 19, but the library's
    // report must still encode it) moves the optimum so far that F and the gap overflow.
    let command = try UJMCommand.parseAsRoot(
      ["solve", "--L", "2", "--lambda", "0.1", "--D", "4", "--json"])
    let solve = try #require(command as? Solve)
    let options = try SolveOptions(
      depth: solve.depth, lambda: solve.lambda, dimension: solve.dimension, label: solve.label ?? 1,
      dxFile: nil, algorithm: solve.algorithm, gradientTolerance: solve.gradientTolerance,
      maxIterations: solve.maxIterations, step: solve.step, seed: 0, perturb: 0)
    let (report, _) = try UJMSolveRun(
      problem: options.problem(), algorithm: options.algorithm,
      test: ConvergenceTest(gradientTolerance: 1e-9, maxIterations: 100_000),
      perturbation: 1e300
    ).run()
    print("perturbed by 1e300: objective \(report.objective), gap \(report.gap)")
    #expect(!report.objective.isFinite || !report.gap.isFinite)
    let object = try #require(
      try parseStrictly(String(decoding: try report.jsonData(), as: UTF8.self)) as? [String: Any])
    let checks = try #require(object["checks"] as? [[String: Any]])
    #expect(checks.contains { $0["measured"] is NSNull })
  }
}
