import Foundation

/// A write that failed, with the operating system's reason.
public struct AtomicWriteError: Error, Sendable, Equatable {
  public var reason: String
}

/// Writing a file so that readers see either the old contents or the new, never a partial file.
public enum AtomicFile {
  /// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
  /// `beforeRename` runs between the two steps (tests use it to simulate an interruption); if it
  /// throws, the temporary file is removed and `path` is untouched.
  public static func write(
    _ bytes: [UInt8], to path: String, beforeRename: () throws -> Void = {}
  ) throws(AtomicWriteError) {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    let temporary = (directory as NSString).appendingPathComponent(
      ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
      try Data(bytes).write(to: URL(fileURLWithPath: temporary))
      try beforeRename()
    } catch {
      try? FileManager.default.removeItem(atPath: temporary)
      throw AtomicWriteError(reason: "\(error)")
    }
    if rename(temporary, path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(atPath: temporary)
      throw AtomicWriteError(reason: reason)
    }
  }
}
