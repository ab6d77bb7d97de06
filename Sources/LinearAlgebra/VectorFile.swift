// Goals, in order of priority: every byte sequence is either a vector or a typed error naming
// the file and the entry at fault (no trap, no hang); the two forms users have at hand (NumPy's
// `.npy`, a column of numbers from any tool) read alike.

import Foundation

/// A vector of finite Float64 values read from a file: a NumPy `.npy` 1-D float64/float32 array
/// (recognised by its magic bytes), or numbers in UTF-8 text separated by whitespace or commas.
public enum VectorFile {
  /// Why a vector file cannot be used; `description` names the file and the entry.
  public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file, as the user named it.
    public var file: String
    /// What is wrong, as a sentence fragment.
    public var problem: String
    public var description: String { "\(file): \(problem)" }
  }

  /// The largest vector file read: 64 MiB, millions of entries (a Δx of dimension D comes with
  /// L Jacobians of D² entries each, so no D a machine can solve needs more). The bound is
  /// checked before the file is read, so a huge file costs nothing.
  public static let maximumBytes = 64 << 20

  /// Reads the vector in the regular file at `path` (a FIFO or a device is refused unread) of
  /// at most `maximumBytes`.
  public static func values(contentsOf path: String) throws(FormatError) -> [Double] {
    let bytes: [UInt8]
    do {
      bytes = try RegularFile.read(path, maximumBytes: maximumBytes, what: "a vector file")
    } catch {
      throw FormatError(file: path, problem: "the file cannot be read (\(error.reason))")
    }
    return try values(decoding: Data(bytes), name: path)
  }

  /// Parses the bytes of a vector file; `name` only names the source in errors.
  public static func values(decoding data: Data, name: String) throws(FormatError) -> [Double] {
    func fail(_ problem: String) -> FormatError { FormatError(file: name, problem: problem) }
    if data.isEmpty { throw fail("the file is empty") }
    let values: [Double]
    if data.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
      let array: NumPyArray
      do {
        array = try NumPyArray(npyData: data, name: name)
      } catch {
        throw fail(error.problem)
      }
      guard array.shape.count == 1 else {
        throw fail("expected a 1-D array, found shape \(array.shape)")
      }
      values = array.values
    } else {
      guard let text = String(data: data, encoding: .utf8) else {
        throw fail("neither a .npy file nor UTF-8 text")
      }
      if let k = data.firstIndex(of: 0) {
        throw fail("byte \(k) is NUL: neither a .npy file nor a text of numbers")
      }
      var parsed = [Double]()
      let separators: Set<Character> = [" ", "\n", "\t", "\r", ",", "\r\n"]
      for (k, token) in text.split(whereSeparator: { separators.contains($0) }).enumerated() {
        guard let v = Double(token) else {
          let shown = token.count > 40 ? token.prefix(40) + "…" : token
          throw fail("entry \(k + 1) ('\(shown)') is not a number")
        }
        parsed.append(v)
      }
      values = parsed
    }
    if values.isEmpty { throw fail("the file holds no numbers") }
    if let k = values.firstIndex(where: { !$0.isFinite }) {
      throw fail("entry \(k + 1) is \(values[k]), not a finite number")
    }
    return values
  }
}
