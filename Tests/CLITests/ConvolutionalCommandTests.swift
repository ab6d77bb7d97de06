import ArgumentParser
import Empirical
import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import UJMCommandLine

private func run(_ arguments: [String]) -> (code: Int32, message: String) {
  do {
    var command = try UJMCommand.parseAsRoot(arguments)
    try command.run()
    return (0, "")
  } catch {
    return (UJMCommand.exitCode(for: error).rawValue, UJMCommand.message(for: error))
  }
}

private func measure(_ arguments: [String]) throws -> String {
  let command = try UJMCommand.parseAsRoot(["measure"] + arguments)
  return try (command as! Measure).execute()
}

/// 8×8 grey images of 3 classes: a Type 5a/5b/3 network reads them unpadded (stem to 4×4).
private func dataDirectory() -> String {
  let directory = temporaryDirectory("conv-cli-data")
  writeSyntheticImageData(to: directory, train: 48, test: 12, side: 8, classes: 3)
  return directory
}

@Suite("ujm train/evaluate/measure on convolutional types", .serialized)
struct ConvolutionalCommandTests {
  @Test(arguments: [
    (["--type", "5a", "--width", "8"], "--width"), (["--type", "2", "--blocks", "3"], "--blocks"),
    (["--type", "5b", "--drop-path", "0.1"], "--drop-path"), (["--type", "6"], "--type"),
  ])
  func badArgumentsExit64NamingTheArgument(arguments: [String], option: String) {
    let (code, message) = run(["train", "--epochs", "1"] + arguments)
    print("train \(arguments.joined(separator: " ")): exit \(code), \(message)")
    #expect(code == 64 && message.contains(option))
  }

  @Test func type5aTrainsEvaluatesAndMeasures() throws {
    let data = dataDirectory()
    let output = (temporaryDirectory("conv-cli-run") as NSString).appendingPathComponent("5a")
    let trained = run([
      "train", "--type", "5a", "--epochs", "1", "--max-steps", "2", "--batch-size", "16",
      "--classes", "0,1,2", "--data", data, "--output", output, "--json",
    ])
    #expect(trained.code == 0, "\(trained.message)")
    let checkpoint = (output as NSString).appendingPathComponent("checkpoint.safetensors")
    let loaded = try Checkpoint(contentsOf: checkpoint)
    #expect(loaded.network.convolutional?.depth == 8 && loaded.network.skips)
    #expect(run(["evaluate", "--checkpoint", output, "--data", data, "--json"]).code == 0)
    // Three classes: compare needs --classes (conv compare itself: CompareCommandTests).
    let compare = run(["compare", "--checkpoint", output, "--data", data])
    print("compare on a 3-class conv checkpoint without --classes: exit \(compare.code)")
    #expect(compare.code == 64)  // the one-line message goes to stderr
    let text = try measure([
      "--checkpoint", output, "--data", data, "--inputs", "3", "--rank", "2",
      "--nc-examples", "24", "--json",
    ])
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    let blocks = object["blocks"] as! [[String: Any]]
    let ra4 = object["ra4"] as! [String: Any]
    print(
      "5a: \(blocks.count) blocks, RA4 live \(ra4["live_blocks"]!), excluded \(ra4["excluded_blocks"]!)"
    )
    #expect(blocks.count == 8 && (ra4["excluded_blocks"] as! [Int]).isEmpty)
    #expect(object["nc"] != nil)
  }

  /// `--iterations T` is Algorithm 971's T: recorded in the report, and the triplets converge
  /// as T grows (the largest residual max‖Jv − σu‖/σ₁ of the top k = 2 triplets falls by a
  /// factor 100 from T = 1 to T = 40 on this random-init net's flat spectrum); out of range
  /// exits 64.
  @Test func moreIterationsConvergeTheTripletsAndAreReported() throws {
    let data = dataDirectory()
    let output = (temporaryDirectory("conv-cli-run") as NSString).appendingPathComponent("5a-T")
    #expect(
      run([
        "train", "--type", "5a", "--epochs", "0", "--classes", "0,1,2", "--data", data,
        "--output", output,
      ]).code == 0)
    func residual(_ t: Int) throws -> (Int, Double) {
      let text = try measure([
        "--checkpoint", output, "--data", data, "--indices", "0", "--rank", "2",
        "--iterations", "\(t)", "--nc-examples", "0", "--json",
      ])
      let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
      let svd = object["svd"] as! [String: Any]
      return (svd["power_iterations"] as! Int, svd["largest_top_k_triplet_residual"] as! Double)
    }
    let (t1, few) = try residual(1)
    let (t40, many) = try residual(40)
    print(
      "T = \(t1): top-2 triplet residual \(few); T = \(t40): \(many) (must be < 1e-2 × the first)")
    #expect(t1 == 1 && t40 == 40)
    #expect(many < 1e-2 * few)
    let bad = run(["measure", "--checkpoint", output, "--data", data, "--iterations", "1001"])
    print("--iterations 1001: exit \(bad.code), \(bad.message)")
    #expect(bad.code == 64 && bad.message.contains("--iterations"))
  }

  @Test func type3LeavesOutItsDownsamplingBlockAndSaysSo() throws {
    let data = dataDirectory()
    let output = (temporaryDirectory("conv-cli-run") as NSString).appendingPathComponent("3")
    #expect(
      run([
        "train", "--type", "3", "--epochs", "0", "--classes", "0,1,2", "--data", data,
        "--output", output,
      ]).code == 0)
    let text = try measure([
      "--checkpoint", output, "--data", data, "--inputs", "3", "--rank", "2",
      "--nc-examples", "0",
    ])
    let said = text.split(separator: "\n").first { $0.contains("left out of RA2 and RA4") }
    print("type 3: \(said ?? "(no line)")")
    #expect(said?.contains("block(s) 9 ") == true)
  }
}
