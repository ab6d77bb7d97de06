import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The one rule for files ujm writes at a path the user names: a file ujm writes may replace an
/// existing path only if ujm wrote it.
///
/// - A symbolic link at the path is never followed (refused, naming the path); a missing parent
///   directory is an error (no directory is created through a dangling link).
/// - An existing regular file is replaced only when ujm wrote it: its name is listed in the
///   directory's record `recordName` (which `write(_:to:isOurs:)` keeps), or its content
///   carries ujm's mark (`isOurs`: an SVG figure's preamble, a sweep CSV's header, for files ujm
///   wrote before the record existed, committed ones included).
/// - The write itself is `AtomicFile.write`.
/// The signal `OutputFile.holdingTermination` caught (0: none); written by its handler only.
nonisolated(unsafe) private var heldTermination: Int32 = 0
private let terminationLock = NSLock()

public enum OutputFile {
  /// The record in a directory of the names ujm wrote there.
  public static let recordName = ".ujm-outputs"
  static let recordHeader = "# files ujm wrote in this directory; ujm replaces only these"

  /// Refuses `path` unless ujm may write it (see ``OutputFile``); the error's reason is a
  /// sentence fragment ("exists and was not written by ujm; remove it or choose another name").
  public static func check(
    _ path: String, isOurs: (String) -> Bool = { _ in false }
  ) throws(AtomicWriteError) {
    let (directory, name) = split(path)
    guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    else {
      throw AtomicWriteError(
        path: path,
        reason: "its name contains a control character (a newline, a tab); ujm refuses such names")
    }
    var info = stat()
    guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
      throw AtomicWriteError(
        path: path, reason: "its directory \(directory) does not exist or is not a directory")
    }
    _ = try recordedNames(in: directory)  // a foreign record is refused before any work
    guard lstat(path, &info) == 0 else {
      if errno == ENOENT { return }
      throw AtomicWriteError(path: path, reason: "cannot be examined (\(errnoText()))")
    }
    let kind = info.st_mode & S_IFMT
    if kind == S_IFLNK {
      throw AtomicWriteError(
        path: path, reason: "is a symbolic link; ujm does not write through links, remove it")
    }
    guard kind == S_IFREG else {
      throw AtomicWriteError(
        path: path, reason: "is \(AtomicFile.kindName(info.st_mode)), not a regular file")
    }
    if try recordedNames(in: directory).contains(name) || isOurs(path) { return }
    throw AtomicWriteError(
      path: path, reason: "exists and was not written by ujm; remove it or choose another name")
  }

  /// Checks `path` (`check(_:isOurs:)`), writes `bytes` atomically and records the name.
  public static func write(
    _ bytes: some Collection<UInt8>, to path: String, isOurs: (String) -> Bool = { _ in false }
  ) throws(AtomicWriteError) {
    try check(path, isOurs: isOurs)
    try AtomicFile.write(bytes, to: path)
    try record(path)
  }

  /// Writes several outputs as one: every path is checked (`check(_:isOurs:)`) before any is
  /// written, so that a refused path leaves none of the others written (no partial output of a
  /// run that reports an error); a Ctrl-C (SIGINT, SIGTERM, SIGHUP) while they are written is
  /// held until all are (`holdingTermination`), then acts as it would have.
  public static func writeAll(
    _ files: [(path: String, bytes: [UInt8], isOurs: (String) -> Bool)]
  ) throws(AtomicWriteError) {
    for file in files { try check(file.path, isOurs: file.isOurs) }
    let (result, held) = holdingTermination { () -> Result<Void, AtomicWriteError> in
      do throws(AtomicWriteError) {
        for file in files { try write(file.bytes, to: file.path, isOurs: file.isOurs) }
        return .success(())
      } catch {
        return .failure(error)
      }
    }
    if held != 0 { raise(held) }
    try result.get()
  }

  /// Runs `body` with SIGINT, SIGTERM and SIGHUP held: a signal whose action is the default
  /// (termination) is caught and returned, not acted on, so that the caller can finish what
  /// must not be left half done and then `raise` it; a signal the process ignores or handles
  /// itself (a sweep forwarding it) keeps its action. One caller at a time.
  public static func holdingTermination<T>(_ body: () -> T) -> (result: T, held: Int32) {
    terminationLock.lock()
    defer { terminationLock.unlock() }
    heldTermination = 0
    var previous: [(number: Int32, action: sigaction)] = []
    for number in [SIGINT, SIGTERM, SIGHUP] {
      var old = sigaction()
      guard sigaction(number, nil, &old) == 0,
        unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == 0  // SIG_DFL
      else { continue }
      var hold = sigaction()
      hold.__sigaction_handler.sa_handler = { heldTermination = $0 }
      hold.sa_flags = SA_RESTART
      sigemptyset(&hold.sa_mask)
      if sigaction(number, &hold, nil) == 0 { previous.append((number, old)) }
    }
    let result = body()
    for (number, old) in previous {
      var action = old
      sigaction(number, &action, nil)
    }
    return (result, heldTermination)
  }

  /// Adds `path`'s name to its directory's record (a no-op when it is there already). The
  /// read-modify-write runs under an exclusive `flock(2)` on the directory itself (no lock file
  /// is left in the user's directory), so that concurrent writers in one directory lose no name;
  /// the record is replaced atomically (`AtomicFile.write`).
  public static func record(_ path: String) throws(AtomicWriteError) {
    try underDirectoryLock(path) { () throws(AtomicWriteError) in try recordUnlocked(path) }
  }

  /// Opens `path` for appending (created when missing, links not followed) after checking it
  /// (`check(_:isOurs:)`), and records its name, all under the directory's lock: a second
  /// process appending to the same log cannot see it created and not yet recorded (and refuse
  /// it as foreign). Returns the descriptor (close-on-exec, non-blocking).
  public static func openForAppending(_ path: String) throws(AtomicWriteError) -> Int32 {
    try underDirectoryLock(path) { () throws(AtomicWriteError) -> Int32 in
      try check(path)
      let fd = open(
        path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
      guard fd >= 0 else {
        throw AtomicWriteError(path: path, reason: "cannot be opened (\(errnoText()))")
      }
      do throws(AtomicWriteError) {
        try recordUnlocked(path)
      } catch {
        close(fd)
        throw error
      }
      return fd
    }
  }

  /// Runs `body` holding an exclusive `flock(2)` on `path`'s directory (unlocked when the
  /// directory cannot be opened for reading, mode 0300).
  private static func underDirectoryLock<T>(
    _ path: String, _ body: () throws(AtomicWriteError) -> T
  ) throws(AtomicWriteError) -> T {
    let (directory, _) = split(path)
    let lock = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    defer { if lock >= 0 { close(lock) } }
    if lock >= 0 {
      while flock(lock, LOCK_EX) != 0 {
        guard errno == EINTR else {
          throw AtomicWriteError(
            path: path, reason: "its directory cannot be locked (\(errnoText()))")
        }
      }
    }
    defer { if lock >= 0 { flock(lock, LOCK_UN) } }
    return try body()
  }

  private static func recordUnlocked(_ path: String) throws(AtomicWriteError) {
    let (directory, name) = split(path)
    guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    else { return }
    var names = try recordedNames(in: directory)
    if names.contains(name) { return }
    names.insert(name)
    let text = ([recordHeader] + names.sorted()).joined(separator: "\n") + "\n"
    try AtomicFile.write(Array(text.utf8), to: recordPath(directory))
  }

  /// Whether `path` begins with `prefix` (at most 4 KiB read, links not followed).
  public static func begins(_ path: String, with prefix: String) -> Bool {
    let wanted = Array(prefix.utf8)
    guard let head = readHead(path, count: wanted.count) else { return false }
    return head == wanted
  }

  /// Whether `path` looks like an SVG figure ujm drew: its fixed first two lines, an `<svg>`
  /// element with a width, then a white background rectangle.
  public static func isFigure(_ path: String) -> Bool {
    guard let head = readHead(path, count: 4096) else { return false }
    let lines = String(decoding: head, as: UTF8.self).split(
      separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
    return lines.count == 3
      && lines[0].hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
      && lines[1] == "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
  }

  /// Whether `path`'s first line starts with `prefix` and ends with `suffix` (a CSV header ujm
  /// writes).
  public static func hasHeader(_ path: String, prefix: String, suffix: String) -> Bool {
    guard let head = readHead(path, count: 1 << 16) else { return false }
    guard let line = String(decoding: head, as: UTF8.self).split(separator: "\n").first
    else { return false }
    return line.hasPrefix(prefix) && line.hasSuffix(suffix)
  }

  /// The names ujm recorded in `directory`; a record that is not ujm's is refused.
  static func recordedNames(in directory: String) throws(AtomicWriteError) -> Set<String> {
    let path = recordPath(directory)
    var info = stat()
    guard lstat(path, &info) == 0 else { return [] }
    guard info.st_mode & S_IFMT == S_IFREG, let data = readHead(path, count: 1 << 22),
      String(decoding: data, as: UTF8.self).hasPrefix(recordHeader + "\n")
    else {
      throw AtomicWriteError(
        path: path, reason: "exists and was not written by ujm; remove it or choose another name")
    }
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst()
    return Set(lines.map(String.init))
  }

  private static func recordPath(_ directory: String) -> String {
    (directory as NSString).appendingPathComponent(recordName)
  }

  private static func split(_ path: String) -> (directory: String, name: String) {
    var trimmed = Substring(path)
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
    let directory = String(trimmed[..<slash])
    return (directory.isEmpty ? "/" : directory, String(trimmed[trimmed.index(after: slash)...]))
  }

  private static func readHead(_ path: String, count: Int) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
    var buffer = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      let n = buffer.withUnsafeMutableBytes {
        Glibc.read(fd, $0.baseAddress! + filled, count - filled)
      }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      filled += n
    }
    return Array(buffer[..<filled])
  }
}
