import Comparison
import Empirical
import Foundation
import TestSupport
import Testing

@testable import UJMCommandLine

/// Files PyTorch wrote (`Tests/Fixtures/pytorch-conv`, made by
/// notebooks-text/scripts/torch_conv_checkpoint.py; the commands are in its README): a 14×14
/// Fashion-MNIST subset (classes 0, 1, 6), a 3-epoch run of a Type 5a shape with 4 blocks of 4
/// channels on classes 0 and 6 (checkpoint-epoch1…3 and checkpoint.safetensors, no `epochs`
/// metadata), a 3-class checkpoint of the same shape, and PyTorch's own Float64 values for both
/// (`expected-*.json`, torch.func and a dense SVD). PyTorch is not needed to run these tests.
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("Fixtures/pytorch-conv")

private func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

/// Runs `ujm compare …` in-process: its output, or the exit code and message of its error.
private func compare(_ arguments: [String]) -> (output: String?, code: Int32, message: String) {
  do {
    let command = try UJMCommand.parseAsRoot(["compare", "--data", fixture("data")] + arguments)
    return (try (command as! Compare).execute(), 0, "")
  } catch let error as UsageError {
    return (nil, 64, error.message)
  } catch {
    return (nil, UJMCommand.exitCode(for: error).rawValue, UJMCommand.message(for: error))
  }
}

private func jsonObject(_ text: String?) throws -> [String: Any] {
  try JSONSerialization.jsonObject(with: Data((text ?? "").utf8)) as! [String: Any]
}

/// `ujm compare --json` of `checkpoint` on the pairs of PyTorch's `expected` file, held number by
/// number to PyTorch's t, z_a, z_b, z and ẑ = z(x_mid) + wᵀδ_{L+1} at each input, ‖δ₁‖ and
/// σ₁(J_i) at x_mid: every one within `tolerance`.
private func expectAgreementWithPyTorch(
  checkpoint: String, expected: String, extra: [String] = [], tolerance: Double = 1e-6
) throws {
  let reference =
    try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: fixture(expected)))) as! [String: Any]
  let result = compare(
    ["--checkpoint", fixture(checkpoint), "--pair-indices", reference["pair_indices"] as! String]
      + extra + ["--json"])
  #expect(result.code == 0, "\(result.message)")
  let report = try jsonObject(result.output)
  #expect(report["classes"] as? [Int] == reference["classes"] as? [Int])
  let predictions = report["predictions"] as! [[String: Any]]
  #expect(predictions.count == 12, "rows: \(predictions.map { $0["name"] ?? "?" })")
  let torch = reference["pairs"] as! [[String: Any]]
  let ujm = report["pairs"] as! [[String: Any]]
  #expect(ujm.count == torch.count)
  var worst = (difference: 0.0, what: "")
  func hold(_ a: Any?, _ b: Any?, _ what: String) {
    guard let a = a as? Double, let b = b as? Double else {
      Issue.record("\(what): not a number in both (ujm \(a ?? "nil"), PyTorch \(b ?? "nil"))")
      return
    }
    if abs(a - b) >= worst.difference { worst = (abs(a - b), what) }
  }
  for (p, (u, t)) in zip(ujm, torch).enumerated() {
    #expect(u["a"] as? Int == t["a"] as? Int && u["b"] as? Int == t["b"] as? Int)
    for key in ["t", "z_a", "z_b"] { hold(u[key], t[key], "pair \(p) \(key)") }
    let ends = zip(u["endpoints"] as! [[String: Any]], t["endpoints"] as! [[String: Any]])
    for (e, (ue, te)) in ends.enumerated() {
      hold(ue["z"], te["z"], "pair \(p) endpoint \(e) z")
      hold(ue["linearised_z"], te["linearised_z"], "pair \(p) endpoint \(e) linearised_z")
      hold(ue["dx_norm"], te["delta1_norm"], "pair \(p) endpoint \(e) ‖δ₁‖")
    }
    let sigma = (u["boundary"] as! [String: Any])["singular_values"] as! [[Double]]
    let dense = t["sigma1"] as! [Double]
    #expect(sigma.count == dense.count)
    for (i, (s, d)) in zip(sigma, dense).enumerated() {
      hold(s.first, d, "pair \(p) σ₁(J_\(i + 1))")
    }
  }
  print(
    "\(checkpoint) vs PyTorch: largest |difference| measured \(worst.difference) "
      + "(\(worst.what)), tolerance \(tolerance)")
  #expect(worst.difference <= tolerance, "\(worst.what)")
}

@Suite(
  "PyTorch-written conv files: compare agrees with PyTorch, takes --classes, lists epochs once",
  .serialized)
struct PyTorchConvolutionalCompareTests {
  @Test func convolutionalCheckpointAgreesWithPyTorchToOneInAMillion() throws {
    try expectAgreementWithPyTorch(
      checkpoint: "run-5a-classes06/checkpoint.safetensors",
      expected: "expected-checkpoint-classes06.json")
  }

  @Test func multiclassCheckpointComparesTheTwoClassesNamed() throws {
    try expectAgreementWithPyTorch(
      checkpoint: "multiclass-5a-classes016.safetensors",
      expected: "expected-multiclass-classes06.json", extra: ["--classes", "0,6"])
    let file = fixture("multiclass-5a-classes016.safetensors")
    // Without --classes (or with a class the file does not have): exit 64 naming --classes.
    for extra in [[], ["--classes", "0,3"]] {
      let refused = compare(["--checkpoint", file, "--pairs", "1"] + extra)
      print("\(extra): exit \(refused.code): \(refused.message)")
      #expect(refused.code == 64 && refused.message.contains("--classes"))
    }
  }

  @Test func snapshotDirectoryListsEveryEpochOnce() throws {
    let run = fixture("run-5a-classes06")
    let options = ["--pairs", "2", "--rank", "3", "--iterations", "4", "--snapshots", "--json"]
    let result = compare(["--checkpoint", run] + options)
    #expect(result.code == 0, "\(result.message)")
    let report = try jsonObject(result.output)
    let snapshots = report["snapshots"] as! [[String: Any]]
    // checkpoint.safetensors holds epoch 3's tensors and records no epoch (PyTorch's file):
    // it is epoch 3, listed once.
    #expect(snapshots.map { $0["epoch"] as? Int } == [1, 2, 3])
    let problem = mismatch(report, parseSchema(try documentedSchemas()["compare"] ?? ""))
    #expect(problem == nil, "\(problem ?? "")")
    func medians(_ rows: Any?) -> [Double?] {
      (rows as! [[String: Any]]).map { ($0["measured"] as! [String: Any])["median"] as? Double }
    }
    #expect(medians(snapshots[2]["predictions"]) == medians(report["predictions"]))
    // The epochs differ: the rows are each snapshot's own.
    #expect(medians(snapshots[0]["predictions"]) != medians(snapshots[2]["predictions"]))

    // The snapshots alone, as a PyTorch script may leave them: the latest is the final one.
    let bare = temporaryDirectory("pytorch-snapshots")
    for epoch in 1...3 {
      let name = "checkpoint-epoch\(epoch).safetensors"
      try FileManager.default.copyItem(
        atPath: (run as NSString).appendingPathComponent(name),
        toPath: (bare as NSString).appendingPathComponent(name))
    }
    let alone = compare(["--checkpoint", bare] + options)
    #expect(alone.code == 0, "\(alone.message)")
    let aloneSnapshots = try jsonObject(alone.output)["snapshots"] as! [[String: Any]]
    #expect(aloneSnapshots.map { $0["epoch"] as? Int } == [1, 2, 3])
    #expect(
      aloneSnapshots.map { medians($0["predictions"]) }
        == snapshots.map {
          medians($0["predictions"])
        })
    // An empty directory has nothing to compare: exit 64 naming --snapshots.
    let empty = compare(["--checkpoint", temporaryDirectory("no-snapshots")] + options)
    print("empty directory: exit \(empty.code): \(empty.message)")
    #expect(empty.code == 64 && empty.message.contains("--snapshots"))
  }

  @Test func aSnapshotOfAnotherNetworkOrTruncatedIsRefusedBeforeAnyWork() throws {
    // Epoch 2 replaced by the 3-class network, or cut short: exit 64 naming the file, before
    // the first pair is measured (no progress line).
    let run = fixture("run-5a-classes06")
    let multiclass = try Data(
      contentsOf: URL(fileURLWithPath: fixture("multiclass-5a-classes016.safetensors")))
    let epoch2 = try Data(
      contentsOf: URL(
        fileURLWithPath: (run as NSString).appendingPathComponent(
          "checkpoint-epoch2.safetensors")))
    for (kind, bytes) in [("another network", multiclass), ("truncated", epoch2.prefix(5000))] {
      let directory = temporaryDirectory("pytorch-bad-snapshot")
      for name in ["checkpoint-epoch1.safetensors", "checkpoint-epoch3.safetensors"] {
        try FileManager.default.copyItem(
          atPath: (run as NSString).appendingPathComponent(name),
          toPath: (directory as NSString).appendingPathComponent(name))
      }
      try bytes.write(
        to: URL(
          fileURLWithPath: (directory as NSString).appendingPathComponent(
            "checkpoint-epoch2.safetensors")))
      let (files, final) = try ComparisonRun.snapshotRun(in: directory)
      let loaded = try CheckpointWithData(checkpointPath: final, dataDirectory: fixture("data"))
      let request = ComparisonRequest(
        checkpoint: directory, pairs: 2, pairIndices: nil, classes: (0, 6), rank: 3,
        powerIterations: 4, seed: 0, snapshotFiles: files)
      var events = 0
      do {
        _ = try ComparisonRun.run(
          request, checkpoint: loaded.checkpoint, dataset: loaded.dataset
        ) { _ in events += 1 }
        Issue.record("\(kind) as epoch 2 was accepted")
      } catch {
        print("\(kind) as epoch 2: \(error) (after \(events) progress events; 0 expected)")
        #expect(error.description.hasPrefix("--snapshots: "))
        #expect(error.description.contains("checkpoint-epoch2.safetensors"))
      }
      #expect(events == 0, "work was done before the refusal")
    }
  }

  @Test func finalCheckpointMatchingNoSnapshotHasNoEpochAndComesLast() throws {
    // Epochs 1 and 2 kept, the final checkpoint (epoch 3's tensors, no `epochs` entry) beside
    // them: nothing says its epoch, so it is listed last with epoch null.
    let run = fixture("run-5a-classes06")
    let directory = temporaryDirectory("pytorch-final-unknown-epoch")
    for name in [
      "checkpoint-epoch1.safetensors", "checkpoint-epoch2.safetensors", "checkpoint.safetensors",
    ] {
      try FileManager.default.copyItem(
        atPath: (run as NSString).appendingPathComponent(name),
        toPath: (directory as NSString).appendingPathComponent(name))
    }
    let result = compare(
      ["--checkpoint", directory, "--pairs", "1", "--rank", "3", "--iterations", "4"]
        + ["--snapshots", "--json"])
    #expect(result.code == 0, "\(result.message)")
    let snapshots = try jsonObject(result.output)["snapshots"] as! [[String: Any]]
    print("epochs: \(snapshots.map { $0["epoch"] ?? "?" })")
    #expect(snapshots.count == 3)
    #expect(snapshots.prefix(2).map { $0["epoch"] as? Int } == [1, 2])
    #expect(snapshots.last?["epoch"] is NSNull)
  }
}
