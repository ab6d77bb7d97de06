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
