import Foundation

/// The peak resident set size of this process: the most physical memory it has held at once
/// since it started (every thread, BLAS's included). The corresponding C function is
/// `getrusage(RUSAGE_SELF)`, field `ru_maxrss` (kibibytes on Linux, bytes on macOS).
public enum PeakMemory {
  /// Bytes, or nil when the system does not say.
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

  /// "1.234 GiB".
  public static func gibibytes(_ bytes: Int) -> String {
    String(format: "%.3f GiB", Double(bytes) / Double(1 << 30))
  }
}
