import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An exclusive advisory lock on a file (`flock(2)`), held while this value lives, with the
/// owner's process id and host name written into the file so that a refused caller can say who
/// holds it. The kernel releases the lock when the owner exits, however it exits (a `kill -9`
/// included): a lock file left by a dead process is stale and is simply taken over.
public final class FileLock: @unchecked Sendable {
  /// Who holds a lock: the contents of the lock file.
  public struct Owner: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    public var host: String
    public var description: String { "process \(pid) on \(host)" }
  }

  /// Why a lock could not be taken.
  public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another live process holds it.
    case held(path: String, by: Owner?)
    /// The lock file cannot be created or opened (a read-only directory, say).
    case unavailable(path: String, reason: String)

    public var description: String {
      switch self {
      case .held(let path, let owner):
        "\(path) is locked by \(owner.map(\.description) ?? "another process") (a run in progress)"
      case .unavailable(let path, let reason): "\(path): cannot create the lock file (\(reason))"
      }
    }
  }

  public let path: String
  private let descriptor: Int32

  /// Takes the lock at `path` without waiting.
  public init(path: String) throws(Failure) {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw .unavailable(path: path, reason: String(cString: strerror(errno)))
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let owner = Self.owner(at: path)
      close(fd)
      throw .held(path: path, by: owner)
    }
    let text = "\(getpid()) \(Self.hostName)\n"
    _ = ftruncate(fd, 0)
    let written = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    if written < 0 {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw .unavailable(path: path, reason: reason)
    }
    self.path = path
    self.descriptor = fd
  }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }

  /// The owner recorded in a lock file, if it can be read.
  public static func owner(at path: String) -> Owner? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    let parts = text.split(whereSeparator: \.isWhitespace)
    guard parts.count >= 2, let pid = Int32(parts[0]) else { return nil }
    return Owner(pid: pid, host: String(parts[1]))
  }

  /// This machine's host name.
  public static var hostName: String { ProcessInfo.processInfo.hostName }
}
