import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

private struct Crash: Error {}

private func snapshotFile(_ tag: String, bytes: Int) -> SafeTensorsFile {
  SafeTensorsFile(
    tensors: [
      "x": StoredTensor(shape: [bytes / 4], values: .f32(Array(repeating: 1, count: bytes / 4)))
    ],
    metadata: ["tag": tag])
}

private let hyperparameters = TrainingHyperparameters(
  TrainingConfiguration(architecture: Architecture.preset("4a")!, epochs: 3), classes: [0, 1])

private func commit(
  _ run: RunDirectory, step: Int, bytes: Int = 64, trace: (String) throws -> Void = { _ in }
) throws {
  try run.commit(
    epoch: step, step: step, checkpoint: snapshotFile("c\(step)", bytes: bytes),
    optimizer: snapshotFile("o\(step)", bytes: bytes),
    metricsLines: (1...step).map { "{\"epoch\":\($0)}" }, hyperparameters: hyperparameters,
    trace: trace)
}

/// The names in `directory` that are neither the run's plain files nor the current snapshot's.
private func leftovers(_ run: RunDirectory) throws -> [String] {
  let m = try run.manifest()
  let expected = Set(
    [
      RunDirectory.checkpointName, RunDirectory.optimizerName, RunDirectory.metricsName,
      RunDirectory.manifestName, RunDirectory.lockName,
    ] + [m?.checkpoint, m?.optimizer, m?.metrics].compactMap { $0 })
  return try FileManager.default.contentsOfDirectory(atPath: run.path).filter {
    !expected.contains($0)
  }
}

@Suite("Run directories: one consistent snapshot at every instant (issue 10)")
struct RunDirectoryTests {
  static let phases = [
    "wrote checkpoint", "wrote optimizer", "wrote metrics", "committed", "published", "cleaned",
  ]

  @Test(arguments: phases)
  func aCommitInterruptedAnywhereLeavesOneCompleteSnapshot(phase: String) throws {
    let run = RunDirectory(path: temporaryDirectory("run-crash"))
    try commit(run, step: 1)
    #expect(throws: RunDirectoryError.self) {
      try commit(run, step: 2) { if $0 == phase { throw Crash() } }
    }
    // A new process opens the directory.
    let reopened = RunDirectory(path: run.path)
    let removed = try reopened.recover()
    let snapshot = try #require(try reopened.latestSnapshot { _ in nil })
    let committed = Self.phases.firstIndex(of: phase)! >= Self.phases.firstIndex(of: "committed")!
    let step = committed ? 2 : 1
    print(
      "interrupted after '\(phase)': snapshot of step \(try reopened.manifest()!.step), removed \(removed)"
    )
    #expect(try reopened.manifest()?.step == step)
    #expect(snapshot.metricsLines.count == step)
    let checkpoint = try SafeTensorsFile(contentsOf: snapshot.checkpointPath)
    #expect(checkpoint.metadata["tag"] == "c\(step)")
    // The plain names are the snapshot's files, as regular files.
    let plain = try SafeTensorsFile(
      contentsOf: (run.path as NSString).appendingPathComponent(RunDirectory.checkpointName))
    #expect(plain.metadata["tag"] == "c\(step)")
    let optimizer = try SafeTensorsFile(
      contentsOf: (run.path as NSString).appendingPathComponent(RunDirectory.optimizerName))
    #expect(optimizer.metadata["tag"] == "o\(step)")
    let metrics = try String(
      contentsOfFile: (run.path as NSString).appendingPathComponent(RunDirectory.metricsName),
      encoding: .utf8)
    #expect(metrics.split(separator: "\n").count == step)
    #expect(try leftovers(reopened) == [])
  }

  @Test func aManifestNamingFilesOutsideTheDirectoryIsRefusedAndTouchesNothing() throws {
    let root = temporaryDirectory("run-traversal")
    let run = RunDirectory(path: (root as NSString).appendingPathComponent("run"))
    try FileManager.default.createDirectory(atPath: run.path, withIntermediateDirectories: true)
    try commit(run, step: 1)
    let outside = (root as NSString).appendingPathComponent("precious.safetensors")
    try FileManager.default.copyItem(
      atPath: run.file(".snapshot-1.checkpoint.safetensors"), toPath: outside)
    let manifestPath = run.file(RunDirectory.manifestName)
    var object = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
        as? [String: Any])
    object["checkpoint"] = "../precious.safetensors"
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: manifestPath))
    #expect(throws: RunDirectoryError.self) { try run.latestSnapshot { _ in nil } }
    do { _ = try run.latestSnapshot { _ in nil } } catch {
      print("crafted manifest: \(error)")
      #expect("\(error)".contains("../precious.safetensors"))
    }
    // A later commit does not take the crafted names as the previous snapshot to remove.
    try commit(run, step: 2)
    #expect(FileManager.default.fileExists(atPath: outside))
  }

  @Test func aDirectoryWithoutSnapshotHasNoneAndAFileIsNoRunDirectory() throws {
    let run = RunDirectory(path: temporaryDirectory("run-empty"))
    try run.prepare()
    #expect(try run.latestSnapshot { _ in nil } == nil)
    let file = (run.path as NSString).appendingPathComponent("plain")
    FileManager.default.createFile(atPath: file, contents: Data([1]))
    #expect(throws: RunDirectoryError.self) { try RunDirectory(path: file).prepare() }
  }

  @Test func theLockIsExclusiveNamesItsOwnerAndIsReleasedWithIt() throws {
    let run = RunDirectory(path: temporaryDirectory("run-lock"))
    try run.prepare()
    var first: FileLock? = try run.lock()
    do {
      _ = try run.lock()
      Issue.record("a second lock was granted")
    } catch {
      print("second lock: \(error)")
      #expect("\(error)".contains("process \(getpid())"))
    }
    first = nil
    _ = first
    #expect(throws: Never.self) { _ = try run.lock() }
  }

  @Test func aStaleLockFileOfADeadProcessIsTakenOver() throws {
    let run = RunDirectory(path: temporaryDirectory("run-stale"))
    try run.prepare()
    // A lock file written by a process that no longer holds it (killed with -9).
    let path = (run.path as NSString).appendingPathComponent(RunDirectory.lockName)
    try "999999 elsewhere\n".write(toFile: path, atomically: false, encoding: .utf8)
    let lock = try run.lock()
    #expect(FileLock.owner(at: path)?.pid == getpid())
    _ = lock
  }

  @Test func hyperparameterDifferencesAreNamedAsOptions() {
    var other = hyperparameters
    other.lr = 0.05
    other.weightDecayScope = "weights"
    let names = hyperparameters.differences(from: other).map(\.name)
    #expect(names == ["lr", "weight-decay-scope"])
    #expect(hyperparameters.differences(from: hyperparameters).isEmpty)
  }

  /// A full disk: a 320 KiB tmpfs (mounted by the test when it runs as root) holds one
  /// snapshot; the next fails with ENOSPC, and the first is intact and nothing is left behind.
  @Test func aFullDiskFailsTheCommitAndKeepsThePreviousSnapshot() throws {
    guard getuid() == 0 else {
      print("skipped: mounting a small tmpfs needs root")
      return
    }
    let mountPoint = temporaryDirectory("run-full")
    let mount = Process()
    mount.executableURL = URL(fileURLWithPath: "/bin/mount")
    mount.arguments = ["-t", "tmpfs", "-o", "size=320k", "tmpfs", mountPoint]
    try mount.run()
    mount.waitUntilExit()
    guard mount.terminationStatus == 0 else {
      print(
        "skipped: mount -t tmpfs failed (status \(mount.terminationStatus)); no full disk to test")
      return
    }
    defer {
      let umount = Process()
      umount.executableURL = URL(fileURLWithPath: "/bin/umount")
      umount.arguments = [mountPoint]
      try? umount.run()
      umount.waitUntilExit()
    }
    let run = RunDirectory(path: mountPoint)
    try commit(run, step: 1, bytes: 100_000)
    do {
      try commit(run, step: 2, bytes: 100_000)
      Issue.record("a snapshot was written to a full disk")
    } catch {
      print("full disk: \(error)")
      #expect("\(error)".contains("No space left on device"))
    }
    let reopened = RunDirectory(path: mountPoint)
    try reopened.recover()
    #expect(try reopened.manifest()?.step == 1)
    #expect(try leftovers(reopened) == [])
  }
}

@Suite("Atomic writes respect their target (issue 10)")
struct AtomicFileTests {
  @Test func aFIFOADirectoryAndADeviceAreRefusedAndLeftInPlace() throws {
    let directory = temporaryDirectory("atomic-targets")
    let fifo = (directory as NSString).appendingPathComponent("fifo")
    #expect(mkfifo(fifo, 0o644) == 0)
    let sub = (directory as NSString).appendingPathComponent("sub")
    try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
    let device = (directory as NSString).appendingPathComponent("null-link")
    try FileManager.default.createSymbolicLink(atPath: device, withDestinationPath: "/dev/null")
    for (path, kind) in [(fifo, "a FIFO"), (sub, "a directory"), (device, "a character device")] {
      do {
        try AtomicFile.write([1, 2, 3], to: path)
        Issue.record("\(path) was replaced")
      } catch {
        print("refused: \(error)")
        #expect(error.reason.contains(kind))
      }
    }
    var info = stat()
    #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
    #expect(lstat(device, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
  }

  @Test func aSymbolicLinkIsWrittenThroughAndPermissionsAreKept() throws {
    let directory = temporaryDirectory("atomic-link")
    let target = (directory as NSString).appendingPathComponent("target")
    FileManager.default.createFile(atPath: target, contents: Data([0]))
    #expect(chmod(target, 0o600) == 0)
    let link = (directory as NSString).appendingPathComponent("link")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
    try AtomicFile.write([7, 8], to: link)
    #expect(FileManager.default.contents(atPath: target) == Data([7, 8]))
    var info = stat()
    #expect(lstat(link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
    #expect(stat(target, &info) == 0 && info.st_mode & 0o777 == 0o600)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["link", "target"])
  }

  @Test func staleTemporariesOfADeadWriterAreRemoved() throws {
    let directory = temporaryDirectory("atomic-stale")
    let stale = (directory as NSString).appendingPathComponent(".x.tmp-999999-1")
    FileManager.default.createFile(atPath: stale, contents: Data([1]))
    let live = (directory as NSString).appendingPathComponent(".y.tmp-1-1")  // pid 1 is alive
    FileManager.default.createFile(atPath: live, contents: Data([1]))
    #expect(AtomicFile.removeStaleTemporaries(in: directory) == [".x.tmp-999999-1"])
    #expect(FileManager.default.fileExists(atPath: live))
  }
}

@Suite("Directories are created as asked (regression: a one-component relative --output trapped)")
struct CreateDirectoryTests {
  @Test(arguments: ["single", "trailing/", "./dotted", "nested/sub/dir"])
  func relativeAndNestedPathsAreCreated(shape: String) throws {
    let base = "ujm-relative-\(UUID().uuidString)"
    let path = shape.hasPrefix("./") ? "./\(base)-" + shape.dropFirst(2) : "\(base)-\(shape)"
    defer {
      try? FileManager.default.removeItem(
        atPath: String(
          path.split(separator: "/").first == "."
            ? path.split(separator: "/")[1] : path.split(separator: "/")[0]))
    }
    try AtomicFile.createDirectory(path)
    var isDirectory: ObjCBool = false
    #expect(
      FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        && isDirectory.boolValue)
  }
}
