import ArgumentParser
import Comparison
import Empirical
import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import UJMCommandLine

/// A data directory of 2 classes (4×4 images; labels alternate 0, 1 over 64 training examples)
/// and a random 3-block, width-16 binary checkpoint for it, its classifier bias set so that the
/// training examples 0 (class 0) and 1 (class 1) lie on opposite sides of the boundary.
/// `classes` > 2 gives a checkpoint with that many outputs instead.
private func compareFixture(
  classes: Int = 2, deadBranches: Bool = false, logitShift: Float = 0
) throws
  -> (data: String, checkpoint: String)
{
  let directory = temporaryDirectory("compare")
  writeSyntheticImageData(to: directory, train: 64, test: 20, side: 4, classes: max(2, classes))
  var rng = testGenerator(91)
  var model = ResidualNetwork<Float>(
    architecture: Architecture(blocks: 3, width: 16, skips: true), inputSize: 16,
    classCount: classes, using: &rng)
  if deadBranches {
    for i in model.blocks.indices { model.blocks[i].fc2 = Matrix<Float>(rows: 16, columns: 16) }
  }
  let (mean, std): (Float, Float) = (0.4, 0.3)
  // Shift the last logit so that the margins z = logit[C−1] − logit[0] of the training
  // examples 0 (class 0) and C − 1 (class C − 1) straddle 0; `logitShift` then moves it on.
  let data = try ImageClassificationData(
    directory: directory, classes: Array(0..<max(2, classes)), standardisation: (mean, std))
  let last = max(2, classes) - 1
  let network = EvaluationNetwork(model).binary(negative: 0, positive: last)
  let z = [0, last].map { n in
    network.margin(data.train.features[(n * 16)..<((n + 1) * 16)].map(Double.init))
  }
  model.clsBias[last] -= Float((z[0] + z[1]) / 2) - logitShift
  let path = (directory as NSString).appendingPathComponent("checkpoint.safetensors")
  try Checkpoint(
    model: model,
    metadata: CheckpointMetadata(
      inputMean: mean, inputStd: std, classes: Array(0..<max(2, classes)))
  ).write(to: path)
  return (directory, path)
}

/// A run directory of a compare fixture: the final checkpoint (epoch 3, weight decay 1e-2) and
/// the snapshots of epochs 1 (every fc2 halved), 3 (the final one again) and 2 (fc2 × 0.75).
private func snapshotFixture() throws -> (data: String, run: String) {
  let (data, path) = try compareFixture()
  let run = (data as NSString).appendingPathComponent("run")
  try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
  let final = try Checkpoint(contentsOf: path)
  var model = final.network.fullyConnected!
  var metadata = final.metadata
  metadata.epochs = 3
  metadata.weightDecay = 1e-2
  try Checkpoint(model: model, metadata: metadata).write(
    to: (run as NSString).appendingPathComponent("checkpoint.safetensors"))
  try Checkpoint(model: model, metadata: metadata).write(
    to: (run as NSString).appendingPathComponent("checkpoint-epoch3.safetensors"))
  for (epoch, factor) in [(1, Float(0.5)), (2, Float(0.75))] {
    for i in model.blocks.indices {
      model.blocks[i].fc2 = final.network.fullyConnected!.blocks[i].fc2.scaled(by: factor)
    }
    metadata.epochs = epoch
    try Checkpoint(model: model, metadata: metadata).write(
      to: (run as NSString).appendingPathComponent("checkpoint-epoch\(epoch).safetensors"))
  }
  return (data, run)
}

/// A data directory of 2 classes (8×8 grey images; labels alternate over 64 training examples)
/// and a random convolutional checkpoint for it: Type 5a's shape with 3 blocks of 4 channels at
/// 4×4 (D = 64; `downsampling`: then 2 blocks of 8 channels at 2×2, Type 3's shape), trained-
/// looking BatchNorm statistics, the bias set so that the training inputs split about evenly.
/// `pytorch`: the file as torch_conv_checkpoint.py's `save_file` writes it — its metadata
/// (`arch`, input_mean, input_std, classes, steps, batch, seed) only, no `skips`, `epochs` or
/// `wd`.
private func convolutionalFixture(pytorch: Bool = false, downsampling: Bool = false) throws
  -> (data: String, checkpoint: String)
{
  let directory = temporaryDirectory(pytorch ? "compare-conv-pt" : "compare-conv")
  writeSyntheticImageData(to: directory, train: 64, test: 20, side: 8, classes: 2)
  var rng = testGenerator(92)
  var stages = [ConvolutionalArchitecture.Stage(blocks: 3, channels: 4)]
  if downsampling { stages.append(ConvolutionalArchitecture.Stage(blocks: 2, channels: 8)) }
  var model = ConvolutionalNetwork<Float>(
    architecture: ConvolutionalArchitecture(stages: stages, skips: true),
    image: ConvolutionalInput(channels: 1, side: 8, padding: 0), classCount: 2, using: &rng)
  func perturb(_ bn: inout BatchNorm<Float>) {
    for k in 0..<bn.features {
      bn.weight[k] = Float(0.5 + Double(rng.next() % 1000) / 1000)
      bn.runningMean[k] = Float(Double(rng.next() % 1000) / 1000 - 0.5) * 0.2
      bn.runningVariance[k] = Float(0.5 + Double(rng.next() % 1000) / 1000)
    }
  }
  perturb(&model.bn0)
  for i in model.blocks.indices { perturb(&model.blocks[i].bn1) }
  perturb(&model.bnf)
  let (mean, std): (Float, Float) = (0.4, 0.3)
  let data = try ImageClassificationData(
    directory: directory, classes: [0, 1], standardisation: (mean, std))
  let network = ConvolutionalEvaluationNetwork(model)
  var z = [Double]()
  for n in 0..<data.train.count {
    z.append(network.margin(data.train.features[(n * 64)..<((n + 1) * 64)].map(Double.init)))
  }
  z.sort()
  model.clsBias[1] -= Float(z[z.count / 2])
  let path = (directory as NSString).appendingPathComponent("checkpoint.safetensors")
  let metadata = CheckpointMetadata(
    arch: "type 5a", inputMean: mean, inputStd: std, classes: [0, 1], epochs: 2,
    weightDecay: 5e-4, skips: true)
  try Checkpoint(network: .convolutional(model), metadata: metadata).write(to: path)
  if pytorch {
    var file = try SafeTensorsFile(contentsOf: path)
    let written: [String: String] = file.metadata
    var torch = [String: String]()
    torch["arch"] = "pytorch conv resnet type 5a, 3 blocks of 4 channels at 4x4, skips"
    torch["input_mean"] = written["input_mean"]
    torch["input_std"] = written["input_std"]
    torch["classes"] = "0,1"
    torch["steps"] = "2"
    torch["batch"] = "16"
    torch["seed"] = "0"
    file.metadata = torch
    _ = FileManager.default.createFile(atPath: path, contents: Data(file.encoded))
  }
  return (directory, path)
}

/// Runs `ujm <command> …` in-process: its output, or the exit code and message of its error.
private func run(_ arguments: [String]) -> (output: String?, code: Int32, message: String) {
  do {
    let command = try UJMCommand.parseAsRoot(arguments)
    if let c = command as? Compare { return (try c.execute(), 0, "") }
    var other = command
    try other.run()
    return ("", 0, "")
  } catch let error as UsageError {
    return (nil, 64, error.message)
  } catch {
    return (nil, UJMCommand.exitCode(for: error).rawValue, UJMCommand.message(for: error))
  }
}

@Suite(
  "ujm compare: the UJM against a binary checkpoint, JSON shape, export, bad input", .serialized)
struct CompareCommandTests {
  @Test func jsonHasTheShapeOfTheIssue() throws {
    let (data, checkpoint) = try compareFixture()
    let result = run([
      "compare", "--checkpoint", checkpoint, "--data", data, "--pair-indices", "1:0",
      "--rank", "3", "--json",
    ])
    #expect(result.code == 0, "\(result.message)")
    let object = try JSONSerialization.jsonObject(with: Data(result.output!.utf8)) as! [String: Any]
    for key in [
      "checkpoint", "classes", "blocks", "width", "seed", "rank", "pairs", "predictions",
      "ujm_fit",
    ] {
      #expect(object[key] != nil, "missing \(key)")
    }
    #expect(object["classes"] as? [Int] == [0, 1])
    let pairs = object["pairs"] as! [[String: Any]]
    // Listed as (a of the first class, b of the second) whatever the order given.
    #expect(pairs.count == 1 && pairs[0]["a"] as? Int == 0 && pairs[0]["b"] as? Int == 1)
    for key in ["a", "b", "t", "z_at_t", "z_a", "z_b", "boundary", "endpoints"] {
      #expect(pairs[0][key] != nil, "pair lacks \(key)")
    }
    let boundary = pairs[0]["boundary"] as! [String: Any]
    #expect(
      Set(boundary.keys)
        == ["singular_values", "classifier_jacobian_norm", "sigma1_spread", "rank_one"])
    #expect((boundary["singular_values"] as! [[Double]]).map(\.count) == [3, 3, 3])
    let endpoints = pairs[0]["endpoints"] as! [[String: Any]]
    #expect(endpoints.map { $0["position"] as? String } == ["a", "b"])
    for key in ["position", "z", "linearised_z", "ra4"] {
      #expect(endpoints[0][key] != nil, "endpoint lacks \(key)")
    }
    let t = pairs[0]["t"] as! Double
    #expect(t > 0 && t < 1)
    #expect(abs(pairs[0]["z_at_t"] as! Double) <= 1e-10)
    let predictions = object["predictions"] as! [[String: Any]]
    #expect(predictions.count == 12)
    for p in predictions {
      for key in [
        "name", "theory", "where", "measured", "ci", "null", "tolerance", "holds", "verdict",
        "note", "per_block",
      ] {
        #expect(p[key] != nil, "\(p["name"] ?? "?") lacks \(key)")
      }
    }
    #expect(predictions[0]["per_block"] is [Any])
    let balance = predictions.first { $0["name"] as? String == "balance@boundary" }!
    #expect(balance["holds"] is NSNull)
    #expect((balance["verdict"] as! String).hasPrefix("not identifiable"))
    let fit = object["ujm_fit"] as! [String: Any]
    for key in [
      "lambda_effective", "s_star", "t_star", "w_dx_norm", "dx_norm", "weight_decay",
      "lambda_over_weight_decay", "predicted_margin", "measured_margin", "note",
    ] {
      #expect(fit.keys.contains(key), "ujm_fit lacks \(key)")
    }
  }

  @Test func networkWithoutLiveBranchesGivesNullsNotNaN() throws {
    // Every branch decayed to zero (as weight decay 1e-2 does): no live block, so the per-block
    // rows have no value; JSON says null (it has no NaN) and a strict parser reads it.
    let (data, checkpoint) = try compareFixture(deadBranches: true)
    let result = run([
      "compare", "--checkpoint", checkpoint, "--data", data, "--pair-indices", "0:1",
      "--rank", "3", "--json",
    ])
    #expect(result.code == 0, "\(result.message)")
    let object = try JSONSerialization.jsonObject(with: Data(result.output!.utf8)) as! [String: Any]
    #expect(object["live_blocks"] as? [Int] == [])
    let rows = object["predictions"] as! [[String: Any]]
    let rankOne = rows.first { $0["name"] as? String == "rank_one@boundary" }!
    #expect((rankOne["measured"] as! [String: Any])["median"] is NSNull)
    #expect(rankOne["ci"] as? [NSNull] == [NSNull(), NSNull()])
    // Not a verdict: there is nothing to judge.
    #expect(rankOne["holds"] is NSNull)
    #expect((rankOne["verdict"] as! String).hasPrefix("not applicable: no live block"))
    let fit = object["ujm_fit"] as! [String: Any]
    #expect(fit["lambda_effective"] is NSNull)
  }

  @Test func exportedDeltaXRoundTripsIntoSolve() throws {
    let (data, checkpoint) = try compareFixture()
    let export = temporaryDirectory("compare-export")
    let figures = temporaryDirectory("compare-figures")
    let result = run([
      "compare", "--checkpoint", checkpoint, "--data", data, "--pair-indices", "0:1",
      "--rank", "3", "--export", export, "--figures", figures,
    ])
    #expect(result.code == 0, "\(result.message)")
    #expect(result.output?.contains("rank_one@boundary") == true)
    let files = try FileManager.default.contentsOfDirectory(atPath: export).sorted()
      .filter { $0 != OutputFile.recordName }  // ujm's record of what it wrote
    #expect(files == ["pair-0-1-dx-a.npy", "pair-0-1-dx-b.npy", "pair-0-1.json"])
    let svgs = try FileManager.default.contentsOfDirectory(atPath: figures).sorted()
      .filter { $0 != OutputFile.recordName }  // ujm's record of what it wrote
    #expect(svgs == ["predictions.svg", "sigma1-by-depth.svg", "trajectory-around-boundary.svg"])
    let dx = (export as NSString).appendingPathComponent("pair-0-1-dx-b.npy")
    let array = try NumPyArray(contentsOf: URL(fileURLWithPath: dx))
    #expect(array.shape == [16])
    // `ujm solve --dx … --L 3 --lambda 0.01` on the model's own Δx: exit 0, every check passes.
    let solve = run(["solve", "--dx", dx, "--L", "3", "--lambda", "0.01"])
    print("ujm solve --dx \(dx): exit \(solve.code) \(solve.message)")
    #expect(solve.code == 0)
  }

  @Test func compareExportAndFiguresRefuseAUsersFiles() throws {
    let (data, checkpoint) = try compareFixture()
    let export = temporaryDirectory("compare-user-export")
    let figures = temporaryDirectory("compare-user-figures")
    let arguments = [
      "compare", "--checkpoint", checkpoint, "--data", data, "--pair-indices", "0:1",
      "--rank", "3", "--export", export, "--figures", figures,
    ]
    let json = (export as NSString).appendingPathComponent("pair-0-1.json")
    try "precious".write(toFile: json, atomically: false, encoding: .utf8)
    let exported = run(arguments)
    #expect(exported.code == 64 && exported.message.contains("--export \(json)"))
    #expect(try String(contentsOfFile: json, encoding: .utf8) == "precious")
    try FileManager.default.removeItem(atPath: json)
    let svg = (figures as NSString).appendingPathComponent("predictions.svg")
    try "precious".write(toFile: svg, atomically: false, encoding: .utf8)
    let drawn = run(arguments)
    #expect(drawn.code == 64 && drawn.message.contains("--figures \(svg)"))
    #expect(try String(contentsOfFile: svg, encoding: .utf8) == "precious")
    // Nothing else was written: neither the export nor the other figures.
    let left =
      try FileManager.default.contentsOfDirectory(atPath: export)
      + FileManager.default.contentsOfDirectory(atPath: figures)
    #expect(left == ["predictions.svg"], "a refused run left \(left)")
    try FileManager.default.removeItem(atPath: svg)
    // Its own export and figures, re-run.
    #expect(run(arguments).code == 0)
    let again = run(arguments)
    #expect(again.code == 0, "\(again.message)")
  }

  @Test func badInputExits64NamingTheCulprit() throws {
    let (data, checkpoint) = try compareFixture()
    let (data3, checkpoint3) = try compareFixture(classes: 3)
    let garbage = (data as NSString).appendingPathComponent("garbage.safetensors")
    try Data("not a checkpoint at all".utf8).write(to: URL(fileURLWithPath: garbage))
    let notADirectory = (data as NSString).appendingPathComponent("train-labels-idx1-ubyte")
    let cases: [([String], String)] = [
      (["--checkpoint", checkpoint3, "--data", data3], "--classes"),
      (["--checkpoint", checkpoint3, "--data", data3, "--classes", "0,7"], "--classes"),
      (["--checkpoint", checkpoint3, "--data", data3, "--classes", "1,1"], "--classes"),
      (["--checkpoint", checkpoint3, "--data", data3, "--classes", "0"], "--classes"),
      (
        [
          "--checkpoint", checkpoint3, "--data", data3, "--classes", "0,2", "--pair-indices", "0:1",
        ],
        "--classes"
      ),
      (["--checkpoint", checkpoint, "--export", notADirectory], "--export"),
      (["--checkpoint", checkpoint, "--figures", notADirectory], "--figures"),
      (["--checkpoint", checkpoint, "--pair-indices", "0:2"], "one input of each class"),
      (["--checkpoint", checkpoint, "--pair-indices", "0:64"], "out of range"),
      (["--checkpoint", checkpoint, "--pairs", "0"], "--pairs"),
      (["--checkpoint", garbage], "--checkpoint"),
      (["--checkpoint", checkpoint, "--pair-indices", "0-1"], "--pair-indices"),
      (["--checkpoint", checkpoint, "--rank", "1"], "--rank"),
      (["--checkpoint", checkpoint, "--rank", "17"], "--rank"),
      (["--checkpoint", checkpoint, "--pairs", "2", "--pair-indices", "0:1"], "--pairs"),
    ]
    for (arguments, mentions) in cases {
      let withData = arguments.contains("--data") ? arguments : arguments + ["--data", data]
      let result = run(["compare"] + withData)
      print("compare \(arguments.joined(separator: " ")): exit \(result.code), \(result.message)")
      #expect(result.code == 64, "\(arguments)")
      #expect(result.message.contains(mentions), "\(arguments): \(result.message)")
      #expect(!result.message.contains("\n"), "\(arguments)")
    }
  }

  @Test func noPairReachingTheBoundaryExits1AndSaysSo() throws {
    // Every logit[1] raised by 1e4: every margin positive, no sign change on any segment.
    let (data, checkpoint) = try compareFixture(logitShift: 1e4)
    let result = run([
      "compare", "--checkpoint", checkpoint, "--data", data, "--pair-indices", "0:1,2:3",
    ])
    print("no boundary: exit \(result.code), \(result.message)")
    #expect(result.code == 1)
    #expect(result.message.contains("no pair reaches the decision boundary"))
    #expect(!result.message.contains("live"))
  }

  @Test func classesPicksTwoOfAMultiClassCheckpoint() throws {
    let (data, checkpoint) = try compareFixture(classes: 3)
    let result = run([
      "compare", "--checkpoint", checkpoint, "--data", data, "--classes", "0,2",
      "--pair-indices", "0:2", "--rank", "3", "--json",
    ])
    #expect(result.code == 0, "\(result.message)")
    let object = try JSONSerialization.jsonObject(with: Data(result.output!.utf8)) as! [String: Any]
    #expect(object["classes"] as? [Int] == [0, 2])
    let pairs = object["pairs"] as! [[String: Any]]
    #expect(pairs.count == 1 && pairs[0]["a"] as? Int == 0 && pairs[0]["b"] as? Int == 2)
    #expect(abs(pairs[0]["z_at_t"] as! Double) <= 1e-10)
    // dominant_class is class 1's label when its logit beats both at x_mid, null otherwise.
    let dominant = pairs[0]["dominant_class"]
    print("--classes 0,2: dominant class at x_mid \(dominant ?? "absent")")
    #expect(dominant is NSNull || dominant as? Int == 1)
    // The reversed order swaps y: the same boundary point, measured from the other side.
    let reversed = run([
      "compare", "--checkpoint", checkpoint, "--data", data, "--classes", "2,0",
      "--pair-indices", "0:2", "--rank", "3", "--json",
    ])
    #expect(reversed.code == 0, "\(reversed.message)")
    let other =
      try JSONSerialization.jsonObject(with: Data(reversed.output!.utf8)) as! [String: Any]
    #expect(other["classes"] as? [Int] == [2, 0])
  }

  @Test func textSaysWhichRequirementFailed() throws {
    let (data, checkpoint) = try compareFixture()
    let result = run([
      "compare", "--checkpoint", checkpoint, "--data", data, "--pair-indices",
      "0:1,2:3,4:5,6:7", "--rank", "3",
    ])
    #expect(result.code == 0, "\(result.message)")
    let text = result.output ?? ""
    #expect(text.contains("95% CI ["))
    #expect(text.contains("null median"))
    #expect(text.contains("balance@boundary") && text.contains("not identifiable"))
    #expect(text.contains("does not hold: interval"))
  }

  @Test func snapshotsCompareEveryKeptCheckpointOnTheSamePairs() throws {
    let (data, runDirectory) = try snapshotFixture()
    let figures = temporaryDirectory("compare-snapshot-figures")
    let result = run([
      "compare", "--checkpoint", runDirectory, "--data", data, "--pair-indices", "0:1", "--rank",
      "3",
      "--snapshots", "--figures", figures, "--json",
    ])
    #expect(result.code == 0, "\(result.message)")
    let object = try JSONSerialization.jsonObject(with: Data(result.output!.utf8)) as! [String: Any]
    let snapshots = object["snapshots"] as! [[String: Any]]
    // Epochs 1, 2 and the final 3, which is listed once although epoch 3 was also kept.
    #expect(snapshots.map { $0["epoch"] as? Int } == [1, 2, 3])
    // The README's schema holds with the snapshots filled in, too.
    let problem = mismatch(object, parseSchema(try documentedSchemas()["compare"] ?? ""))
    #expect(problem == nil, "\(problem ?? "")")
    let last = snapshots[2]["predictions"] as! [[String: Any]]
    let top = object["predictions"] as! [[String: Any]]
    #expect(
      last.map { ($0["measured"] as! [String: Any])["median"] as? Double }
        == top.map { ($0["measured"] as! [String: Any])["median"] as? Double })
    // Halving fc2 halves every J_i, so σ₁ differs between the epochs.
    let sigma = snapshots.map { s in
      ((s["predictions"] as! [[String: Any]])[1]["per_block"] as! [[String: Any]])[0]
    }
    print("σ₁ of block 1 over the snapshots: \(sigma.map { $0["measured"]! })")
    let fit = object["ujm_fit"] as! [String: Any]
    #expect(fit["weight_decay"] as? Double == 1e-2)
    let svgs = try FileManager.default.contentsOfDirectory(atPath: figures)
    #expect(svgs.contains("rows-over-training.svg"))
    // A snapshot at the final checkpoint's recorded epoch is not compared again, but one of
    // another network there is refused, not skipped.
    let final = try Checkpoint(
      contentsOf: (runDirectory as NSString).appendingPathComponent("checkpoint.safetensors"))
    var shallower = final.network.fullyConnected!
    shallower.blocks.removeLast()
    try Checkpoint(model: shallower, metadata: final.metadata).write(
      to: (runDirectory as NSString).appendingPathComponent("checkpoint-epoch3.safetensors"))
    let mixed = run([
      "compare", "--checkpoint", runDirectory, "--data", data, "--pair-indices", "0:1", "--rank",
      "3", "--snapshots",
    ])
    print("another network at the final epoch: exit \(mixed.code): \(mixed.message)")
    #expect(mixed.code == 64 && mixed.message.contains("checkpoint-epoch3.safetensors"))
    // Without a run directory --snapshots has nothing to read.
    let file = (runDirectory as NSString).appendingPathComponent("checkpoint.safetensors")
    let bad = run([
      "compare", "--checkpoint", file, "--data", data, "--pair-indices", "0:1", "--snapshots",
    ])
    #expect(bad.code == 64 && bad.message.contains("--snapshots"))
  }

  /// Issue 22's reparametrisation h → c·h written into checkpoint files
  /// (`RepresentationRescaling`): the same function, so every number of every verdict row and
  /// of the fit within 1e-6 (the variances are rounded to Float32 once), and balance divided by
  /// c².
  private func expectRescaledFilesGiveTheSameVerdicts(data: String, path: String, pairs: String)
    throws
  {
    let original = try Checkpoint(contentsOf: path)
    let arguments = ["--data", data, "--pair-indices", pairs, "--rank", "3", "--json"]
    func rows(_ file: String) throws -> ([String: [String: Any]], [String: Any]) {
      let result = run(["compare", "--checkpoint", file] + arguments)
      #expect(result.code == 0, "\(result.message)")
      let object =
        try JSONSerialization.jsonObject(with: Data(result.output!.utf8)) as! [String: Any]
      let predictions = object["predictions"] as! [[String: Any]]
      return (
        Dictionary(uniqueKeysWithValues: predictions.map { ($0["name"] as! String, $0) }),
        object["ujm_fit"] as! [String: Any]
      )
    }
    /// Every number in a JSON value, in a fixed order (the values passed hold no booleans).
    func numbers(_ value: Any?) -> [Double] {
      switch value {
      case let d as [String: Any]: return d.keys.sorted().flatMap { numbers(d[$0]) }
      case let a as [Any]: return a.flatMap(numbers)
      case let n as NSNumber:
        return [n.doubleValue]
      default: return []
      }
    }
    let (base, baseFit) = try rows(path)
    for c: Float in [0.25, 4] {
      let file = (data as NSString).appendingPathComponent("rescaled-\(c).safetensors")
      let network = RepresentationRescaling.rescaled(original.network, by: c)
      try Checkpoint(network: network, metadata: original.metadata).write(to: file)
      let (moved, movedFit) = try rows(file)
      var worst = 0.0
      for (name, row) in base where name != "balance@boundary" {
        let keys = ["measured", "ci", "null", "per_block"]
        let (x, y) = (numbers(keys.map { row[$0] }), numbers(keys.map { moved[name]![$0] }))
        #expect(x.count == y.count && x.count >= 4, "\(name)")
        for (u, v) in zip(x, y) { worst = max(worst, abs(u - v) / max(1, abs(u))) }
        #expect(row["holds"] as? Bool == moved[name]!["holds"] as? Bool, "\(name)")
      }
      for key in ["w_dx_norm", "dx_norm", "target_sigma1", "measured_margin", "predicted_margin"] {
        let (u, v) = (numbers(baseFit[key]), numbers(movedFit[key]))
        for (p, q) in zip(u, v) { worst = max(worst, abs(p - q) / max(1, abs(p))) }
      }
      let balance = { (r: [String: [String: Any]]) -> Double in
        (r["balance@boundary"]!["measured"] as! [String: Any])["median"] as! Double
      }
      let ratio = balance(moved) / balance(base)
      let shape = original.network.shapeDescription
      print(
        "\(shape) checkpoint files, h → \(c)·h: largest change of a verdict or fit number "
          + "\(worst) (tolerance 1e-6); balance × \(ratio) (1/c² = \(1 / (c * c)))")
      #expect(worst <= 1e-6)
      #expect(abs(ratio * Double(c * c) - 1) <= 1e-4)
    }
  }

  @Test func rescaledCheckpointFilesGiveTheSameVerdicts() throws {
    let (data, path) = try compareFixture()
    try expectRescaledFilesGiveTheSameVerdicts(data: data, path: path, pairs: "0:1,2:3,4:5,6:7")
  }

  @Test func rescaledConvolutionalCheckpointFilesGiveTheSameVerdicts() throws {
    let (data, path) = try convolutionalFixture()
    try expectRescaledFilesGiveTheSameVerdicts(data: data, path: path, pairs: "0:1,2:3,4:5,6:7")
  }

  @Test(arguments: [false, true])
  func convolutionalCheckpointCompares(pytorch: Bool) throws {
    // Written by ujm (weight decay recorded) or as PyTorch writes it (none): rows, intervals and
    // the matrix-free ‖J_i‖_F, the same bits for the same seed.
    let (data, checkpoint) = try convolutionalFixture(pytorch: pytorch)
    let arguments = [
      "compare", "--checkpoint", checkpoint, "--data", data, "--pairs", "4", "--rank", "3",
      "--iterations", "10", "--json",
    ]
    let result = run(arguments)
    #expect(result.code == 0, "\(result.message)")
    let output = try #require(result.output)
    let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
    #expect(object["width"] as? Int == 64 && object["blocks"] as? Int == 3)
    let rows = object["predictions"] as! [[String: Any]]
    #expect(rows.count == 12)
    let stationarity = try #require(
      rows.first { $0["name"] as? String == "stationarity@boundary" })
    let note = stationarity["note"] as! String
    print("conv (\(pytorch ? "PyTorch" : "ujm") file) stationarity note: \(note)")
    #expect(note.contains("Hutch++") && note.contains("relative standard error median"))
    let measured = stationarity["measured"] as! [String: Any]
    #expect(measured["median"] is Double)
    let fit = object["ujm_fit"] as! [String: Any]
    if pytorch {
      #expect(fit["weight_decay"] is NSNull)
    } else {
      #expect(fit["weight_decay"] as? Double == 5e-4)
    }
    // Same seed, same bits (all but the seconds).
    let again = try #require(run(arguments).output)
    func withoutSeconds(_ text: String) -> String {
      text.replacingOccurrences(
        of: "\"seconds\":[-0-9.e+]+", with: "", options: .regularExpression)
    }
    #expect(withoutSeconds(again) == withoutSeconds(output))
  }

  @Test func convolutionalBlockThatChangesShapeIsReportedAndLeftOut() throws {
    // Type 3's shape: block 4 (4 channels at 4×4 → 8 at 2×2, projection shortcut) compares
    // with exit 0, named in the text and in shape_changing_blocks, and in no row's blocks.
    let (data, checkpoint) = try convolutionalFixture(downsampling: true)
    let arguments = [
      "compare", "--checkpoint", checkpoint, "--data", data, "--pair-indices", "0:1,2:3,4:5,6:7",
      "--rank", "3", "--iterations", "10",
    ]
    let text = run(arguments)
    print("compare on a downsampling conv checkpoint: exit \(text.code), \(text.output ?? "")")
    #expect(text.code == 0, "\(text.message)")
    #expect(text.output?.contains("left out of every row: block 4 (changes the") == true)
    let json = run(arguments + ["--json"])
    #expect(json.code == 0, "\(json.message)")
    let output = try #require(json.output)
    let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
    #expect(object["shape_changing_blocks"] as? [Int] == [4])
    let live = try #require(object["live_blocks"] as? [Int])
    #expect(!live.contains(4) && !live.isEmpty)
    for row in object["predictions"] as! [[String: Any]] {
      let blocks = (row["per_block"] as? [[String: Any]] ?? []).compactMap { $0["block"] as? Int }
      #expect(!blocks.contains(4), "\(row["name"] ?? "")")
    }
  }

  @Test func rescaledDownsamplingCheckpointFilesGiveTheSameVerdicts() throws {
    let (data, path) = try convolutionalFixture(downsampling: true)
    try expectRescaledFilesGiveTheSameVerdicts(data: data, path: path, pairs: "0:1,2:3,4:5,6:7")
  }
}
