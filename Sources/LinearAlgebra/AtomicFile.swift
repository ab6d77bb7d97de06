import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A write that failed: the file, the step that failed and the operating system's reason.
public struct AtomicWriteError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file the caller asked to write.
  public var path: String
  /// What failed, as a phrase: "cannot create a temporary file in /x", "is a FIFO, not a regular file".
  public var reason: String
  /// The operating system's error number when the failure was the storage's (0 otherwise).
  public var errorNumber: Int32

  public init(path: String, reason: String, errorNumber: Int32 = 0) {
    self.path = path
    self.reason = reason
    self.errorNumber = errorNumber
  }

  /// Whether the storage failed (a full disk or quota, a file too large, an I/O error) rather
  /// than the path being one ujm may not write: a run failure (exit 1), not a usage error.
  public var isStorageFailure: Bool {
    [ENOSPC, EDQUOT, EIO, EFBIG].contains(errorNumber)
  }

  public var description: String { "\(path): \(reason)" }
}

/// Writing a file so that readers see either the old contents or the new, never a partial file,
/// and so that a crash or power loss after `write` returns keeps the new contents.
///
/// Goals, in order of priority:
/// 1. Never destroy anything but a regular file: a FIFO, a device node, a socket or a directory at
///    the target is refused with a message saying what is there. A symbolic link is written
///    *through*: its target is replaced (when that is a regular file or does not exist yet), and
///    the link is kept.
/// 2. Atomic and durable: the bytes go to a temporary file beside the target (created with
///    `O_EXCL`), are flushed with `fsync`, renamed over the target, and the directory is flushed.
/// 3. The target keeps its permission bits (and owner, where the caller may set it); a new file
///    gets 0666 less the umask, as `open(2)` gives.
/// 4. Nothing left behind: a failed write removes its temporary file; `removeStaleTemporaries`
///    removes those of a writer that was killed.
public enum AtomicFile {
  /// The marker in temporary file names: `.<name>.tmp-<pid>-<random>`.
  public static let temporaryMarker = ".tmp-"

  /// Writes `bytes` to `path` atomically. `beforeRename` runs after the temporary file is
  /// complete and flushed, before the rename (tests use it to simulate an interruption); if it
  /// throws, the temporary file is removed and `path` is untouched.
  public static func write(
    _ bytes: some Collection<UInt8>, to path: String, beforeRename: () throws -> Void = {}
  ) throws(AtomicWriteError) {
    let target = try resolvedTarget(path)
    let url = URL(fileURLWithPath: target)
    let directory = url.deletingLastPathComponent().path
    do {
      try createDirectory(directory)
    } catch {
      throw AtomicWriteError(path: path, reason: error.reason)
    }
    let temporary = (directory as NSString).appendingPathComponent(
      ".\(url.lastPathComponent)\(temporaryMarker)\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else {
      let code = errno
      throw AtomicWriteError(
        path: path, reason: "cannot create a temporary file in \(directory) (\(errnoText()))",
        errorNumber: code)
    }
    func fail(_ reason: String) -> AtomicWriteError {
      let code = errno
      close(fd)
      unlink(temporary)
      return AtomicWriteError(path: path, reason: reason, errorNumber: code)
    }
    // Keep the permissions (and, where allowed, the owner) of the file being replaced.
    var existing = stat()
    if stat(target, &existing) == 0 {
      _ = fchmod(fd, existing.st_mode & 0o7777)
      _ = fchown(fd, existing.st_uid, existing.st_gid)
    }
    let contiguous = Array(bytes)
    let written: Int = contiguous.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return -1
        }
        offset += n
      }
      return offset
    }
    if written < 0 { throw fail("cannot write (\(errnoText()))") }
    if fsync(fd) != 0 { throw fail("cannot flush to disk (\(errnoText()))") }
    if close(fd) != 0 {
      let code = errno
      unlink(temporary)
      throw AtomicWriteError(
        path: path, reason: "cannot close (\(errnoText()))", errorNumber: code)
    }
    do {
      try beforeRename()
    } catch {
      unlink(temporary)
      throw AtomicWriteError(path: path, reason: "interrupted before the rename (\(error))")
    }
    if rename(temporary, target) != 0 {
      let code = errno
      let reason = errnoText()
      unlink(temporary)
      throw AtomicWriteError(
        path: path, reason: "cannot rename the temporary file over it (\(reason))",
        errorNumber: code)
    }
    syncDirectory(directory)
  }

  /// Creates `directory` and its missing parents (`mkdir -p`), saying which one failed and why.
  public static func createDirectory(_ directory: String) throws(AtomicWriteError) {
    var info = stat()
    if stat(directory, &info) == 0 {
      guard info.st_mode & S_IFMT == S_IFDIR else {
        throw AtomicWriteError(path: directory, reason: "exists and is \(kindName(info.st_mode))")
      }
      return
    }
    // The parent by hand: NSString.deletingLastPathComponent traps on some relative paths.
    var trimmed = Substring(directory)
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    if let slash = trimmed.lastIndex(of: "/") {
      let parent = String(trimmed[..<slash])
      if !parent.isEmpty { try createDirectory(parent) }
    }
    if mkdir(directory, 0o777) != 0 && errno != EEXIST {
      throw AtomicWriteError(
        path: directory, reason: "cannot create the directory \(directory) (\(errnoText()))")
    }
  }

  /// Flushes a directory's entries (after a rename in it) to disk; best effort.
  public static func syncDirectory(_ directory: String) {
    let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 {
      _ = fsync(dfd)
      close(dfd)
    }
  }

  /// Removes temporary files that a killed writer left in `directory`: those named
  /// `.<name>.tmp-<pid>-<n>` whose process is gone (or is this process's own earlier run).
  /// Returns the names removed.
  @discardableResult
  public static func removeStaleTemporaries(in directory: String) -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
      return []
    }
    var removed: [String] = []
    for name in names where name.hasPrefix(".") {
      guard let marker = name.range(of: temporaryMarker, options: .backwards) else { continue }
      let rest = name[marker.upperBound...]
      guard let pidText = rest.split(separator: "-").first, let pid = Int32(pidText) else {
        continue
      }
      if pid != getpid() && isProcessAlive(pid) { continue }
      if unlink((directory as NSString).appendingPathComponent(name)) == 0 { removed.append(name) }
    }
    return removed
  }

  /// Whether a process with this id exists (on this host).
  public static func isProcessAlive(_ pid: Int32) -> Bool {
    pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
  }

  /// What to rename over: `path` itself, or a symbolic link's final target. Refuses anything
  /// that is not a regular file.
  static func resolvedTarget(_ path: String) throws(AtomicWriteError) -> String {
    var info = stat()
    guard lstat(path, &info) == 0 else {
      if errno == ENOENT { return path }
      throw AtomicWriteError(path: path, reason: "cannot be examined (\(errnoText()))")
    }
    let kind = info.st_mode & S_IFMT
    if kind == S_IFREG { return path }
    if kind == S_IFLNK {
      guard let real = realpathOrDanglingTarget(path) else {
        throw AtomicWriteError(path: path, reason: "is a symbolic link that cannot be resolved")
      }
      var targetInfo = stat()
      if stat(real, &targetInfo) != 0 { return real }  // a dangling link: create its target
      guard targetInfo.st_mode & S_IFMT == S_IFREG else {
        throw AtomicWriteError(
          path: path,
          reason: "is a symbolic link to \(real), which is \(kindName(targetInfo.st_mode)), "
            + "not a regular file; refusing to replace it")
      }
      return real
    }
    throw AtomicWriteError(
      path: path, reason: "is \(kindName(info.st_mode)), not a regular file; refusing to replace it"
    )
  }

  private static func realpathOrDanglingTarget(_ path: String) -> String? {
    if let resolved = realpath(path, nil) {
      defer { free(resolved) }
      return String(cString: resolved)
    }
    guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    else { return nil }
    if destination.hasPrefix("/") { return destination }
    return ((path as NSString).deletingLastPathComponent as NSString)
      .appendingPathComponent(destination)
  }

  public static func kindName(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: "a directory"
    case S_IFIFO: "a FIFO"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    case S_IFLNK: "a symbolic link"
    case S_IFREG: "a regular file"
    default: "not a regular file"
    }
  }
}

/// The current `errno` as a sentence fragment ("No space left on device").
func errnoText() -> String { String(cString: strerror(errno)) }

/// An error as a sentence fragment: the POSIX reason of a Foundation file error, without the
/// `NSError` domain, code and user-info dump.
public func reasonText(_ error: any Error) -> String {
  if let decoding = error as? DecodingError { return decodingText(decoding) }
  let ns = error as NSError
  if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError,
    underlying.domain == NSPOSIXErrorDomain
  {
    return String(cString: strerror(Int32(underlying.code)))
  }
  if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
  if ns.domain == NSCocoaErrorDomain {
    // Foundation's own sentences ("The operation could not be completed. (NSCocoaErrorDomain
    // error 256.)", "You don't have permission.") say nothing true or useful; say what failed.
    switch ns.code {
    case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file"
    case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return "permission denied"
    case NSFileWriteFileExistsError: return "a file of that name exists already"
    case NSFileReadCorruptFileError: return "not in the expected format"
    case NSFileWriteOutOfSpaceError: return "no space left on device"
    case NSFileReadUnknownError...NSFileReadUnknownError + 255: return "cannot be read"
    case NSFileWriteUnknownError...NSFileWriteUnknownError + 255: return "cannot be written"
    default: return "error \(ns.code) of Foundation"
    }
  }
  return String(describing: error)
}

/// A JSON decoding failure as a phrase naming the key: "the key 'step' is missing".
func decodingText(_ error: DecodingError) -> String {
  func at(_ context: DecodingError.Context) -> String {
    let path = context.codingPath.map(\.stringValue).joined(separator: ".")
    return path.isEmpty ? "" : " at '\(path)'"
  }
  switch error {
  case .dataCorrupted(let context):
    return context.codingPath.isEmpty ? "not valid JSON" : "an invalid value\(at(context))"
  case .keyNotFound(let key, let context):
    return "the key '\(key.stringValue)' is missing\(at(context))"
  case .typeMismatch(let type, let context):
    return "the value\(at(context)) is not of type \(type)"
  case .valueNotFound(let type, let context):
    return "the value\(at(context)) is null, not of type \(type)"
  @unknown default:
    return "not in the expected JSON format"
  }
}
