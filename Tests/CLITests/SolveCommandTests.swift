import ArgumentParser
import Foundation
import LinearAlgebra
import Testing

@testable import UJMCommandLine

/// Parses and runs `ujm` in-process; returns the exit code (0 when `run()` returned normally).
func exitCode(of arguments: [String]) -> Int32 {
  do {
    var command = try UJMCommand.parseAsRoot(arguments)
    try command.run()
    return 0
  } catch {
    return UJMCommand.exitCode(for: error).rawValue
  }
}

/// A temporary file with the given bytes.
func temporaryFile(_ bytes: Data, suffix: String = ".npy") -> String {
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("ujm-test-\(UUID().uuidString)\(suffix)").path
  FileManager.default.createFile(atPath: path, contents: bytes)
  return path
}

@Suite("ujm solve: bad input exits 64 with a message naming the problem", .serialized)
struct SolveBadInputTests {
  static let base = ["solve", "--L", "2", "--lambda", "0.1", "--D", "4"]

  @Test(arguments: [
    ["solve", "--L", "0", "--lambda", "0.01"],
    ["solve", "--L", "-3", "--lambda", "0.01"],
    ["solve", "--L", "abc", "--lambda", "0.01"],
    ["solve", "--L", "2", "--lambda", "0"],
    ["solve", "--L", "2", "--lambda", "-1"],
    ["solve", "--L", "2", "--lambda", "nan"],
    ["solve", "--L", "2", "--lambda", "inf"],
    ["solve", "--L", "2", "--lambda", "0.01", "--D", "0"],
    ["solve", "--L", "16", "--lambda", "0.01", "--D", "1000000"],
    ["solve", "--L", "2", "--lambda", "0.01", "--label", "2"],
    ["solve", "--L", "2", "--lambda", "0.01", "--gradient-tolerance", "0"],
    ["solve", "--L", "2", "--lambda", "0.01", "--algorithm", "newton"],
    ["solve", "--L", "2", "--lambda", "0.01", "--dx", "/nonexistent/dx.npy"],
    ["solve", "--lambda", "0.01"],
  ])
  func badArgumentsExitWithUsageError(arguments: [String]) {
    #expect(exitCode(of: arguments) == 64, "\(arguments)")
  }

  @Test func messagesNameTheOptionAndSayWhy() throws {
    func message(_ args: [String]) throws -> String {
      do {
        _ = try UJMCommand.parseAsRoot(args)
        return ""
      } catch {
        let line = UJMCommand.errorLine(for: error, arguments: args)
        print(line)
        #expect(line.hasPrefix("ujm solve: error: "))
        return String(line.dropFirst("ujm solve: error: ".count))
      }
    }
    #expect(try message(["solve", "--L", "2", "--lambda", "1e-301"]).hasPrefix("--lambda"))
    #expect(
      try message(["solve", "--L", "2", "--lambda", "1", "--step", "0.1"]).hasPrefix("--step"))
    #expect(try message(["solve", "--L", "x", "--lambda", "1"]).contains("--L"))
    #expect(
      try message(["solve", "--L", "2", "--lambda", "1", "--algorithm", "newton"]).contains("lbfgs")
    )
    #expect(
      try message(["solve", "--L", "2", "--lambda", "0"]).contains("infimum is not attained"))
    #expect(try message(["solve", "--L", "-3", "--lambda", "1"]).hasPrefix("--L"))
    #expect(
      try message(["solve", "--L", "2", "--lambda", "1", "--label", "-2"]).hasPrefix("--label"))
    let memory = try message(["solve", "--L", "16", "--lambda", "1", "--D", "1000000"])
    #expect(memory.hasPrefix("--D 1000000") && memory.contains("GiB"))
  }

  @Test func badDxFilesAreRejected() throws {
    var dxOK = NumPyArray(vector: [1, 2, 3]).npyData
    let truncated = Data(dxOK.dropLast(4))
    dxOK[dxOK.count - 1] = 0x7F  // still fine: last byte of a finite double
    let cases: [(String, Data)] = [
      ("empty", Data()),
      ("truncated", truncated),
      ("nan", NumPyArray(vector: [1, .nan, 3]).npyData),
      ("zeros", NumPyArray(vector: [0, 0, 0]).npyData),
      ("matrix", NumPyArray(shape: [2, 2], values: [1, 2, 3, 4]).npyData),
      ("text with a word", Data("1 2 three".utf8)),
      ("text nan", Data("1 nan 2".utf8)),
    ]
    for (label, data) in cases {
      let path = temporaryFile(data)
      defer { try? FileManager.default.removeItem(atPath: path) }
      #expect(
        exitCode(of: ["solve", "--L", "2", "--lambda", "0.1", "--dx", path]) == 64, "\(label)")
    }
    // Wrong length: --D disagrees with the file.
    let path = temporaryFile(NumPyArray(vector: [1, 2, 3]).npyData)
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(exitCode(of: ["solve", "--L", "2", "--lambda", "0.1", "--D", "4", "--dx", path]) == 64)
  }
}

@Suite("ujm solve: runs in-process", .serialized)
struct SolveRunTests {
  @Test func smallDefaultProblemConvergesAndPasses() {
    #expect(exitCode(of: ["solve", "--L", "3", "--lambda", "0.05", "--D", "6", "--json"]) == 0)
  }

  @Test func negativeLabelParsesAndPasses() {
    #expect(
      exitCode(of: ["solve", "--L", "3", "--lambda", "0.05", "--D", "6", "--label", "-1"]) == 0)
  }

  @Test func perturbedOptimumExitsOne() {
    #expect(
      exitCode(of: ["solve", "--L", "3", "--lambda", "0.05", "--D", "6", "--perturb", "1e-3"]) == 1)
  }

  @Test func dxFromTextFileSetsD() throws {
    let path = temporaryFile(Data("0.3 -0.1\n0.2 0.05 0.4".utf8), suffix: ".txt")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let out = path + ".json"
    defer { try? FileManager.default.removeItem(atPath: out) }
    #expect(
      exitCode(of: ["solve", "--L", "2", "--lambda", "0.05", "--dx", path, "--output", out]) == 0)
    let json =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out)))
      as! [String: Any]
    #expect(json["D"] as? Int == 5)
    for key in [
      "L", "lambda", "D", "label", "seed", "algorithm", "dx_norm", "objective", "reduced", "gap",
      "gradient_norm", "iterations", "evaluations", "stop_reason", "seconds", "checks", "blas",
    ] {
      #expect(json[key] != nil, "missing \(key)")
    }
  }
}
