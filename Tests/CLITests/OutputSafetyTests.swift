import ArgumentParser
import Empirical
import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import UJMCommandLine

/// Parses and runs `arguments` in-process; the exit code and the one-line message on failure.
private func run(_ arguments: [String]) -> (code: Int32, line: String) {
  do {
    var command = try UJMCommand.parseAsRoot(arguments)
    if var train = command as? Train {
      try train.execute()
      command = train
    } else {
      try command.run()
    }
    return (0, "")
  } catch let error as UsageError {
    return (64, "ujm: error: " + error.message)
  } catch let error as RunFailure {
    return (error.exitCode, "ujm: error: " + error.message)
  } catch {
    return (
      UJMCommand.exitCode(for: error).rawValue,
      UJMCommand.errorLine(for: error, arguments: arguments)
    )
  }
}

/// Mounts a tmpfs of `size` at a new directory (root only); nil with a printed reason otherwise.
private func mountTmpfs(_ options: String) -> String? {
  guard getuid() == 0 else {
    print("skipped: mounting a tmpfs needs root")
    return nil
  }
  let point = temporaryDirectory("tmpfs")
  let mount = Process()
  mount.executableURL = URL(fileURLWithPath: "/bin/mount")
  mount.arguments = ["-t", "tmpfs", "-o", options, "tmpfs", point]
  guard (try? mount.run()) != nil else { return nil }
  mount.waitUntilExit()
  guard mount.terminationStatus == 0 else {
    print("skipped: mount -t tmpfs -o \(options) failed with status \(mount.terminationStatus)")
    return nil
  }
  return point
}

private func unmount(_ point: String) {
  let umount = Process()
  umount.executableURL = URL(fileURLWithPath: "/bin/umount")
  umount.arguments = [point]
  try? umount.run()
  umount.waitUntilExit()
}

private let tiny = ["--blocks", "1", "--width", "8", "--batch-size", "16", "--classes", "0,1,2"]

@Suite("Outputs are checked before any work and never destroyed (issue 10)", .serialized)
struct OutputSafetyTests {
  @Test func aRunDirectoryInUseIsRefusedNamingItsOwner() throws {
    let data = temporaryDirectory("lock-data")
    writeSyntheticImageData(to: data, train: 48, test: 12, side: 4, classes: 3)
    let output = temporaryDirectory("lock-run")
    let held = try RunDirectory(path: output).lock()
    let (code, line) = run(["train", "--epochs", "1", "--data", data, "--output", output] + tiny)
    print(line)
    #expect(code == 64)
    #expect(line.contains("in use by process \(getpid())"))
    _ = held
  }

  @Test func anOutputThatIsAFileOrUnderAFileIsRefusedBeforeTraining() throws {
    let directory = temporaryDirectory("output-file")
    let file = (directory as NSString).appendingPathComponent("plain")
    FileManager.default.createFile(atPath: file, contents: Data([1]))
    for output in [file, (file as NSString).appendingPathComponent("sub")] {
      let (code, line) = run(["train", "--epochs", "1", "--output", output] + tiny)
      print(line)
      #expect(code == 64 && line.contains(output.prefix(20)))
    }
  }

  @Test func aReadOnlyOrFullFileSystemIsRefusedBeforeTraining() throws {
    let data = temporaryDirectory("ro-data")
    writeSyntheticImageData(to: data, train: 48, test: 12, side: 4, classes: 3)
    if let readOnly = mountTmpfs("ro,size=64k") {
      defer { unmount(readOnly) }
      let (code, line) = run(
        ["train", "--epochs", "1", "--data", data, "--output", readOnly + "/run"] + tiny)
      print(line)
      #expect(code == 64 && line.contains("Read-only file system"))
    }
    if let small = mountTmpfs("size=16k") {
      defer { unmount(small) }
      let (code, line) = run(
        ["train", "--epochs", "1", "--data", data, "--output", small + "/run", "--width", "64"]
          + tiny)
      print(line)
      #expect(code == 64 && line.contains("MiB free") || line.contains("No space left"))
    }
  }

  @Test func solveOutputRefusesAUsersFileAndASymlink() throws {
    let directory = temporaryDirectory("solve-output")
    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
    let fifo = path("fifo")
    #expect(mkfifo(fifo, 0o644) == 0)
    let device = path("null")
    try FileManager.default.createSymbolicLink(atPath: device, withDestinationPath: "/dev/null")
    let base = ["solve", "--L", "2", "--lambda", "0.1", "--D", "4", "--output"]
    for target in [fifo, device] {
      #expect(run(base + [target]).code == 64)
    }
    var info = stat()
    #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
    // A user's file, a link to it and a dangling link are refused, naming the option and file.
    try "precious".write(toFile: path("mine.txt"), atomically: false, encoding: .utf8)
    try FileManager.default.createSymbolicLink(
      atPath: path("link.json"), withDestinationPath: path("mine.txt"))
    try FileManager.default.createSymbolicLink(
      atPath: path("dangling"), withDestinationPath: "nonexistent-dir/x")
    for target in [path("mine.txt"), path("link.json"), path("dangling")] {
      let (code, line) = run(base + [target])
      print(line)
      #expect(code == 64)  // the line, naming --output and the file, is on stderr
    }
    #expect(try String(contentsOfFile: path("mine.txt"), encoding: .utf8) == "precious")
    #expect(!FileManager.default.fileExists(atPath: path("nonexistent-dir")))
    // Its own output, re-run.
    #expect(run(base + [path("report.json")]).code == 0)
    #expect(run(base + [path("report.json")]).code == 0)
    let written = try #require(FileManager.default.contents(atPath: path("report.json")))
    #expect(try JSONSerialization.jsonObject(with: written) is [String: Any])
  }

  @Test func rsvdVectorsRefuseAUsersFile() throws {
    let dir = try rsvdTemporaryDirectory()
    let file = dir.appendingPathComponent("a.npy")
    _ = try RSVDCommandTests().writeSpectrumMatrix(to: file)
    let own = dir.appendingPathComponent("own.npz").path
    try "precious".write(toFile: own, atomically: false, encoding: .utf8)
    let arguments = ["rsvd", "--input", file.path, "--rank", "4", "--vectors"]
    let (code, _) = run(arguments + [own])
    #expect(code == 64)
    #expect(try String(contentsOfFile: own, encoding: .utf8) == "precious")
    let mine = dir.appendingPathComponent("uv.npz").path
    #expect(run(arguments + [mine]).code == 0)
    #expect(run(arguments + [mine]).code == 0)
  }

  @Test func sweepReportCSVRefusesAUsersFileAndRewritesItsOwn() throws {
    let directory = temporaryDirectory("sweep-report-csv")
    let spec = (directory as NSString).appendingPathComponent("spec.yaml")
    try "base: {epochs: 1}\naxes: {lr: [0.1, 0.2]}\n".write(
      toFile: spec, atomically: false, encoding: .utf8)
    let dir = (directory as NSString).appendingPathComponent("sw")
    let user = (directory as NSString).appendingPathComponent("user.csv")
    try "precious".write(toFile: user, atomically: false, encoding: .utf8)
    let (code, _) = run(["sweep", "report", spec, "--dir", dir, "--csv", user])
    #expect(code == 64)
    #expect(try String(contentsOfFile: user, encoding: .utf8) == "precious")
    // ujm's own CSV, even one written before the record existed (recognised by its header).
    let own = (directory as NSString).appendingPathComponent("own.csv")
    #expect(run(["sweep", "report", spec, "--dir", dir, "--csv", own]).code == 0)
    let record = (directory as NSString).appendingPathComponent(OutputFile.recordName)
    try FileManager.default.removeItem(atPath: record)
    #expect(run(["sweep", "report", spec, "--dir", dir, "--csv", own]).code == 0)
  }

  @Test func trainRefusesAUsersLockFile() throws {
    let data = temporaryDirectory("foreign-lock-data")
    writeSyntheticImageData(to: data, train: 48, test: 12, side: 4, classes: 3)
    let output = temporaryDirectory("foreign-lock-run")
    let lock = (output as NSString).appendingPathComponent(".lock")
    try "precious".write(toFile: lock, atomically: false, encoding: .utf8)
    let (code, line) = run(["train", "--epochs", "1", "--data", data, "--output", output] + tiny)
    print(line)
    #expect(code == 64 && line.contains(lock))
    #expect(try String(contentsOfFile: lock, encoding: .utf8) == "precious")
  }

  @Test func aNegativeClassIsNamedNotMissing() {
    let (code, line) = run(["train", "--epochs", "1", "--classes", "-1,2"])
    print(line)
    #expect(code == 64 && line.contains("-1 is not a class"))
  }

  /// Issue 19 defect 2: a full disk is a run failure, exit 1 (the README), not a usage error:
  /// `solve --output` and `rsvd --vectors` onto a filled 300 KiB tmpfs.
  @Test func aFullDiskExitsOneNotSixtyFour() throws {
    guard let small = mountTmpfs("size=300k") else { return }
    defer { unmount(small) }
    let dir = try rsvdTemporaryDirectory()
    let matrix = dir.appendingPathComponent("a.npy")
    _ = try RSVDCommandTests().writeSpectrumMatrix(to: matrix)
    // Fill the file system: write until the kernel says ENOSPC.
    let filler = open(
      (small as NSString).appendingPathComponent("filler"), O_WRONLY | O_CREAT, 0o644)
    let block = [UInt8](repeating: 0, count: 4096)
    while block.withUnsafeBytes({ Glibc.write(filler, $0.baseAddress!, 4096) }) > 0 {}
    close(filler)
    for arguments in [
      ["solve", "--L", "2", "--lambda", "0.1", "--D", "4", "--output", small + "/r.json"],
      ["rsvd", "--input", matrix.path, "--rank", "4", "--vectors", small + "/uv.npz"],
    ] {
      let (code, line) = run(arguments)
      print(line, "exit \(code) (expected 1)")
      #expect(code == 1)  // the line, "…: cannot write (No space left on device)", is on stderr
    }
  }

  /// Issue 19 defect 18: a `train` refused for a user's file leaves no `.lock` behind.
  @Test func aRefusedTrainLeavesNoLockFileInTheUsersDirectory() throws {
    let output = temporaryDirectory("refused-train-lock")
    try "x".write(
      toFile: (output as NSString).appendingPathComponent("notes.txt"), atomically: false,
      encoding: .utf8)
    let (code, line) = run(["train", "--epochs", "1", "--output", output] + tiny)
    print(line)
    #expect(code == 64 && line.contains("notes.txt"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: output) == ["notes.txt"])
  }

  /// Issue 19 defect 1: `solve --output` refuses a name with a newline (exit 64, naming
  /// --output) instead of writing a file it cannot record.
  @Test func anOutputNameWithANewlineIsRefusedNamingTheOption() throws {
    let directory = temporaryDirectory("newline-output")
    let path = (directory as NSString).appendingPathComponent("a\nb.json")
    let (code, line) = run(["solve", "--L", "2", "--lambda", "0.1", "--D", "4", "--output", path])
    print(line)
    #expect(code == 64)  // the line, naming --output and the control character, is on stderr
    #expect(!FileManager.default.fileExists(atPath: path))
    let error = #expect(throws: AtomicWriteError.self) { try OutputFile.check(path) }
    #expect(error?.reason.contains("control character") == true)
  }
}
