import ArgumentParser
import Foundation
import LinearAlgebra
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

  @Test func problemsThatCannotFitExit64NamingTheOptions() {
    // Refused before any allocation: 10⁷ inputs, and a Hessian of 4.2 million parameters.
    #expect(
      exitCode(of: [
        "solve", "--classes", "1000", "--examples-per-class", "10000", "--L", "16", "--lambda", "1",
      ]) == 64)
    #expect(
      exitCode(of: ["solve", "--L", "16", "--lambda", "1", "--D", "512", "--hessian"]) == 64)
    #expect(
      SolveMemory.bytes(parameters: 468, workspace: 4 * 12 * 6, hessian: true)
        < SolveMemory.bytes(parameters: 468, workspace: 4 * 12 * 6, hessian: false) + 3e6)
    do {
      try SolveMemory.check(parameters: 2_000_000, workspace: 0, hessian: true, options: "x")
      Issue.record("a 2-million-parameter Hessian was accepted")
    } catch {
      #expect(error.message.hasPrefix("--hessian supports at most 1000000 parameters"))
    }
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

/// A 1-D .npy of int64 labels.
func int64LabelFile(_ labels: [Int64]) -> String {
  var header = "{'descr': '<i8', 'fortran_order': False, 'shape': (\(labels.count),), }"
  while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
  header += "\n"
  var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
  bytes += [UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
  bytes += Array(header.utf8)
  for v in labels { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
  return temporaryFile(Data(bytes))
}

@Suite("ujm solve --inputs X.npy --labels y.npy (issue 17)", .serialized)
struct MulticlassInputFileTests {
  static let base = ["solve", "--L", "2", "--lambda", "0.1"]
  /// Four inputs of width 3, one row each.
  static let inputs = temporaryFile(
    NumPyArray(shape: [4, 3], values: [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0]).npyData)

  func line(_ extra: [String]) -> (code: Int32, message: String) {
    let arguments = Self.base + extra
    do {
      var command = try UJMCommand.parseAsRoot(arguments)
      try command.run()
      return (0, "")
    } catch {
      return (
        UJMCommand.exitCode(for: error).rawValue,
        UJMCommand.errorLine(for: error, arguments: arguments)
      )
    }
  }

  @Test func integerLabelsSetTheClassesAndTheSolvePasses() throws {
    let labels = int64LabelFile([0, 1, 2, 1])
    #expect(try MulticlassInputFiles.readLabels(labels) == [0, 1, 2, 1])
    let (x, y, c) = try MulticlassInputFiles.read(inputs: Self.inputs, labels: labels, classes: nil)
    #expect(x.rows == 3 && x.columns == 4 && y == [0, 1, 2, 1] && c == 3)
    #expect(x.column(3) == [1, 1, 0])
    #expect(line(["--inputs", Self.inputs, "--labels", labels, "--starts", "2"]).code == 0)
  }

  @Test func floatLabelsThatAreWholeNumbersAreAccepted() throws {
    let labels = temporaryFile(NumPyArray(vector: [0, 1, 1, 0]).npyData)
    #expect(try MulticlassInputFiles.readLabels(labels) == [0, 1, 1, 0])
  }

  @Test func hostileFilesExit64NamingTheOptionAndFile() {
    let labels = int64LabelFile([0, 1, 2, 1])
    let cases: [([String], String)] = [
      (["--inputs", Self.inputs], "--inputs needs --labels"),
      (["--labels", labels], "--labels needs --inputs"),
      (["--inputs", "/nonexistent/X.npy", "--labels", labels], "--inputs /nonexistent/X.npy"),
      (["--inputs", Self.inputs, "--labels", "/nonexistent/y.npy"], "--labels /nonexistent/y.npy"),
      (["--inputs", Self.inputs, "--labels", int64LabelFile([0, 1, 2])], "has 3 labels"),
      (["--inputs", Self.inputs, "--labels", int64LabelFile([0, 1, -1, 1])], "is negative"),
      (["--inputs", Self.inputs, "--labels", int64LabelFile([0, 0, 0, 0])], "two classes"),
      (
        ["--inputs", Self.inputs, "--labels", labels, "--classes", "2"],
        "is not below --classes 2"
      ),
      (
        [
          "--inputs", Self.inputs, "--labels",
          temporaryFile(NumPyArray(vector: [0, 1.5, 1, 0]).npyData),
        ],
        "not a whole-number label"
      ),
      (
        ["--inputs", temporaryFile(NumPyArray(vector: [1, 2, 3, 4]).npyData), "--labels", labels],
        "expected an N×D array"
      ),
      (
        [
          "--inputs", temporaryFile(NumPyArray(shape: [4, 1], values: [1, .nan, 0, 1]).npyData),
          "--labels", labels,
        ], "NaN"
      ),
      (["--inputs", Self.inputs, "--labels", Self.inputs], "expected a 1-D array"),
      (["--inputs", Self.inputs, "--labels", temporaryFile(Data("hello".utf8))], "not a .npy"),
      (["--inputs", Self.inputs, "--labels", labels, "--D", "3"], "--D is set by --inputs"),
      (
        ["--inputs", Self.inputs, "--labels", labels, "--examples-per-class", "2"],
        "--examples-per-class"
      ),
    ]
    for (extra, expected) in cases {
      var (code, message) = line(extra)
      #expect(code == 64, "\(extra): exit \(code)")
      if message == "ujm solve: error: " {
        // A file problem is found while running (printed to stderr): read the files directly.
        func value(_ option: String) -> String? {
          extra.firstIndex(of: option).map { extra[$0 + 1] }
        }
        do {
          _ = try MulticlassInputFiles.read(
            inputs: value("--inputs")!, labels: value("--labels")!,
            classes: value("--classes").flatMap { Int($0) })
        } catch let error as UsageError {
          message = error.message
        } catch {
          message = "\(error)"
        }
      }
      #expect(message.contains(expected), "\(extra): \(message)")
    }
  }

  @Test func saveOptimumWritesTheReturnedPoint() throws {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("ujm-optimum-\(UUID().uuidString).npy").path
    #expect(
      line(["--D", "3", "--classes", "3", "--starts", "1", "--save-optimum", path]).code == 0)
    let x = try NumPyArray(contentsOf: URL(fileURLWithPath: path))
    #expect(x.shape == [2 * 9 + 3 * 3])
  }
}

@Suite("ujm verify --counterexamples --json: shrunk runs (issue 17)", .serialized)
struct VerifyShrinkingCommandTests {
  @Test func eachCheckCarriesItsShrunkRun() throws {
    let command = try #require(
      try UJMCommand.parseAsRoot([
        "verify", "--theorem", "multiclass", "--cases", "30", "--counterexamples", "--json",
      ]) as? Verify)
    let outcome = try command.outcome(progress: false)
    #expect(outcome.succeeded)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(outcome.text.utf8)) as? [String: Any])
    let check = try #require((object["checks"] as? [[String: Any]])?.first)
    #expect(check["shrunk"] as? Bool == true)
    let shrunk = try #require(check["counterexample"] as? [String: Any])
    #expect(shrunk["cases"] as? Int == 1 && shrunk["up_to"] as? Int == 1)
    #expect((shrunk["command"] as? String)?.hasPrefix("ujm verify --theorem multiclass") == true)
  }
}
