import ArgumentParser
import Empirical
import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import UJMCommandLine

/// Parses and runs `arguments` in-process; returns the exit code and the one line the user sees
/// after `ujm <command>: error: ` (from `validate()`, or the `UsageError` that `execute()` throws
/// and `reportingUsageErrors` prints before exiting 64).
private func run(_ arguments: [String]) -> (code: Int32, message: String) {
  do {
    var command = try UJMCommand.parseAsRoot(arguments)
    do {
      switch command {
      case let train as Train: try train.execute()
      case let evaluate as Evaluate: try evaluate.execute()
      case let verify as Verify: _ = try verify.outcome()
      case let rsvd as RSVDCommand: _ = try rsvd.report()
      case let measure as Measure: _ = try measure.execute()
      case let compare as Compare: _ = try compare.execute()
      case let plan as SweepPlanCommand: _ = try plan.execute()
      case let status as SweepStatusCommand: _ = try status.execute()
      default: try command.run()
      }
    } catch let error as UsageError {
      return (64, error.message)
    }
    return (0, "")
  } catch {
    return (UJMCommand.exitCode(for: error).rawValue, UJMCommand.message(for: error))
  }
}

/// Expects exit 64 with one line that contains every one of `culprits`.
private func expectRefused(_ arguments: [String], naming culprits: [String]) {
  let (code, message) = run(arguments)
  print("ujm \(arguments.prefix(8).joined(separator: " ")): exit \(code): \(message)")
  #expect(code == 64)
  #expect(!message.contains("\n"), "one line")
  for culprit in culprits { #expect(message.contains(culprit), "names \(culprit)") }
}

private let tiny = ["--blocks", "1", "--width", "8", "--batch-size", "16", "--classes", "0,1,2"]

/// Rewrites one metadata entry of the safetensors file at `path`.
private func rewriteMetadata(_ path: String, _ key: String, _ value: String) throws {
  var file = try SafeTensorsFile(contentsOf: path)
  file.metadata[key] = value
  _ = FileManager.default.createFile(atPath: path, contents: Data(file.encoded))
}

@Suite("Bad input through the CLI: exit 64 and one line naming the file, tensor or option")
struct HostileInputCommandTests {
  @Test func loopCountsThatWouldRunForDaysAreRefusedWithWhatTheyWouldNeed() {
    expectRefused(["verify", "--up-to", "9223372036854775807"], naming: ["--up-to", "at most"])
    expectRefused(["verify", "--cases", "100000000000"], naming: ["--cases", "1e+08×"])
    expectRefused(
      ["rsvd", "--input", "/nonexistent.npy", "--rank", "2", "--iterations", "100000000"],
      naming: ["--iterations", "200000000 products"])
    expectRefused(["train", "--epochs", "1", "--blocks", "100000000"], naming: ["--blocks"])
  }

  @Test func trainingThatCannotFitInMemoryIsRefusedBeforeAnyAllocation() {
    expectRefused(
      ["train", "--epochs", "1", "--width", "10000000"],
      naming: ["--width 10000000", "parameters", "GiB", "this machine has"])
  }

  @Test func checkpointWithNaNWeightsExits64NamingTheTensor() throws {
    let data = temporaryDirectory("hostile-data")
    writeSyntheticImageData(to: data, train: 12, test: 6, side: 4, classes: 3)
    var rng = testGenerator(8)
    var model = ResidualNetwork<Float>(
      architecture: Architecture(blocks: 1, width: 4, skips: true), inputSize: 16, classCount: 3,
      using: &rng)
    model.cls[1, 2] = .nan
    let path = (temporaryDirectory("hostile-ckpt") as NSString)
      .appendingPathComponent("nan.safetensors")
    try Checkpoint(model: model, metadata: CheckpointMetadata(classes: [0, 1, 2])).write(to: path)
    expectRefused(
      ["evaluate", "--checkpoint", path, "--data", data],
      naming: ["--checkpoint", path, "cls.weight", "nan"])
  }

  @Test func headersWhoseSizesOverflowExit64NamingTheFile() throws {
    let directory = temporaryDirectory("hostile-headers")
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let npy = (directory as NSString).appendingPathComponent("huge.npy")
    _ = FileManager.default.createFile(
      atPath: npy,
      contents: Data(
        [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0]
          + Array(header.utf8)))
    expectRefused(["rsvd", "--input", npy, "--rank", "1"], naming: [npy, "overflows"])

    var json = Array(
      "{\"fc0.weight\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,8]}}"
        .utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    let length = UInt64(json.count)
    let safetensors = (directory as NSString).appendingPathComponent("huge.safetensors")
    _ = FileManager.default.createFile(
      atPath: safetensors,
      contents: Data((0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json))
    let data = temporaryDirectory("hostile-headers-data")
    writeSyntheticImageData(to: data, train: 6, test: 3)
    expectRefused(
      ["evaluate", "--checkpoint", safetensors, "--data", data],
      naming: ["--checkpoint", safetensors, "fc0.weight", "overflows"])

    let images = (data as NSString).appendingPathComponent("train-images-idx3-ubyte")
    _ = FileManager.default.createFile(
      atPath: images, contents: Data([0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12)))
    expectRefused(
      ["train", "--epochs", "1", "--data", data, "--output", temporaryDirectory("r")] + tiny,
      naming: ["--data", images, "byte 4"])
  }

  @Test func checkpointForAnotherImageSizeExits64NamingBoth() throws {
    let data = temporaryDirectory("hostile-size-data")
    writeSyntheticImageData(to: data, train: 12, test: 6, side: 5, classes: 3)
    var rng = testGenerator(9)
    let model = ResidualNetwork<Float>(
      architecture: Architecture(blocks: 1, width: 4, skips: true), inputSize: 16, classCount: 3,
      using: &rng)
    let path = (temporaryDirectory("hostile-size") as NSString)
      .appendingPathComponent("4x4.safetensors")
    try Checkpoint(model: model, metadata: CheckpointMetadata(classes: [0, 1, 2])).write(to: path)
    expectRefused(
      ["evaluate", "--checkpoint", path, "--data", data],
      naming: ["--checkpoint", "fc0.weight takes 16 inputs", "25 values per image (5×5)"])
  }

  @Test func measureOnANetworkNoWiderThanItsClassesExits64() throws {
    // A CIFAR-10 network of width 8 (found by hand: measure trapped in SpectrumShape).
    let data = temporaryDirectory("hostile-narrow")
    writeSyntheticCIFAR(to: data, train: 20, test: 10)
    var rng = testGenerator(4)
    let model = ResidualNetwork<Float>(
      architecture: Architecture(blocks: 3, width: 8, skips: true), inputSize: 3072,
      classCount: 10, using: &rng)
    let path = (temporaryDirectory("hostile-narrow-ckpt") as NSString)
      .appendingPathComponent("narrow.safetensors")
    try Checkpoint(model: model, metadata: CheckpointMetadata()).write(to: path)
    expectRefused(
      [
        "measure", "--checkpoint", path, "--data", data, "--inputs", "2", "--rank", "2",
        "--nc-examples", "0",
      ],
      naming: ["--checkpoint", "width D = 8", "10 classes"])
  }

  @Test func mixedImageSizesAndBlankDataExit64NamingTheFiles() throws {
    let data = temporaryDirectory("hostile-mixed")
    writeSyntheticImageData(to: data, train: 12, test: 6, side: 4, classes: 3)
    let other = temporaryDirectory("hostile-mixed-test")
    writeSyntheticImageData(to: other, train: 1, test: 6, side: 5, classes: 3)
    for name in ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
      let target = (data as NSString).appendingPathComponent(name)
      try FileManager.default.removeItem(atPath: target)
      try FileManager.default.copyItem(
        atPath: (other as NSString).appendingPathComponent(name), toPath: target)
    }
    let output = temporaryDirectory("hostile-run")
    expectRefused(
      ["train", "--epochs", "1", "--data", data, "--output", output] + tiny,
      naming: ["--data", "4×4", "5×5", "t10k-images-idx3-ubyte"])

    let blank = temporaryDirectory("hostile-blank")
    let labels = idxBytes(dimensions: [6], values: [0, 1, 2, 0, 1, 2])
    for prefix in ["train", "t10k"] {
      let dir = blank as NSString
      _ = FileManager.default.createFile(
        atPath: dir.appendingPathComponent("\(prefix)-images-idx3-ubyte"),
        contents: Data(idxBytes(dimensions: [6, 4, 4], values: [UInt8](repeating: 0, count: 96))))
      _ = FileManager.default.createFile(
        atPath: dir.appendingPathComponent("\(prefix)-labels-idx1-ubyte"), contents: Data(labels))
    }
    expectRefused(
      ["train", "--epochs", "1", "--data", blank, "--output", temporaryDirectory("r")] + tiny,
      naming: ["--data", "train-images-idx3-ubyte", "zero variance"])
  }

  @Test func resumeWithAZeroGeneratorOrAStepBeyondTheEpochExits64() throws {
    let data = temporaryDirectory("hostile-resume-data")
    writeSyntheticImageData(to: data, train: 96, test: 30, side: 4, classes: 3)
    for (key, value, culprit) in [
      ("shuffle_generator", "0,0,0,0", "all zeros"), ("step_in_epoch", "6", "6 steps"),
    ] {
      let output = temporaryDirectory("hostile-resume")
      let common = tiny + ["--data", data, "--output", output, "--json"]
      #expect(run(["train", "--epochs", "1"] + common).code == 0)
      let manifest = try #require(try RunDirectory(path: output).manifest())
      let optimizer = (output as NSString).appendingPathComponent(manifest.optimizer)
      try rewriteMetadata(optimizer, key, value)
      expectRefused(
        ["train", "--epochs", "1", "--resume"] + common, naming: ["--resume", key, culprit])
    }
  }

  @Test func cifar10DirectoryTrainsAFullyConnectedNetworkOnFlattenedImages() throws {
    let data = temporaryDirectory("hostile-cifar")
    writeSyntheticCIFAR(to: data, train: 20, test: 10)
    let output = temporaryDirectory("hostile-cifar-run")
    let (code, message) = run(
      [
        "train", "--epochs", "1", "--blocks", "1", "--width", "4", "--batch-size", "10",
        "--data", data, "--output", output, "--json",
      ])
    #expect(code == 0, "\(message)")
    let checkpoint = try Checkpoint(
      contentsOf: (output as NSString).appendingPathComponent("checkpoint.safetensors"))
    #expect(checkpoint.model.inputSize == 3072)
    #expect(checkpoint.metadata.standardisation?.channels == 3)
  }

  @Test func integerOptionsAtInt64MaxExit64InsteadOfTrapping() {
    let max = "9223372036854775807"
    expectRefused(
      ["measure", "--checkpoint", "/nonexistent", "--inputs", max], naming: ["--inputs", max])
    expectRefused(["measure", "--checkpoint", "/nonexistent", "--rank", max], naming: ["--rank"])
    expectRefused(
      ["solve", "--lambda", "0.1", "--L", "2", "--D", max], naming: ["--D \(max)", "parameters"])
    expectRefused(
      ["solve", "--lambda", "0.1", "--L", max, "--D", "2"], naming: ["--L \(max)", "parameters"])
    expectRefused(
      ["solve", "--lambda", "0.1", "--L", "2", "--D", "2", "--max-iterations", max],
      naming: ["--max-iterations", "history"])
  }

  @Test func trainIntoADirectoryOfForeignFilesExits64NamingThemAndReplacesNothing() throws {
    let data = temporaryDirectory("hostile-foreign-data")
    writeSyntheticImageData(to: data, train: 48, test: 12, side: 4, classes: 3)
    let common = ["train", "--epochs", "1", "--data", data] + tiny
    // A PyTorch export and another tool's metrics: no manifest, no optimizer state beside them.
    let output = temporaryDirectory("hostile-foreign")
    let foreign = [
      "checkpoint.safetensors": "a PyTorch export", "metrics.jsonl": "{\"epoch\": 7}\n",
    ]
    for (name, text) in foreign {
      try text.write(
        toFile: (output as NSString).appendingPathComponent(name), atomically: true,
        encoding: .utf8)
    }
    for extra in [[], ["--resume"]] {
      expectRefused(
        common + ["--output", output] + extra,
        naming: ["--output \(output)", "did not write", "checkpoint.safetensors", "metrics.jsonl"])
    }
    for (name, text) in foreign {
      let kept = try String(
        contentsOfFile: (output as NSString).appendingPathComponent(name), encoding: .utf8)
      #expect(kept == text, "\(name) kept")
    }
    // Any file ujm does not write counts, not only the names it would replace.
    let notes = temporaryDirectory("hostile-foreign-notes")
    try "mine".write(
      toFile: (notes as NSString).appendingPathComponent("notes.txt"), atomically: true,
      encoding: .utf8)
    expectRefused(common + ["--output", notes], naming: ["notes.txt"])
    // A name with a newline and an escape sequence is shown escaped, on the one line.
    _ = FileManager.default.createFile(
      atPath: (notes as NSString).appendingPathComponent("evil\n\u{1B}[2Jname"), contents: Data())
    expectRefused(common + ["--output", notes], naming: ["evil\\n\\u{1B}[2Jname"])
    #expect(oneLine("a\tb\nc\u{7F}é") == "a\\tb\\nc\\u{7F}é")

    // A sweep's run directory (its lock and log already there) is ujm's own: training goes on,
    // and a second train without --resume is refused as a run already there, not as foreign.
    let sweepRun = temporaryDirectory("hostile-foreign-sweep")
    for name in ["sweep.lock", "log.txt"] {
      _ = FileManager.default.createFile(
        atPath: (sweepRun as NSString).appendingPathComponent(name), contents: Data())
    }
    let first = run(common + ["--output", sweepRun, "--json"])
    #expect(first.code == 0, "\(first.message)")
    expectRefused(common + ["--output", sweepRun], naming: ["already holds a run", "--resume"])
  }

  @Test func convolutionalCheckpointWithNaNOrNegativeVarianceExits64NamingTheTensor() throws {
    let data = temporaryDirectory("hostile-conv-data")
    writeSyntheticCIFAR(to: data, train: 20, test: 10)
    var rng = testGenerator(31)
    let model = ConvolutionalNetwork<Float>(
      architecture: ConvolutionalArchitecture(stages: [.init(blocks: 1, channels: 4)], skips: true),
      image: ConvolutionalInput(channels: 3, side: 32, padding: 0), classCount: 10, using: &rng)
    for (name, value, culprit) in [
      ("blocks.0.conv1.weight", Float.nan, "not finite"),
      ("blocks.0.bn2.running_var", Float(-1), "a variance ≥ 0"),
    ] {
      var file = Checkpoint(network: .convolutional(model), metadata: .init()).file
      let tensor = try #require(file.tensors[name])
      guard case .f32(var values) = tensor.values else { return }
      values[0] = value
      file.tensors[name] = StoredTensor(shape: tensor.shape, values: .f32(values))
      let path = (temporaryDirectory("hostile-conv") as NSString).appendingPathComponent(
        "checkpoint.safetensors")
      _ = FileManager.default.createFile(atPath: path, contents: Data(file.encoded))
      for command in ["evaluate", "compare"] {
        expectRefused(
          [command, "--checkpoint", path, "--data", data], naming: ["--checkpoint", name, culprit])
      }
    }
  }

  @Test func cifarFileThatIsAFIFOOrADeviceExits64WithoutBlocking() throws {
    for kind in ["fifo", "device"] {
      let data = temporaryDirectory("hostile-cifar-\(kind)")
      writeSyntheticCIFAR(to: data, train: 20, test: 10)
      let culprit = (data as NSString).appendingPathComponent("data_batch_3.bin")
      try FileManager.default.removeItem(atPath: culprit)
      if kind == "fifo" {
        try #require(mkfifo(culprit, 0o644) == 0)
      } else {
        try FileManager.default.createSymbolicLink(
          atPath: culprit, withDestinationPath: "/dev/zero")
      }
      // Should the reader block on the FIFO, this writer unblocks it after 20 s: the test then
      // fails on the time taken instead of hanging.
      DispatchQueue.global().asyncAfter(deadline: .now() + 20) {
        let fd = open(culprit, O_WRONLY | O_NONBLOCK)
        if fd >= 0 { close(fd) }
      }
      let started = ContinuousClock.now
      expectRefused(
        ["train", "--epochs", "1", "--data", data, "--output", temporaryDirectory("r")] + tiny,
        naming: ["--data", culprit, kind == "fifo" ? "a FIFO" : "a character device"])
      #expect(ContinuousClock.now - started < .seconds(20))
    }
  }

  @Test func sweepSpecThatIsAnAliasBombOrAFIFOExits64NamingTheLine() throws {
    let dir = temporaryDirectory("hostile-spec")
    let bomb = (dir as NSString).appendingPathComponent("bomb.yaml")
    var yaml = "a: &a [" + Array(repeating: "x", count: 10).joined(separator: ", ") + "]\n"
    for (previous, name) in zip("abcdefgh", "bcdefghi") {
      yaml +=
        "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ")
        + "]\n"
    }
    yaml += "base: {epochs: 1}\naxes: {seed: *i}\n"
    try yaml.write(toFile: bomb, atomically: true, encoding: .utf8)
    expectRefused(["sweep", "plan", bomb], naming: [bomb, "line", "100000 nodes"])
    let fifo = (dir as NSString).appendingPathComponent("fifo.yaml")
    try #require(mkfifo(fifo, 0o644) == 0)
    expectRefused(["sweep", "status", fifo], naming: [fifo, "a FIFO"])
  }

  @Test func measureOnAConvNetWithNoTwoBlocksOfOneDimensionExits64InsteadOfTrapping() throws {
    let data = temporaryDirectory("hostile-downsample-data")
    writeSyntheticCIFAR(to: data, train: 20, test: 10)
    var rng = testGenerator(32)
    // Three stages of one block: the second and third blocks downsample, so no two blocks keep
    // one dimension and RA2 has no pair.
    let model = ConvolutionalNetwork<Float>(
      architecture: ConvolutionalArchitecture(
        stages: [
          .init(blocks: 1, channels: 4), .init(blocks: 1, channels: 8),
          .init(blocks: 1, channels: 16),
        ], skips: true),
      image: ConvolutionalInput(channels: 3, side: 32, padding: 0), classCount: 10, using: &rng)
    let path = (temporaryDirectory("hostile-downsample") as NSString).appendingPathComponent(
      "checkpoint.safetensors")
    try Checkpoint(network: .convolutional(model), metadata: .init()).write(to: path)
    expectRefused(
      ["measure", "--checkpoint", path, "--data", data, "--rank", "2", "--inputs", "10"],
      naming: ["--checkpoint", "no two blocks keep the same dimension"])
  }

  @Test func resumeWithAnotherWidthOrClassSetSaysWhatDiffersNotUnreadableMetadata() throws {
    let data = temporaryDirectory("hostile-resume-shape-data")
    writeSyntheticImageData(to: data, train: 48, test: 12, side: 4, classes: 3)
    let output = temporaryDirectory("hostile-resume-shape")
    let first = run(
      ["train", "--epochs", "1", "--data", data, "--output", output, "--json"] + tiny)
    #expect(first.code == 0, "\(first.message)")
    let base = ["train", "--epochs", "1", "--data", data, "--output", output, "--resume"]
    let wider =
      base + ["--blocks", "1", "--width", "16", "--batch-size", "16", "--classes", "0,1,2"]
    expectRefused(wider, naming: ["--resume", "width 8", "width 16"])
    let fewer = base + ["--blocks", "1", "--width", "8", "--batch-size", "16", "--classes", "0,1"]
    expectRefused(fewer, naming: ["--resume", "classes 0,1,2", "--classes asks for 0,1"])
    for arguments in [wider, fewer] {
      #expect(!run(arguments).message.contains("unreadable"))
    }
  }

  @Test func evaluateOfACheckpointWithoutArchNamesItsShapeOnce() throws {
    let data = temporaryDirectory("hostile-arch-data")
    writeSyntheticImageData(to: data, train: 48, test: 12, side: 4, classes: 3)
    let output = temporaryDirectory("hostile-arch")
    #expect(run(["train", "--epochs", "1", "--data", data, "--output", output] + tiny).code == 0)
    // As PyTorch exports it: no 'arch' in the metadata.
    let path = (output as NSString).appendingPathComponent("checkpoint.safetensors")
    var file = try SafeTensorsFile(contentsOf: path)
    file.metadata["arch"] = nil
    let exported = (temporaryDirectory("hostile-arch-pt") as NSString).appendingPathComponent(
      "model.safetensors")
    _ = FileManager.default.createFile(atPath: exported, contents: Data(file.encoded))
    let command = try #require(
      try UJMCommand.parseAsRoot(["evaluate", "--checkpoint", exported, "--data", data])
        as? Evaluate)
    let first = try #require(try command.output().split(separator: "\n").first)
    print(first)
    #expect(first.components(separatedBy: "width 8").count == 2, "the shape once: \(first)")
  }

  @Test func fifoAsTheRunLockOrManifestAndDataThatIsNotADirectoryExit64NamingThem() throws {
    let data = temporaryDirectory("hostile-fifo-run-data")
    writeSyntheticImageData(to: data, train: 48, test: 12, side: 4, classes: 3)
    for name in [".lock", "snapshot.json"] {
      let output = temporaryDirectory("hostile-fifo-run")
      let fifo = (output as NSString).appendingPathComponent(name)
      try #require(mkfifo(fifo, 0o644) == 0)
      DispatchQueue.global().asyncAfter(deadline: .now() + 20) {
        let fd = open(fifo, O_WRONLY | O_NONBLOCK)
        if fd >= 0 { close(fd) }
      }
      let started = ContinuousClock.now
      expectRefused(
        ["train", "--epochs", "1", "--data", data, "--output", output] + tiny,
        naming: ["--output", fifo, "a FIFO"])
      #expect(ContinuousClock.now - started < .seconds(20))
    }
    expectRefused(
      ["train", "--epochs", "1", "--data", "/dev/zero", "--output", temporaryDirectory("r")]
        + tiny, naming: ["--data", "/dev/zero", "is not a directory"])
  }

  /// Issue 19 defect 19: an empty `--dir` (the working directory) is refused by every sweep
  /// subcommand, naming --dir; nothing is written.
  @Test func anEmptySweepDirectoryIsRefusedNamingDir() throws {
    let directory = temporaryDirectory("empty-dir")
    let spec = (directory as NSString).appendingPathComponent("spec.yaml")
    try "base: {epochs: 1}\naxes: {lr: [0.1, 0.2]}\n".write(
      toFile: spec, atomically: false, encoding: .utf8)
    for sub in [["plan"], ["status"], ["local"], ["slurm", "--dry-run"], ["report"]] {
      expectRefused(["sweep"] + sub + [spec, "--dir", ""], naming: ["--dir", "empty"])
    }
  }

  /// Issue 19 defect 15: `compare --pair-indices` refuses a pair given twice (in either order),
  /// as `measure` refuses a repeated index.
  @Test func aRepeatedPairIndexIsRefused() {
    for text in ["25342:2219,25342:2219", "1:2,3:4,2:1"] {
      #expect(throws: ValidationError.self) { try Compare.parsePairs(text) }
    }
    #expect(throws: Never.self) { try Compare.parsePairs("1:2,3:4") }
    expectRefused(
      ["compare", "--checkpoint", "x", "--pair-indices", "5:6,5:6"],
      naming: ["--pair-indices", "5:6", "twice"])
  }

  /// Issue 19 defect 5: `--perturb` past 10³ (which overflowed the Hessian into LAPACK's
  /// "dsyevd: argument 5 had an illegal value") is refused naming it; 10³ itself runs.
  @Test func aPerturbationThatOverflowsIsRefusedNamingPerturb() {
    for value in ["1e300", "1e200", "1001"] {
      for extra in [[], ["--classes", "3"]] {
        expectRefused(
          ["solve", "--L", "2", "--lambda", "0.01", "--D", "8", "--perturb", value, "--hessian"]
            + extra, naming: ["--perturb", "0…1.0e+03"])
      }
    }
  }

  /// Issue 19 defect 7: a Δx whose norm is outside 1e-50…1e50 (where the reduced oracle
  /// overflowed to f* = ∞) is refused naming --dx and the range; the ends of the range run.
  @Test func aDxOutsideTheOraclesRangeIsRefusedNamingDx() throws {
    let directory = temporaryDirectory("dx-range")
    for (name, text) in [
      ("tiny", "1e-200 0"), ("huge", "1e150 0"), ("overflow", "1e308 1e308"),
      ("subnormal", "1e-320 0"),
    ] {
      let path = (directory as NSString).appendingPathComponent(name + ".txt")
      try text.write(toFile: path, atomically: false, encoding: .utf8)
      let error = #expect(throws: UsageError.self) { try DxFile.read(path) }
      let message = error?.message ?? ""
      print("--dx \(text): \(message)")
      for culprit in ["--dx", path, "1.0e-50…1.0e+50"] { #expect(message.contains(culprit)) }
      #expect(run(["solve", "--L", "2", "--lambda", "0.01", "--dx", path]).code == 64)
    }
    for text in ["1e-50 0", "0 1e50", "6e-51 6e-51 6e-51 6e-51"] {
      let path = (directory as NSString).appendingPathComponent("end.txt")
      try text.write(toFile: path, atomically: false, encoding: .utf8)
      #expect(throws: Never.self) { _ = try DxFile.read(path) }
    }
  }

  /// Issue 19 defect 6: `--labels` on a directory, a device or a FIFO, `compare --export` or
  /// `--figures` on a file, and a malformed snapshot manifest are each one sentence naming the
  /// file, never Foundation's text ("The operation could not be completed", "You don't have
  /// permission", "The data isn't in the correct format", "A file with the same name").
  @Test func foundationErrorTextNeverReachesTheUser() throws {
    let directory = temporaryDirectory("nserror-text")
    let fifo = (directory as NSString).appendingPathComponent("fifo")
    #expect(mkfifo(fifo, 0o644) == 0)
    let file = (directory as NSString).appendingPathComponent("file")
    try "x".write(toFile: file, atomically: false, encoding: .utf8)
    var messages = [String]()
    for (path, kind) in [
      (directory, "a directory"), ("/dev/zero", "a character device"),
      (fifo, "a FIFO"),
    ] {
      let error = #expect(throws: UsageError.self) { try MulticlassInputFiles.readLabels(path) }
      messages.append(error?.message ?? "")
      #expect(error?.message.contains("--labels \(path)") == true)
      #expect(error?.message.contains(kind) == true)
    }
    for option in ["--export", "--figures"] {
      let error = #expect(throws: UsageError.self) {
        try Compare.prepareDirectory(file, option: option)
      }
      messages.append(error?.message ?? "")
      #expect(error?.message.contains("\(option) \(file)") == true)
    }
    let run = temporaryDirectory("nserror-run")
    try #"{"x": 1}"#.write(
      toFile: (run as NSString).appendingPathComponent(RunDirectory.manifestName),
      atomically: false, encoding: .utf8)
    let error = #expect(throws: RunDirectoryError.self) { try RunDirectory(path: run).manifest() }
    messages.append(error.map { "\($0)" } ?? "")
    #expect(messages.last?.contains("snapshot.json") == true)
    for message in messages {
      print(message)
      for foundation in [
        "NSError", "NSCocoaErrorDomain", "The operation could not be completed",
        "You don't have permission", "The data isn't", "A file with the same name",
      ] {
        #expect(!message.contains(foundation), "\(message)")
      }
    }
  }
}

/// The `ujm` that `swift build` left in `.build/debug` (nil when there is none).
private let builtUJM: String? = {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  let path = url.appendingPathComponent(".build/debug/ujm").path
  return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()

/// Runs the built `ujm` through bash with `line` after it (bash's `$'…'` makes raw bytes);
/// returns the exit status and standard error.
private func runBuilt(_ ujm: String, _ line: String) throws -> (code: Int32, stderr: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/bash")
  process.arguments = ["-c", "exec \"$0\" " + line, ujm]
  let pipe = Pipe()
  process.standardError = pipe
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite("Hostile arguments: bytes that are not UTF-8, empty values, batches BatchNorm cannot use")
struct HostileArgumentTests {
  @Test func aPathThatIsNotUTF8IsRefusedNamingItsOptionNotReplacedByAnotherName() throws {
    let raw: [[UInt8]] = [Array("evaluate".utf8), Array("--checkpoint".utf8), [0x2f, 0x61, 0xff]]
    let line = try #require(UJMCommand.nonUTF8Refusal(raw))
    print(line)
    #expect(line.hasPrefix("ujm evaluate: error: --checkpoint '/a\\xFF' is not valid UTF-8"))
    #expect(!line.contains("\u{FFFD}") && !line.contains("\n"))
    let equals = try #require(
      UJMCommand.nonUTF8Refusal([
        Array("sweep".utf8), Array("status".utf8), Array("s.yaml".utf8),
        Array("--dir=".utf8) + [0xc3],
      ]))
    #expect(equals.hasPrefix("ujm sweep status: error: --dir '--dir=\\xC3'"))
    #expect(
      UJMCommand.nonUTF8Refusal([Array("train".utf8), Array("--output".utf8), Array("é".utf8)])
        == nil)
    guard let ujm = builtUJM else {
      print("skipped the end-to-end half: no .build/debug/ujm (swift build --product ujm)")
      return
    }
    let (code, stderr) = try runBuilt(
      ujm, #"evaluate --checkpoint $'/nonexistent/ck\xff' --data /tmp"#)
    print("built ujm: exit \(code): \(stderr)")
    #expect(code == 64)
    #expect(stderr.contains("--checkpoint") && stderr.contains("not valid UTF-8"))
    #expect(!stderr.contains("\u{FFFD}") && stderr.split(separator: "\n").count == 1)
  }

  @Test func anEmptyOptionValueIsRefusedSayingItMustNotBeEmpty() throws {
    #expect(
      UJMCommand.emptyValueRefusal(["train", "--epochs", "1", "--output", ""])
        == "--output must not be empty")
    #expect(UJMCommand.emptyValueRefusal(["train", "--output="]) == "--output must not be empty")
    #expect(UJMCommand.emptyValueRefusal(["sweep", "plan", ""]) == "argument 3 must not be empty")
    #expect(UJMCommand.emptyValueRefusal(["train", "--output", "run"]) == nil)
    guard let ujm = builtUJM else {
      print("skipped the end-to-end half: no .build/debug/ujm (swift build --product ujm)")
      return
    }
    for line in [
      #"train --epochs 1 --output """#, "rsvd --input m.npy --rank 1 --vectors=",
      #"sweep status s.yaml --dir """#,
    ] {
      let (code, stderr) = try runBuilt(ujm, line)
      print("ujm \(line): exit \(code): \(stderr)")
      #expect(code == 64)
      #expect(stderr.hasSuffix("must not be empty\n") && stderr.split(separator: "\n").count == 1)
    }
  }

  @Test func aNegativeIndexIsOutOfRangeNotAMissingValue() {
    for arguments in [
      ["measure", "--checkpoint", "x", "--indices", "-1"],
      ["measure", "--checkpoint", "x", "--indices", "3,-1"],
    ] {
      expectRefused(arguments, naming: ["--indices", "-1", "out of range"])
    }
    expectRefused(
      ["compare", "--checkpoint", "x", "--pair-indices", "-1:2"],
      naming: ["--pair-indices", "-1:2"])
    expectRefused(
      ["compare", "--checkpoint", "x", "--classes", "-1,2"], naming: ["--classes", "-1,2"])
  }

  @Test func compareOutputDirectoriesThatAreFilesAreNamedWithoutFoundationText() throws {
    let file = (temporaryDirectory("hostile-compare-out") as NSString)
      .appendingPathComponent("plain")
    try "a file".write(toFile: file, atomically: true, encoding: .utf8)
    for option in ["--export", "--figures"] {
      let (code, message) = run(["compare", "--checkpoint", "/nonexistent", option, file])
      print("compare \(option): exit \(code): \(message)")
      #expect(code == 64)
      #expect(
        message == "\(option) \(file): cannot be created (\(file): exists and is a regular file)")
    }
  }

  @Test func aBatchThatGivesBatchNormOneValuePerChannelIsRefusedAsPyTorchRefusesIt() throws {
    let data = temporaryDirectory("hostile-batch-data")
    writeSyntheticImageData(to: data, train: 17, test: 6, side: 4, classes: 3)
    let base = ["train", "--epochs", "1", "--blocks", "1", "--width", "8", "--data", data]
    expectRefused(
      base + ["--batch-size", "1", "--output", temporaryDirectory("b1")],
      naming: ["--batch-size 1", "BatchNorm", "one value per channel"])
    // 17 = 16 + 1 and 17 = 4·4 + 1: the last batch of each epoch is one example.
    for b in ["16", "4"] {
      expectRefused(
        base + ["--batch-size", b, "--output", temporaryDirectory("b\(b)")],
        naming: ["--batch-size \(b)", "last batch", "17 training examples", "BatchNorm"])
    }
    // 17 = 5·3 + 2: every batch has two examples or more.
    let (code, message) = run(base + ["--batch-size", "5", "--output", temporaryDirectory("b5")])
    print("--batch-size 5: exit \(code) \(message)")
    #expect(code == 0)
    // A convolutional network's BatchNorm2d sees N·H·W values per channel: one 8×8 image gives
    // its smallest feature maps (4×4) 16, so a batch of one is well defined and accepted.
    let images = temporaryDirectory("hostile-batch-conv-data")
    writeSyntheticImageData(to: images, train: 17, test: 6, side: 8, classes: 3)
    let conv = run([
      "train", "--type", "5a", "--epochs", "1", "--max-steps", "1", "--batch-size", "1",
      "--data", images, "--output", temporaryDirectory("b1-conv"),
    ])
    print("--type 5a --batch-size 1: exit \(conv.code) \(conv.message)")
    #expect(conv.code == 0)
  }
}
