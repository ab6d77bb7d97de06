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

  /// Reads the current settings (the thread count afresh; the core, fixed for the process, once).
  public static var current: BLASEnvironment {
    BLASEnvironment(core: coreName, threads: Int(openblas_get_num_threads()))
  }

  /// The core's name, read once: Foundation's trimming cost more than a small solve's checks.
  private static let coreName: String = {
    let name = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    return name.trimmingCharacters(in: .whitespaces)
  }()

  /// Sets the number of threads OpenBLAS uses. Results are bitwise reproducible only for a
  /// fixed thread count. The corresponding C function is `openblas_set_num_threads`.
  public static func setThreads(_ count: Int) {
    precondition(count >= 1, "thread count must be at least 1")
    openblas_set_num_threads(Int32(count))
  }

  /// `body` with OpenBLAS on `count` threads, then the previous thread count again. The setting
  /// is the process's: call it where no other thread is inside BLAS (a run's own parallel phase,
  /// whose threads then each call BLAS single-threaded, which OpenBLAS supports).
  public static func withThreads<Result>(_ count: Int, _ body: () throws -> Result) rethrows
    -> Result
  {
    let previous = current.threads
    guard previous != count else { return try body() }
    setThreads(count)
    defer { setThreads(previous) }
    return try body()
  }
}
