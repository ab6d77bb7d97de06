import COpenBLAS
import Foundation

/// What OpenBLAS runs on: the kernel family it chose (`Haswell`, `Cooperlake`, …) and its
/// thread count. Printed beside every benchmark figure and in `ujm solve --json`.
public struct BLASEnvironment: Sendable, Codable, Equatable {
  /// OpenBLAS's name for the core kernels in use. The corresponding C function is
  /// `openblas_get_corename`.
  public var core: String
  /// Threads OpenBLAS uses for one call. The corresponding C function is
  /// `openblas_get_num_threads`.
  public var threads: Int

  /// Reads the current settings.
  public static var current: BLASEnvironment {
    let name = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    return BLASEnvironment(
      core: name.trimmingCharacters(in: .whitespaces), threads: Int(openblas_get_num_threads()))
  }

  /// Sets the number of threads OpenBLAS uses. Results are bitwise reproducible only for a
  /// fixed thread count. The corresponding C function is `openblas_set_num_threads`.
  public static func setThreads(_ count: Int) {
    precondition(count >= 1, "thread count must be at least 1")
    openblas_set_num_threads(Int32(count))
  }
}
