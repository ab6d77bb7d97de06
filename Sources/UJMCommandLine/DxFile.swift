import Foundation
import LinearAlgebra

/// Reads Δx for `ujm solve --dx`: a NumPy `.npy` 1-D float64/float32 array, or whitespace-separated
/// numbers in a text file. Every problem is a `UsageError` naming the file.
enum DxFile {
  static func read(_ path: String) throws -> [Double] {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw UsageError("--dx \(path): the file cannot be read (does it exist?)")
    }
    if data.isEmpty { throw UsageError("--dx \(path): the file is empty") }
    let values: [Double]
    if data.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
      let array: NumPyArray
      do {
        array = try NumPyArray(npyData: data, name: path)
      } catch {
        throw UsageError("--dx \(error.description)")
      }
      guard array.shape.count == 1 else {
        throw UsageError("--dx \(path): expected a 1-D array, found shape \(array.shape)")
      }
      values = array.values
    } else {
      guard let text = String(data: data, encoding: .utf8) else {
        throw UsageError("--dx \(path): neither a .npy file nor UTF-8 text")
      }
      var parsed = [Double]()
      for (k, token) in text.split(whereSeparator: {
        $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == ","
      }).enumerated() {
        guard let v = Double(token) else {
          throw UsageError("--dx \(path): entry \(k + 1) ('\(token)') is not a number")
        }
        parsed.append(v)
      }
      values = parsed
    }
    if values.isEmpty { throw UsageError("--dx \(path): the file holds no numbers") }
    if let k = values.firstIndex(where: { !$0.isFinite }) {
      throw UsageError("--dx \(path): entry \(k + 1) is \(values[k]), not a finite number")
    }
    if values.allSatisfy({ $0 == 0 }) {
      throw UsageError("--dx \(path): Δx is all zeros, so the logit is 0 whatever J and w are")
    }
    return values
  }
}
