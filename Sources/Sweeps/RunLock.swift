import Foundation
import LinearAlgebra

#if canImport(Glibc)
  import Glibc
#endif

/// Who holds a run's lock: the process id and host name written in the lock file.
public struct LockOwner: Sendable, Equatable, CustomStringConvertible {
  public var pid: Int32
  public var host: String

  public init(pid: Int32, host: String) {
    self.pid = pid
    self.host = host
  }

  /// The current process.
  public static var current: LockOwner {
    LockOwner(pid: getpid(), host: ProcessInfo.processInfo.hostName)
  }

  public var description: String { "pid \(pid) on \(host)" }

  /// `"<pid> <host>\n"`, the lock file's contents.
  var text: String { "\(pid) \(host)\n" }

  init?(text: String) {
    let parts = text.split(whereSeparator: \.isWhitespace)
    guard parts.count == 2, let pid = Int32(parts[0]) else { return nil }
    self.init(pid: pid, host: String(parts[1]))
  }
}

/// Why a run's lock could not be taken.
public enum RunLockError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Another live process holds it.
  case held(path: String, owner: LockOwner?)
  /// The lock file cannot be opened or locked.
  case unusable(path: String, reason: String)

  public var description: String {
    switch self {
    case .held(let path, let owner):
      "\(path): the run is held by " + (owner.map(\.description) ?? "another process")
    case .unusable(let path, let reason): "\(path): cannot be locked (\(reason))"
    }
  }
}

/// The lock of one run directory: a file holding the owner's pid and host, locked with
/// `flock(2)` while the owner lives. A lock file that is not a regular file (a FIFO, a symbolic
/// link) is refused without blocking and without writing through it.
///
/// The kernel releases a `flock` when its holder dies (also on `kill -9`), so a lock left by a
/// killed run is stale by construction and the next process takes it over, rewriting the pid and
/// host. Two live processes never both hold it. `flock` also works over NFS on Linux (as POSIX
/// locks), where clusters keep sweep directories.
public final class RunLock: @unchecked Sendable {
  public let path: String
  private var descriptor: Int32

  private init(path: String, descriptor: Int32) {
    self.path = path
    self.descriptor = descriptor
  }

  deinit { release() }

  /// Takes the lock at `path` without waiting; throws `.held` with the owner when a live process
  /// holds it.
  public static func acquire(at path: String) throws(RunLockError) -> RunLock {
    let fd: Int32
    do { fd = try FileLock.openLockFile(path) } catch {
      throw .unusable(path: path, reason: error.reason)
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let code = errno
      close(fd)
      if code == EWOULDBLOCK { throw .held(path: path, owner: owner(at: path)) }
      throw .unusable(path: path, reason: String(cString: strerror(code)))
    }
    let bytes = Array(LockOwner.current.text.utf8)
    _ = ftruncate(fd, 0)
    let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    guard written == bytes.count else {
      close(fd)
      throw .unusable(path: path, reason: "cannot write the owner")
    }
    return RunLock(path: path, descriptor: fd)
  }

  /// Releases the lock (the file stays, holding the last owner, for `sweep status`).
  public func release() {
    guard descriptor >= 0 else { return }
    flock(descriptor, LOCK_UN)
    close(descriptor)
    descriptor = -1
  }

  /// Whether a live process holds the lock at `path` (false when there is no lock file).
  public static func isHeld(at path: String) -> Bool {
    guard let fd = try? RegularFile.open(path).descriptor else { return false }
    defer { close(fd) }
    if flock(fd, LOCK_SH | LOCK_NB) == 0 {
      flock(fd, LOCK_UN)
      return false
    }
    return errno == EWOULDBLOCK
  }

  /// The pid and host written in the lock file at `path`.
  public static func owner(at path: String) -> LockOwner? {
    guard let text = try? RegularFile.text(path, maximumBytes: 4096) else { return nil }
    return LockOwner(text: text)
  }
}
