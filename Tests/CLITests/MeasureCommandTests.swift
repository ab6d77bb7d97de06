import ArgumentParser
import Empirical
import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import UJMCommandLine

/// A data directory (3 classes of 4×4 images; labels cycle 0, 1, 2 over 96 training examples)
/// and a random 3-block, width-16 checkpoint for it trained on `classes` (original labels),
/// with the residual branches `deadBlocks` (1-based) decayed to zero (fc2 = 0).
private func measureFixture(
  classes: [Int] = [0, 1, 2], standardisation: (Float, Float)? = nil, deadBlocks: [Int] = []
) throws -> (data: String, checkpoint: String) {
  let directory = temporaryDirectory("measure")
  writeSyntheticImageData(to: directory, train: 96, test: 30, side: 4, classes: 3)
  var rng = testGenerator(90)
  var model = ResidualNetwork<Float>(
    architecture: Architecture(blocks: 3, width: 16, skips: true), inputSize: 16,
    classCount: classes.count, using: &rng)
  for b in deadBlocks {
    model.blocks[b - 1].fc2 = Matrix<Float>(rows: 16, columns: 16)
  }
  let path = (directory as NSString).appendingPathComponent("checkpoint.safetensors")
  try Checkpoint(
    model: model,
    metadata: CheckpointMetadata(
      inputMean: standardisation?.0, inputStd: standardisation?.1, classes: classes)
  ).write(to: path)
  return (directory, path)
}

/// Runs `ujm measure …` in-process: its output, or the exit code and message of its error.
private func measure(_ arguments: [String]) -> (output: String?, code: Int32, message: String) {
  do {
    let command = try UJMCommand.parseAsRoot(["measure"] + arguments)
    guard let m = command as? Measure else { return (nil, -1, "not Measure") }
    return (try m.execute(), 0, "")
  } catch let error as UsageError {
    return (nil, 64, error.message)
  } catch {
    return (nil, UJMCommand.exitCode(for: error).rawValue, UJMCommand.message(for: error))
  }
}

/// The JSON object `ujm measure … --json` prints.
private func measureJSON(_ arguments: [String]) throws -> [String: Any] {
  let run = measure(arguments + ["--json"])
  return try JSONSerialization.jsonObject(with: Data((run.output ?? run.message).utf8))
    as! [String: Any]
}

/// Runs `ujm measure …` in-process with its progress lines captured.
private func measureWithProgress(_ arguments: [String]) throws
  -> (output: String, progress: [String])
{
  let command = try UJMCommand.parseAsRoot(["measure"] + arguments)
  var lines = [String]()
  let output = try (command as! Measure).execute(progress: MeasureProgress { lines.append($0) })
  return (output, lines)
}

@Suite(
  "ujm measure: RA1–RA4 and NC of a checkpoint, JSON shape, figures, bad input",
  .serialized)
struct MeasureCommandTests {
  @Test func jsonHasTheShapeOfTheIssue() throws {
    let (data, checkpoint) = try measureFixture()
    let run = measure([
      "--checkpoint", checkpoint, "--data", data, "--inputs", "6", "--rank", "3",
      "--json",
    ])
    let object = try JSONSerialization.jsonObject(with: Data(run.output!.utf8)) as! [String: Any]
    for key in [
      "checkpoint", "inputs", "seconds", "blocks", "ra1", "ra2", "ra3", "ra4", "nc",
      "seed",
    ] {
      #expect(object[key] != nil, "missing \(key)")
    }
    let inputs = object["inputs"] as! [Int]
    #expect(inputs.count == 6)
    let blocks = object["blocks"] as! [[String: Any]]
    #expect(blocks.count == 3)
    #expect(Set(blocks[0].keys) == ["index", "top_singular_values", "sigma1_per_input", "dead"])
    #expect((blocks[0]["sigma1_per_input"] as! [Double]).count == 6)
    #expect((blocks[0]["top_singular_values"] as! [Double]).count == 16)
    let ra1 = object["ra1"] as! [String: Any]
    #expect(Set(ra1.keys) == ["pc1_variance_fraction", "step_cv", "step_cos"])
    let spread = ra1["step_cv"] as! [String: Any]
    #expect(Set(spread.keys) == ["median", "min", "max"])
    let ra2 = object["ra2"] as! [String: Any]
    #expect(ra2["diag_fraction"] != nil && ra2["random_baseline"] != nil)
    #expect((object["ra3"] as! [String: Any])["gap"] != nil)
    let ra4 = object["ra4"] as! [String: Any]
    for key in ["slope", "intercept", "r2", "ci95", "onset", "live_blocks", "dead_blocks"] {
      #expect(ra4[key] != nil, "\(key)")
    }
    #expect(ra4["live_blocks"] as? [Int] == [1, 2, 3] && ra4["dead_blocks"] as? [Int] == [])
    #expect(blocks.allSatisfy { $0["dead"] as? Bool == false })
    let nc = object["nc"] as! [String: Any]
    #expect((nc["layers"] as! [[String: Any]]).count == 5 && nc["classifier"] != nil)
  }

  @Test func balancedInputsAndSameSeedSameNumbers() throws {
    let (data, checkpoint) = try measureFixture()
    let arguments = [
      "--checkpoint", checkpoint, "--data", data, "--inputs", "6", "--rank", "2",
      "--json", "--nc-examples", "0", "--seed", "4",
    ]
    func withoutSeconds(_ s: String) throws -> NSDictionary {
      var o = try JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any]
      o["seconds"] = nil
      o["stage_seconds"] = nil
      o["peak_resident_bytes"] = nil
      return o as NSDictionary
    }
    let a = try withoutSeconds(measure(arguments).output!)
    let b = try withoutSeconds(measure(arguments).output!)
    #expect(a == b)
    // Synthetic labels cycle 0, 1, 2: two positions per class.
    let inputs = a["inputs"] as! [Int]
    #expect(inputs.map { $0 % 3 }.sorted() == [0, 0, 1, 1, 2, 2])
  }

  @Test func indicesAndFigures() throws {
    let (data, checkpoint) = try measureFixture()
    let figures = temporaryDirectory("measure-figures")
    let run = measure([
      "--checkpoint", checkpoint, "--data", data, "--indices", "0,5,7",
      "--rank", "2", "--figures", figures,
    ])
    #expect(run.output?.contains("seed 0") == true)
    #expect(run.output?.contains("positions 0,5,7") == true)
    // A run directory of ujm train names its checkpoint.safetensors.
    let directory = measure([
      "--checkpoint", (checkpoint as NSString).deletingLastPathComponent, "--data", data,
      "--indices", "0,5,7", "--rank", "2", "--json", "--nc-examples", "0",
    ])
    #expect(directory.code == 0, "\(directory.message)")
    let files = try FileManager.default.contentsOfDirectory(atPath: figures).sorted()
      .filter { $0 != OutputFile.recordName }  // ujm's record of what it wrote
    #expect(
      files == [
        "figure1-trajectories.svg", "figure2-alignment.svg",
        "figure4-singular-values.svg", "figure7-neural-collapse.svg",
      ])
  }

  @Test func measureFiguresRefuseAUsersFigureBeforeAnyWork() throws {
    let figures = temporaryDirectory("measure-user-figures")
    let user = (figures as NSString).appendingPathComponent("figure2-alignment.svg")
    try "precious".write(toFile: user, atomically: false, encoding: .utf8)
    // Checked first: the missing checkpoint is never reached.
    let refused = measure([
      "--checkpoint", "/nonexistent/checkpoint.safetensors", "--data", figures, "--figures",
      figures,
    ])
    #expect(refused.code == 64 && refused.message.hasPrefix("--figures \(user)"))
    #expect(try String(contentsOfFile: user, encoding: .utf8) == "precious")
    // Its own figures, re-run.
    let (data, checkpoint) = try measureFixture()
    let own = temporaryDirectory("measure-own-figures")
    let arguments = [
      "--checkpoint", checkpoint, "--data", data, "--indices", "0,5,7", "--rank", "2",
      "--nc-examples", "0", "--figures", own,
    ]
    #expect(measure(arguments).code == 0)
    let again = measure(arguments)
    #expect(again.code == 0, "\(again.message)")
  }

  @Test func indicesArePositionsInTheTrainingFileForAClassSubset() throws {
    // Classes [2, 0] of a file whose labels cycle 0, 1, 2: file position 5 (class 2) is the
    // 4th kept example; before issue 6's fix, "--indices 5" meant kept example 5 (position 8).
    let (data, checkpoint) = try measureFixture(classes: [2, 0], standardisation: (0.4, 0.3))
    let run = measure([
      "--checkpoint", checkpoint, "--data", data, "--indices", "5,0", "--rank", "2",
      "--nc-examples", "0", "--json",
    ])
    let object = try JSONSerialization.jsonObject(with: Data(run.output!.utf8)) as! [String: Any]
    #expect(object["inputs"] as! [Int] == [5, 0])
    let sigma1 = (object["blocks"] as! [[String: Any]]).map { $0["sigma1_per_input"] as! [Double] }
    // The same measurement made directly on the file's examples 5 and 0 (all classes loaded
    // with the checkpoint's standardisation, so that example p is train[p]).
    let all = try ImageClassificationData(directory: data, standardisation: (0.4, 0.3))
    let points = [5, 0].map { p in all.train.features[(p * 16)..<((p + 1) * 16)].map(Double.init) }
    var generator = SeededGenerator(seed: 0)
    let direct = try ResidualAlignmentMeasurement.measure(
      network: EvaluationNetwork(try Checkpoint(contentsOf: checkpoint).model), inputs: points,
      rank: 2, using: &generator)
    let error = relativeError(sigma1.flatMap { $0 }, direct.blocks.flatMap(\.sigma1PerInput))
    print(
      "σ₁ of --indices 5,0 against the file's examples 5, 0: relative error \(error), "
        + "tolerance 1e-12")
    #expect(error <= 1e-12)
    // The default balanced draw is reported by file position too: only classes 0 and 2.
    let drawn = measure([
      "--checkpoint", checkpoint, "--data", data, "--inputs", "6", "--rank", "2",
      "--nc-examples", "0", "--json",
    ])
    let drawnObject =
      try JSONSerialization.jsonObject(with: Data(drawn.output!.utf8)) as! [String: Any]
    let inputs = drawnObject["inputs"] as! [Int]
    #expect(inputs.map { $0 % 3 }.sorted() == [0, 0, 0, 2, 2, 2], "\(inputs)")
    // A position of a class the checkpoint was not trained on, and one past the file's end.
    let cases: [(String, [String])] = [
      ("0,4", ["--indices", "index 4", "class 1", "[2, 0]"]),
      ("96", ["--indices", "index 96", "0..<96", "96 examples"]),
    ]
    for (indices, mentions) in cases {
      let bad = measure(["--checkpoint", checkpoint, "--data", data, "--indices", indices])
      print("measure --indices \(indices) (classes [2, 0]): exit \(bad.code), \(bad.message)")
      #expect(bad.code == 64)
      for m in mentions { #expect(bad.message.contains(m), "\(bad.message) lacks \(m)") }
    }
  }

  @Test func deadBranchesAreFlaggedAndRA4FitsTheLiveOnes() throws {
    // Block 2 of 3 dead: RA4 through blocks 1 and 3 at their real indices.
    let (data, checkpoint) = try measureFixture(deadBlocks: [2])
    let arguments = [
      "--checkpoint", checkpoint, "--data", data, "--inputs", "6", "--rank", "2",
      "--nc-examples", "0",
    ]
    let run = measure(arguments + ["--json"])
    let object = try JSONSerialization.jsonObject(with: Data(run.output!.utf8)) as! [String: Any]
    let blocks = object["blocks"] as! [[String: Any]]
    #expect(blocks.map { $0["dead"] as! Bool } == [false, true, false])
    let ra4 = object["ra4"] as! [String: Any]
    print("one dead branch: ra4 \(ra4)")
    #expect(ra4["live_blocks"] as? [Int] == [1, 3] && ra4["dead_blocks"] as? [Int] == [2])
    #expect(ra4["first_block"] as? Int == 1 && ra4["last_block"] as? Int == 3)
    #expect((ra4["slope"] as? Double)?.isFinite == true && (ra4["ci95"] as? [Double])?.count == 2)
    let text = measure(arguments).output!
    #expect(
      text.contains("dead blocks (median σ₁ ≤ max(1e-06 × the largest block median σ₁, 1e-06)"))
    #expect(text.contains("): 2 (left out of the fit)") && text.contains("live blocks (2 of 3)"))

    // Blocks 1 and 3 dead: one live block, no fit — null in JSON, a plain line in the text.
    let (data2, checkpoint2) = try measureFixture(deadBlocks: [1, 3])
    let arguments2 = [
      "--checkpoint", checkpoint2, "--data", data2, "--inputs", "3", "--rank", "2",
      "--nc-examples", "0", "--figures", temporaryDirectory("measure-dead-figures"),
    ]
    let json2 = measure(arguments2 + ["--json"]).output!
    let object2 = try JSONSerialization.jsonObject(with: Data(json2.utf8)) as! [String: Any]
    let ra4b = object2["ra4"] as! [String: Any]
    for key in ["slope", "intercept", "r2", "ci95", "onset"] {
      #expect(ra4b[key] is NSNull, "ra4.\(key) = \(String(describing: ra4b[key]))")
    }
    #expect(ra4b["live_blocks"] as? [Int] == [2] && ra4b["dead_blocks"] as? [Int] == [1, 3])
    let text2 = measure(arguments2).output!
    print(
      text2.split(separator: "\n").filter { $0.contains("dead") || $0.contains("fit") }
        .joined(separator: "\n"))
    #expect(text2.contains("no fit: only block 2 of the 3 is live; a line needs at least 2"))
    let ra4Section = text2.components(separatedBy: "RA4")[1]
    #expect(!ra4Section.contains("nan") && !ra4Section.contains("inf"), "\(ra4Section)")
  }

  @Test func duplicateIndicesAreRefused() throws {
    let (data, checkpoint) = try measureFixture()
    for indices in ["1,1,1", "0,5,0"] {
      let run = measure(["--checkpoint", checkpoint, "--data", data, "--indices", indices])
      print("measure --indices \(indices): exit \(run.code), \(run.message)")
      #expect(
        run.code == 64 && run.message.contains("--indices") && run.message.contains("distinct"))
    }
    // Distinct indices pass.
    let ok = measure([
      "--checkpoint", checkpoint, "--data", data, "--indices", "0,5,7", "--nc-examples", "0",
      "--rank", "2",
    ])
    #expect(ok.code == 0, "\(ok.message)")
  }

  @Test func tooFewInputsForABootstrapGiveNoInterval() throws {
    let (data, checkpoint) = try measureFixture()
    let few = [
      "--checkpoint", checkpoint, "--data", data, "--inputs", "3", "--rank", "2",
      "--nc-examples", "0",
    ]
    let text = measure(few).output!
    let line = text.split(separator: "\n").first { $0.contains("slope") && $0.contains("R²") }!
    print("3 inputs: \(line)")
    #expect(line.contains("bootstrap 95% CI of the slope n/a: fewer than 5 inputs"))
    #expect(!text.contains("95% CI of the slope ["))
    let json = try measureJSON(few)
    let ra4 = json["ra4"] as! [String: Any]
    #expect(ra4["ci95"] is NSNull && ra4["ci95_note"] as? String == "n/a: fewer than 5 inputs")
    #expect((ra4["slope"] as? Double)?.isFinite == true)
    // Enough inputs: an interval, and no note.
    let enough = try measureJSON(
      ["--checkpoint", checkpoint, "--data", data, "--inputs", "6", "--rank", "2"]
        + ["--nc-examples", "0"])
    let ra4b = enough["ra4"] as! [String: Any]
    #expect((ra4b["ci95"] as? [Double])?.count == 2 && ra4b["ci95_note"] is NSNull)
  }

  @Test func neuralCollapseThatCannotBeMetIsAnErrorAndZeroSkipsIt() throws {
    let (data, checkpoint) = try measureFixture()
    let base = ["--checkpoint", checkpoint, "--data", data, "--inputs", "6", "--rank", "2"]
    // Labels cycle 0, 1, 2: the first 2 examples miss class 2, the first 3 hold every class.
    for n in ["1", "2"] {
      let run = measure(base + ["--nc-examples", n])
      print("measure --nc-examples \(n): exit \(run.code), \(run.message)")
      #expect(run.code == 64 && run.message.contains("--nc-examples \(n)"))
      #expect(run.message.contains("use at least 3") && run.message.contains("0 to skip"))
    }
    let three = try measureJSON(base + ["--nc-examples", "3"])
    #expect((three["nc"] as? [String: Any])?["samples"] as? Int == 3)
    let skipped = measure(base + ["--nc-examples", "0"]).output!
    #expect(skipped.contains("Neural Collapse: skipped (--nc-examples 0)"))
    let skippedJSON = try measureJSON(base + ["--nc-examples", "0"])
    #expect(skippedJSON["nc"] is NSNull)
  }

  @Test func progressGoesToItsSinkAndTimingsCoverEveryStage() throws {
    let (data, checkpoint) = try measureFixture()
    let figures = temporaryDirectory("measure-progress-figures")
    let run = try measureWithProgress([
      "--checkpoint", checkpoint, "--data", data, "--inputs", "6", "--rank", "2", "--json",
      "--figures", figures,
    ])
    print(run.progress.joined())
    // Stage lines end with "…"; the others are "done in" lines and per-item progress.
    let stages = run.progress.filter { $0.hasPrefix("measure: ") && $0.hasSuffix("…\n") }
    #expect(stages.count == 5, "\(stages)")
    #expect(stages[0].contains("loading") && stages[1].contains("residual alignment"))
    #expect(stages[2].contains("pass 1 of 2") && stages[3].contains("pass 2 of 2"))
    #expect(stages[2].contains("Float32") && stages[3].contains("kept from pass 1"))
    #expect(run.progress.contains { $0.contains("peak resident memory of the process") })
    #if os(Linux)
      #expect(run.progress.contains { $0.contains("peak resident memory during Neural Collapse") })
    #endif
    #expect(stages[4].contains("writing figures"))
    #expect(run.progress.filter { $0.contains("done in") }.count == 5)
    #expect(run.progress.allSatisfy { $0.hasSuffix("\n") })
    // The report (stdout) holds no progress; its seconds cover every stage, figures included.
    #expect(!run.output.contains("measure: "))
    let object = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as! [String: Any]
    let stage = object["stage_seconds"] as! [String: Any]
    let parts = ["load", "residual_alignment", "neural_collapse", "figures"].map {
      stage[$0] as! Double
    }
    let total = object["seconds"] as! Double
    print("seconds \(total), stages \(parts)")
    #expect(parts.allSatisfy { $0 >= 0 } && parts.reduce(0, +) <= total)
    // Without NC or figures, those stages are null.
    let bare = try measureJSON(
      ["--checkpoint", checkpoint, "--data", data, "--inputs", "6", "--rank", "2"]
        + ["--nc-examples", "0"])
    let bareStages = bare["stage_seconds"] as! [String: Any]
    #expect(bareStages["neural_collapse"] is NSNull && bareStages["figures"] is NSNull)
  }

  @Test func jsonOfANetworkWithEveryBranchDeadParsesStrictly() throws {
    // σ₁ = 0 in every block: σ_C/σ_{C+1} is 0/0, written as null by the one encoder.
    let (data, checkpoint) = try measureFixture(deadBlocks: [1, 2, 3])
    let run = measure([
      "--checkpoint", checkpoint, "--data", data, "--inputs", "6", "--rank", "2", "--json",
    ])
    let text = try #require(run.output, "\(run.message)")
    for token in ["\"nan\"", "\"inf\"", "NaN", "Infinity"] {
      #expect(!text.contains(token), "\(token)")
    }
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    let gap = (object["ra3"] as! [String: Any])["gap"] as! [String: Any]
    print(
      "all branches dead: ra3.gap \(gap), ra4.slope \((object["ra4"] as! [String: Any])["slope"]!)")
    #expect(gap["median"] is NSNull)
    #expect((object["ra4"] as! [String: Any])["slope"] is NSNull)
  }

  /// Issue 19 defect 5: a checkpoint whose weights are all ×1e30 overflows the forward pass;
  /// measure exits 64 with a sentence naming what is not finite, never LAPACK's "dgesdd:
  /// argument 5 had an illegal value".
  @Test func anOverflowingCheckpointNamesTheQuantityNotLAPACKsArgument() throws {
    let (data, checkpoint) = try measureFixture()
    var file = try Checkpoint(contentsOf: checkpoint).file
    for (name, tensor) in file.tensors {
      if case .f32(let values) = tensor.values {
        file.tensors[name] = StoredTensor(
          shape: tensor.shape, values: .f32(values.map { $0 * 1e30 }))
      }
    }
    let huge = (data as NSString).appendingPathComponent("huge.safetensors")
    try file.write(to: huge)
    let run = measure(
      ["--checkpoint", huge, "--data", data, "--inputs", "2", "--rank", "2", "--nc-examples", "0"])
    print("weights ×1e30: exit \(run.code), \(run.message)")
    #expect(run.code == 64 && run.message.contains("non-finite entries"))
    #expect(!run.message.contains("illegal value"))
  }

  @Test func badInputExits64NamingTheProblem() throws {
    let (data, checkpoint) = try measureFixture()
    let bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
    let truncated = (data as NSString).appendingPathComponent("truncated.safetensors")
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
    let garbage = (data as NSString).appendingPathComponent("garbage.safetensors")
    try Data("not a checkpoint at all".utf8).write(to: URL(fileURLWithPath: garbage))
    // Wrong layout: a valid safetensors file without one of the network's tensors.
    var file = try Checkpoint(contentsOf: checkpoint).file
    file.tensors["blocks.1.fc2.weight"] = nil
    let wrongLayout = (data as NSString).appendingPathComponent("layout.safetensors")
    try file.write(to: wrongLayout)
    let cases: [([String], String)] = [
      (["--checkpoint", wrongLayout], "blocks.1.fc2.weight"),
      (["--checkpoint", data + "/missing.safetensors"], "--checkpoint"),
      (["--checkpoint", temporaryDirectory("empty-run")], "without a checkpoint.safetensors"),
      (["--checkpoint", truncated], "--checkpoint"),
      (["--checkpoint", garbage], "--checkpoint"),
      (["--checkpoint", checkpoint, "--inputs", "0"], "--inputs"),
      (["--checkpoint", checkpoint, "--indices", "3,96"], "--indices"),
      (["--checkpoint", checkpoint, "--indices", "3,x"], "--indices"),
      (["--checkpoint", checkpoint, "--rank", "17"], "--rank"),
      (["--checkpoint", checkpoint, "--rank", "0"], "--rank"),
      (["--checkpoint", checkpoint, "--inputs", "3", "--indices", "1"], "--inputs"),
      (["--checkpoint", checkpoint, "--inputs", "99"], "--inputs"),
      (["--checkpoint", checkpoint, "--nc-memory-budget", "-1"], "--nc-memory-budget"),
      (["--checkpoint", checkpoint, "--nc-memory-budget", "nan"], "--nc-memory-budget"),
      (["--checkpoint", checkpoint, "--nc-precision", "half"], "--nc-precision"),
    ]
    for (arguments, mentions) in cases {
      let run = measure(arguments + ["--data", data])
      print("measure \(arguments.joined(separator: " ")): exit \(run.code), \(run.message)")
      #expect(run.code == 64, "\(arguments)")
      #expect(run.message.contains(mentions), "\(arguments): \(run.message)")
      #expect(!run.message.contains("\n") || run.message.hasPrefix("Error"), "\(arguments)")
    }
  }

  @Test func ncPrecisionAndMemoryBudgetChangeTheWorkNotTheResult() throws {
    let (data, checkpoint) = try measureFixture()
    let base = ["--checkpoint", checkpoint, "--data", data, "--inputs", "6", "--rank", "2"]
    let kept = try measureWithProgress(base + ["--json"])
    let twoPasses = try measureWithProgress(base + ["--json", "--nc-memory-budget", "0"])
    #expect(twoPasses.progress.contains { $0.contains("with a second forward pass") })
    #expect(!kept.progress.contains { $0.contains("with a second forward pass") })
    func nc(_ output: String) throws -> NSDictionary {
      let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
      return object["nc"] as! NSDictionary
    }
    // The same Float32 forward pass, kept or recomputed: the same bits (the memory each run
    // happened to peak at aside).
    func metrics(_ output: String) throws -> NSDictionary {
      let all = try nc(output).mutableCopy() as! NSMutableDictionary
      all.removeObject(forKey: "peak_resident_bytes")
      return all
    }
    #expect(try metrics(kept.output) == metrics(twoPasses.output))
    #expect(try metrics(kept.output).count == nc(kept.output).count - 1)
    #expect(try nc(kept.output)["precision"] as? String == "single")
    let double = try nc(measure(base + ["--json", "--nc-precision", "double"]).output!)
    #expect(double["precision"] as? String == "double")
    let single = try nc(kept.output)
    let nc1 = [single, double].map {
      (($0["layers"] as! [[String: Any]]).map { $0["nc1"] as! Double })
    }
    let worst = zip(nc1[0], nc1[1]).map { abs($0 - $1) / abs($1) }.max()!
    print("measure NC1, Float32 vs Float64 forward passes: relative \(worst) (tolerance 1e-5)")
    #expect(worst <= 1e-5 && worst > 0)
    let object = try JSONSerialization.jsonObject(with: Data(kept.output.utf8)) as! [String: Any]
    let processPeak = object["peak_resident_bytes"] as? Int ?? 0
    #expect(processPeak > 0)
    #if os(Linux)
      // The NC stage's own peak (VmHWM reset as it began) is part of the process's.
      let ncPeak = try nc(kept.output)["peak_resident_bytes"] as? Int ?? 0
      print("peak resident memory: process \(processPeak) B, Neural Collapse \(ncPeak) B")
      #expect(ncPeak > 0 && ncPeak <= processPeak)
    #endif
  }
}
