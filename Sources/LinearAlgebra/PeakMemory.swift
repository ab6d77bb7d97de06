import Foundation

/// The peak resident set size of this process: the most physical memory it has held at once
/// (every thread, BLAS's included).
public enum PeakMemory {
  /// Bytes since the process started, or nil when the system does not say. The corresponding C
  /// function is `getrusage(RUSAGE_SELF)`, field `ru_maxrss` (kibibytes on Linux, bytes on macOS).
  public static var residentBytes: Int? {
    var usage = rusage()
    #if os(Linux)
      guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
      return usage.ru_maxrss * 1024
    #else
      guard getrusage(RUSAGE_SELF, &usage) == 0 else { return nil }
      return usage.ru_maxrss
    #endif
  }

  /// Linux: the high-water mark of the resident set (`VmHWM` in /proc/self/status) in bytes,
  /// since the process started or since the last `resetHighWaterMark()`; nil elsewhere.
  public static var highWaterMarkBytes: Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kibibytes = line.split(separator: " ").compactMap({ Int($0) }).first
    else { return nil }
    return kibibytes * 1024
  }

  /// Linux: lowers the high-water mark to the current resident set (writes "5" to
  /// /proc/self/clear_refs), so that `highWaterMarkBytes` measures one stage; false where that
  /// is not possible. It may lower `residentBytes` too: read that first.
  public static func resetHighWaterMark() -> Bool {
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
    defer { try? handle.close() }
    do {
      try handle.write(contentsOf: Data("5".utf8))
      return true
    } catch {
      return false
    }
  }

  /// "1.234 GiB".
  public static func gibibytes(_ bytes: Int) -> String {
    String(format: "%.3f GiB", Double(bytes) / Double(1 << 30))
  }
}
