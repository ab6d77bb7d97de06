import Foundation
import LinearAlgebra
import UJM

/// Reads Δx for `ujm solve --dx`: a NumPy `.npy` 1-D float64/float32 array, or whitespace-separated
/// numbers in a text file (`VectorFile`). Every problem is a `UsageError` naming the file.
enum DxFile {
  /// The accepted range of ‖Δx‖: the reduced problem's optimum (s*, t*, f*) is finite and
  /// stationary there for L in 1…10 and λ in 1e-6…1 (`ReducedProblemTests`); at 1e-200 or
  /// 1e150 it overflowed to f* = ∞ with the solver's F right.
  static let smallestNorm = 1e-50
  static let largestNorm = 1e50

  static func read(_ path: String) throws -> [Double] {
    let values: [Double]
    do {
      values = try VectorFile.values(contentsOf: path)
    } catch {
      throw UsageError("--dx \(error.description)")
    }
    if values.allSatisfy({ $0 == 0 }) {
      throw UsageError("--dx \(path): Δx is all zeros, so the logit is 0 whatever J and w are")
    }
    // ‖Δx‖ by a scaled sum, so that 1e300 entries give 1e300·√n, not an overflow.
    let largest = values.map(abs).max()!
    let norm = largest * values.map { ($0 / largest) * ($0 / largest) }.reduce(0, +).squareRoot()
    guard norm >= smallestNorm, norm <= largestNorm else {
      throw UsageError(
        "--dx \(path): ‖Δx‖ = \(formatScientific(norm)) is outside "
          + "\(formatScientific(smallestNorm))…\(formatScientific(largestNorm)), the range in which "
          + "the reduced oracle f*(‖Δx‖) of Theorem 3.3 stays finite and is checked")
    }
    return values
  }
}
