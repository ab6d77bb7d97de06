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

    public init(pid: Int32, host: String) {
      self.pid = pid
      self.host = host
    }

    /// The current process on this machine.
    public static var current: Owner { Owner(pid: getpid(), host: FileLock.hostName) }

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
  private var descriptor: Int32

  /// Takes the lock at `path` without waiting.
  public init(path: String) throws(Failure) {
    let fd: Int32
    do { fd = try Self.openLockFile(path) } catch {
      throw .unavailable(path: path, reason: error.reason)
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let code = errno
      close(fd)
      guard code == EWOULDBLOCK else {
        throw .unavailable(path: path, reason: String(cString: strerror(code)))
      }
      throw .held(path: path, by: Self.owner(at: path))
    }
    // Overwrite only ujm's own lock format (empty, or "<pid> <host>"): a user's file named
    // like the lock is refused, never truncated.
    var head = [UInt8](repeating: 0, count: 4096)
    let count = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, 4096, 0) }
    guard count >= 0, Self.isLockText(Array(head[..<count])) else {
      close(fd)
      throw .unavailable(
        path: path,
        reason: "exists and was not written by ujm (not a ujm lock file); remove it")
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

  deinit { release() }

  /// Releases the lock now (the file stays, holding the last owner, for `sweep status`).
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

  /// Opens (creating) the lock file at `path` for reading and writing without blocking and
  /// without following a symbolic link; anything but a regular file is refused, so that a FIFO
  /// cannot hang the caller and a link cannot make it truncate a file it did not create.
  /// The corresponding C functions are `open` (`O_NONBLOCK | O_NOFOLLOW`) and `fstat`.
  public static func openLockFile(_ path: String) throws(InputFileError) -> Int32 {
    let fd = open(path, O_RDWR | O_CREAT | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      let code = errno
      throw InputFileError(
        path: path,
        reason: code == ELOOP
          ? "is a symbolic link, not a regular file" : String(cString: strerror(code)))
    }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      let kind = AtomicFile.kindName(info.st_mode)
      close(fd)
      throw InputFileError(path: path, reason: "is \(kind), not a regular file")
    }
    return fd
  }

  /// Whether `bytes` are a lock file's contents as ujm writes them: empty, or
  /// `<pid> <host>` and a newline.
  static func isLockText(_ bytes: [UInt8]) -> Bool {
    if bytes.isEmpty { return true }
    guard bytes.count < 4096, bytes.last == 0x0a else { return false }
    let parts = String(decoding: bytes.dropLast(), as: UTF8.self).split(
      separator: " ", omittingEmptySubsequences: false)
    return parts.count == 2 && Int32(parts[0]) != nil && !parts[1].isEmpty
      && !parts[1].contains(where: \.isWhitespace)
  }

  /// The owner recorded in a lock file, if it can be read.
  public static func owner(at path: String) -> Owner? {
    guard let text = try? RegularFile.text(path, maximumBytes: 4096) else { return nil }
    let parts = text.split(whereSeparator: \.isWhitespace)
    guard parts.count >= 2, let pid = Int32(parts[0]) else { return nil }
    return Owner(pid: pid, host: String(parts[1]))
  }

  /// This machine's host name.
  public static var hostName: String { ProcessInfo.processInfo.hostName }
}
