import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Why an input file was refused before or while it was read: the file and a phrase.
public struct InputFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file as the caller named it.
  public var path: String
  /// What is wrong, as a phrase: "no such file", "is a FIFO, not a regular file".
  public var reason: String

  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  public var description: String { "\(path): \(reason)" }
}

/// Reading input files so that no input can hang or exhaust memory.
///
/// Goals, in order of priority:
/// 1. Never block: the file is opened with `O_NONBLOCK`, so a FIFO with no writer (or a device)
///    is seen for what it is by `fstat` and refused, instead of waiting forever in `open(2)`.
/// 2. Regular files only (symbolic links followed): a FIFO, a device such as `/dev/zero`, a
///    socket or a directory is refused with a sentence saying what is there.
/// 3. Bounded: the size `fstat` gives is checked against the caller's maximum before any byte
///    is read, and reading stops at that maximum whatever the file does meanwhile.
public enum RegularFile {
  /// Opens `path` for reading; returns the descriptor (the caller closes it) and the size.
  /// The corresponding C functions are `open` (with `O_NONBLOCK`) and `fstat`.
  public static func open(_ path: String) throws(InputFileError) -> (descriptor: Int32, size: Int) {
    let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      let code = errno
      throw InputFileError(
        path: path, reason: code == ENOENT ? "no such file" : String(cString: strerror(code)))
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw InputFileError(path: path, reason: reason)
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      close(fd)
      throw InputFileError(
        path: path, reason: "is \(AtomicFile.kindName(info.st_mode)), not a regular file")
    }
    // Regular files ignore O_NONBLOCK; clear it anyway so that reads are ordinary.
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    return (fd, Int(info.st_size))
  }

  /// The whole file at `path`, refused when it is not a regular file or holds more than
  /// `maximumBytes` (`what` names the limit in the message: "a safetensors checkpoint").
  public static func read(_ path: String, maximumBytes: Int, what: String = "an input file")
    throws(InputFileError) -> [UInt8]
  {
    let (fd, size) = try open(path)
    defer { close(fd) }
    guard size <= maximumBytes else {
      throw InputFileError(path: path, reason: tooLarge(size, maximumBytes, what))
    }
    var bytes = [UInt8](repeating: 0, count: size)
    var count = 0
    while true {
      // Reads one byte past the expected size, so that a file that grows is noticed.
      if count == bytes.count {
        guard bytes.count < maximumBytes else {
          var probe: UInt8 = 0
          if Glibc.read(fd, &probe, 1) > 0 {
            throw InputFileError(path: path, reason: tooLarge(count + 1, maximumBytes, what))
          }
          break
        }
        bytes.append(contentsOf: repeatElement(0, count: min(1 << 20, maximumBytes - count)))
      }
      let n = bytes.withUnsafeMutableBytes { buffer in
        Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw InputFileError(path: path, reason: String(cString: strerror(errno)))
      }
      if n == 0 { break }
      count += n
    }
    bytes.removeSubrange(count...)
    return bytes
  }

  /// The text of the file at `path` (UTF-8, invalid bytes replaced), bounded as `read`.
  public static func text(_ path: String, maximumBytes: Int, what: String = "an input file")
    throws(InputFileError) -> String
  {
    String(decoding: try read(path, maximumBytes: maximumBytes, what: what), as: UTF8.self)
  }

  static func tooLarge(_ size: Int, _ maximum: Int, _ what: String) -> String {
    "holds \(size) bytes or more, more than the \(maximum) that \(what) may hold"
  }
}
