import ArgumentParser
import Foundation
import Testing

@testable import UJM
@testable import UJMCommandLine

@Suite("ujm solve --classes and --hessian: options, exit codes, JSON (issue 17)", .serialized)
struct MulticlassSolveCommandTests {
  static let base = ["solve", "--L", "2", "--lambda", "0.1", "--D", "4"]

  @Test(arguments: [
    ["--classes", "1"], ["--classes", "0"], ["--classes", "-2"], ["--classes", "1001"],
    ["--classes", "three"], ["--classes", "3", "--examples-per-class", "0"],
    ["--classes", "3", "--examples-per-class", "10001"], ["--classes", "3", "--starts", "0"],
    ["--classes", "3", "--starts", "101"], ["--examples-per-class", "2"], ["--starts", "2"],
    ["--classes", "3", "--label", "1"], ["--classes", "3", "--dx", "/nonexistent.npy"],
  ])
  func badMulticlassArgumentsExit64(arguments: [String]) {
    #expect(exitCode(of: Self.base + arguments) == 64, "\(arguments)")
  }

  @Test func messagesNameTheOption() {
    func line(_ extra: [String]) -> String {
      let arguments = Self.base + extra
      do {
        _ = try UJMCommand.parseAsRoot(arguments)
        return ""
      } catch {
        return UJMCommand.errorLine(for: error, arguments: arguments)
      }
    }
    #expect(line(["--classes", "1"]).contains("--classes must be in 2…1000 (got 1)"))
    #expect(line(["--classes", "3", "--starts", "0"]).contains("--starts must be in 1…100"))
    #expect(line(["--starts", "2"]).contains("--starts needs --classes"))
    #expect(line(["--classes", "3", "--label", "-1"]).contains("--label"))
  }

  @Test func aSmallMulticlassSolveConvergesAndPasses() {
    #expect(exitCode(of: Self.base + ["--classes", "3", "--starts", "2"]) == 0)
  }

  @Test func aPerturbedMulticlassOptimumExitsOne() {
    #expect(exitCode(of: Self.base + ["--classes", "3", "--perturb", "1e-2"]) == 1)
  }

  @Test func theJSONHasTheMulticlassAndHessianObjects() throws {
    let problem = MulticlassProblem(
      classes: 3, examplesPerClass: 2, dimension: 6, depth: 2, lambda: 0.05, seed: 1, starts: 2)
    let (report, _) = try MulticlassSolveRun(
      problem: problem, algorithm: .lbfgs, test: ConvergenceTest(), hessian: true
    ).run()
    let object = try #require(
      try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
    let multiclass = try #require(object["multiclass"] as? [String: Any])
    #expect(multiclass["rank_bound"] as? Int == 2)
    #expect((multiclass["blocks"] as? [[String: Any]])?.count == 2)
    #expect(multiclass["binary_optimum"] is NSNull)
    let hessian = try #require(object["hessian"] as? [String: Any])
    #expect(hessian["method"] as? String == "dense")
    #expect(hessian["verdict"] as? String == "strict local minimum")
    #expect((object["starts"] as? [Any])?.count == 2)
    let text = MulticlassReportFormatter.text(report)
    #expect(text.contains("rank ≤ C−1") && text.contains("verdict: strict local minimum"))
  }

  @Test func withoutHessianTheKeyIsNull() throws {
    let problem = MulticlassProblem(
      classes: 2, examplesPerClass: 1, dimension: 3, depth: 1, lambda: 0.1, seed: 0, starts: 1)
    let (report, _) = try MulticlassSolveRun(
      problem: problem, algorithm: .lbfgs, test: ConvergenceTest()
    ).run()
    let object = try #require(
      try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
    #expect(object["hessian"] is NSNull)
  }

  @Test func theBinarySolveReportsItsHessian() throws {
    let problem = DefaultProblem(depth: 2, lambda: 0.1, dimension: 4, label: 1, seed: 0)
    let (report, _) = try UJMSolveRun(
      problem: problem, algorithm: .lbfgs, test: ConvergenceTest(), hessian: true
    ).run()
    let h = try #require(report.hessian)
    #expect(h.verdict == "strict local minimum" && h.parameters == 36)
    #expect(SolveReportFormatter.text(report).contains("verdict: strict local minimum"))
    let object = try #require(
      try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
    #expect(object["hessian"] is [String: Any])
  }
}
