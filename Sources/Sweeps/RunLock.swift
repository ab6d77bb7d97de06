import Foundation
import LinearAlgebra

/// Who holds a run's lock: the process id and host name written in the lock file (the one lock
/// type's owner, `FileLock.Owner`).
public typealias LockOwner = FileLock.Owner

/// The lock of one run directory: the one `flock(2)` lock type, `FileLock` — a file holding the
/// owner's pid and host, locked while the owner lives; a lock file that is not a regular file
/// (a FIFO, a symbolic link) is refused without blocking and without writing through it.
///
/// The kernel releases a `flock` when its holder dies (also on `kill -9`), so a lock left by a
/// killed run is stale by construction and the next process takes it over, rewriting the pid and
/// host. Two live processes never both hold it. `flock` also works over NFS on Linux (as POSIX
/// locks), where clusters keep sweep directories.
public typealias RunLock = FileLock

/// Why a run's lock could not be taken.
public enum RunLockError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Another live process holds it.
  case held(path: String, owner: LockOwner?)
  /// The lock file cannot be opened or locked.
  case unusable(path: String, reason: String)

  public var description: String {
    switch self {
    case .held(let path, let owner):
      "\(path): the run is held by "
        + (owner.map { "pid \($0.pid) on \($0.host)" } ?? "another process")
    case .unusable(let path, let reason): "\(path): cannot be locked (\(reason))"
    }
  }
}

extension FileLock {
  /// Takes a run's lock at `path` without waiting; throws `.held` with the owner when a live
  /// process holds it.
  public static func acquire(at path: String) throws(RunLockError) -> FileLock {
    do {
      return try FileLock(path: path)
    } catch {
      switch error {
      case .held(_, let owner): throw .held(path: path, owner: owner)
      case .unavailable(_, let reason): throw .unusable(path: path, reason: reason)
      }
    }
  }
}
