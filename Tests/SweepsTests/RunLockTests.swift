import Foundation
import Testing

@testable import Sweeps

@Suite("Run lock: one owner at a time, pid and host recorded, dead owners taken over")
struct RunLockTests {
  func path() -> String {
    let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent(
      "ujm-lock-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return (dir as NSString).appendingPathComponent("sweep.lock")
  }

  @Test func secondAcquireIsRefusedNamingTheOwner() throws {
    let p = path()
    let first = try RunLock.acquire(at: p)
    #expect(RunLock.isHeld(at: p))
    #expect(RunLock.owner(at: p) == LockOwner.current)
    #expect(throws: RunLockError.held(path: p, owner: LockOwner.current)) {
      _ = try RunLock.acquire(at: p)
    }
    first.release()
    #expect(!RunLock.isHeld(at: p))
    let again = try RunLock.acquire(at: p)
    again.release()
  }

  @Test func lockLeftByADeadProcessIsTakenOver() throws {
    let p = path()
    // A lock file as a killed owner leaves it: its pid and host, no live flock.
    try "999999 some-node\n".write(toFile: p, atomically: true, encoding: .utf8)
    #expect(!RunLock.isHeld(at: p))
    let lock = try RunLock.acquire(at: p)
    #expect(RunLock.owner(at: p) == LockOwner.current)
    lock.release()
  }

  @Test(
    .enabled(
      if: FileManager.default.isExecutableFile(atPath: "/usr/bin/flock"),
      "needs util-linux's flock(1) to hold the lock from another process"))
  func lockHeldByAnotherProcessIsRefused() throws {
    let p = path()
    let holder = Process()
    holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
    holder.arguments = [p, "sleep", "20"]
    try holder.run()
    defer {
      for child in children(of: holder.processIdentifier) { kill(child, SIGKILL) }
      holder.terminate()
      holder.waitUntilExit()
    }
    let deadline = Date().addingTimeInterval(10)
    while !RunLock.isHeld(at: p) && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    #expect(RunLock.isHeld(at: p))
    #expect(throws: RunLockError.self) { _ = try RunLock.acquire(at: p) }
  }
}

@Suite("Run lock: a lock file that is not a regular file is refused, without blocking or writing")
struct RunLockHostileFileTests {
  func directory() -> String {
    let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent(
      "ujm-lock-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test func fifoAsSweepLockIsRefusedWithoutBlocking() throws {
    let p = (directory() as NSString).appendingPathComponent("sweep.lock")
    try #require(mkfifo(p, 0o644) == 0)
    let started = ContinuousClock.now
    // Should a call block opening the FIFO for reading, this writer unblocks it after 20 s, so
    // the test fails on the time taken instead of hanging.
    DispatchQueue.global().asyncAfter(deadline: .now() + 20) {
      let fd = open(p, O_WRONLY | O_NONBLOCK)
      if fd >= 0 { close(fd) }
    }
    #expect(throws: RunLockError.unusable(path: p, reason: "is a FIFO, not a regular file")) {
      _ = try RunLock.acquire(at: p)
    }
    #expect(!RunLock.isHeld(at: p))
    #expect(RunLock.owner(at: p) == nil)
    #expect(ContinuousClock.now - started < .seconds(20), "blocked on the FIFO")
  }

  @Test func symbolicLinkAsSweepLockIsRefusedAndItsTargetKept() throws {
    let dir = directory()
    let victim = (dir as NSString).appendingPathComponent("precious.txt")
    try "do not truncate me\n".write(toFile: victim, atomically: true, encoding: .utf8)
    let p = (dir as NSString).appendingPathComponent("sweep.lock")
    try FileManager.default.createSymbolicLink(atPath: p, withDestinationPath: victim)
    #expect(
      throws: RunLockError.unusable(path: p, reason: "is a symbolic link, not a regular file")
    ) { _ = try RunLock.acquire(at: p) }
    #expect(try String(contentsOfFile: victim, encoding: .utf8) == "do not truncate me\n")
  }

  @Test func fifoAsARunsLogIsRefusedWithoutBlocking() throws {
    let (plan, _, _) = tinySweep("fifo-log", axes: "seed: [0]")
    let run = plan.runs[0]
    try FileManager.default.createDirectory(
      atPath: run.directory, withIntermediateDirectories: true)
    let log = SweepRunDirectory(path: run.directory).log
    try #require(mkfifo(log, 0o644) == 0)
    DispatchQueue.global().asyncAfter(deadline: .now() + 20) {
      let fd = open(log, O_RDONLY | O_NONBLOCK)  // a reader would unblock a writer stuck in open
      if fd >= 0 { close(fd) }
    }
    let started = ContinuousClock.now
    #expect(throws: RunError.cannotWrite(path: log, reason: "is a FIFO, not a regular file")) {
      _ = try RunExecutor(ujm: "/nonexistent").execute(run, of: plan.spec)
    }
    #expect(ContinuousClock.now - started < .seconds(20), "blocked on the FIFO")
  }

  /// Issue 19 defect 26: a run directory that is a regular file is failed in `sweep status`,
  /// as in `sweep local` (which cannot start it), not pending; an absent one is pending.
  @Test func aRunDirectoryThatIsAFileIsFailedNotPending() throws {
    let parent = (NSTemporaryDirectory() as NSString).appendingPathComponent(
      "ujm-run-file-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    let file = (parent as NSString).appendingPathComponent("0-deadbeef")
    try "x".write(toFile: file, atomically: false, encoding: .utf8)
    #expect(SweepRunDirectory(path: file).status == .failed)
    let absent = (parent as NSString).appendingPathComponent("1-deadbeef")
    #expect(SweepRunDirectory(path: absent).status == .pending)
  }
}
