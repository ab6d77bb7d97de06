import Foundation
import LinearAlgebra

/// Reads Δx for `ujm solve --dx`: a NumPy `.npy` 1-D float64/float32 array, or whitespace-separated
/// numbers in a text file (`VectorFile`). Every problem is a `UsageError` naming the file.
enum DxFile {
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
    return values
  }
}
