import Foundation
import LinearAlgebra

/// Reads `ujm solve --inputs X.npy --labels y.npy`: X is N×D float64/float32 (one input a
/// row), y is N integers 0…C−1 (a 1-D `.npy` of any integer dtype, or float64/float32 holding
/// whole numbers). Every problem is a `UsageError` naming the option and the file.
enum MulticlassInputFiles {
  /// The largest N accepted (the model is dense in N).
  static let largestExampleCount = 100_000

  /// The inputs as D×N columns, the labels, and C (`classes`, or the largest label + 1).
  static func read(inputs inputsPath: String, labels labelsPath: String, classes: Int?) throws
    -> (inputs: Matrix<Double>, labels: [Int], classes: Int)
  {
    let x: NumPyArray
    do {
      x = try NumPyArray(contentsOf: URL(fileURLWithPath: inputsPath))
    } catch {
      throw UsageError("--inputs \(error.description)")
    }
    guard x.shape.count == 2, x.shape[0] >= 1, x.shape[1] >= 1 else {
      throw UsageError(
        "--inputs \(inputsPath): expected an N×D array (one input a row), found shape \(x.shape)")
    }
    guard x.values.allSatisfy(\.isFinite) else {
      throw UsageError("--inputs \(inputsPath): contains NaN or infinite values")
    }
    let (n, d) = (x.shape[0], x.shape[1])
    guard n <= largestExampleCount else {
      throw UsageError("--inputs \(inputsPath): \(n) inputs, more than \(largestExampleCount)")
    }
    let labels = try readLabels(labelsPath)
    guard labels.count == n else {
      throw UsageError(
        "--labels \(labelsPath) has \(labels.count) labels but --inputs \(inputsPath) has \(n) rows"
      )
    }
    if let bad = labels.first(where: { $0 < 0 }) {
      throw UsageError("--labels \(labelsPath): label \(bad) is negative (labels are 0…C−1)")
    }
    let largest = labels.max()!
    let c = classes ?? (largest + 1)
    guard largest < c else {
      throw UsageError(
        "--labels \(labelsPath): label \(largest) is not below --classes \(c) (labels are 0…C−1)")
    }
    guard c >= 2 else {
      throw UsageError("--labels \(labelsPath): every label is 0; the model needs two classes")
    }
    guard c <= MulticlassSolveOptions.largestClassCount else {
      throw UsageError(
        "--labels \(labelsPath): label \(largest) gives more than "
          + "\(MulticlassSolveOptions.largestClassCount) classes")
    }
    // N×D rows → D×N columns.
    let inputs = Matrix<Double>(rows: d, columns: n) { i, j in x.values[j * d + i] }
    return (inputs, labels, c)
  }

  /// Integer labels from a 1-D `.npy`: integer dtypes directly, float dtypes when whole.
  static func readLabels(_ path: String) throws -> [Int] {
    // The one reader of input files (`RegularFile`, as for --inputs): a directory, a device or
    // a FIFO is named for what it is.
    let bytes: [UInt8]
    do {
      bytes = try RegularFile.read(
        path, maximumBytes: NumPyArray.maximumFileBytes, what: "a .npy file")
    } catch {
      throw UsageError("--labels \(path): cannot be read (\(error.reason))")
    }
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic, bytes[6] == 1 || bytes[6] == 2 else {
      throw UsageError("--labels \(path): not a .npy file (version 1 or 2)")
    }
    let (length, start) =
      bytes[6] == 1
      ? (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
      : (bytes.count >= 12
        ? (Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24, 12)
        : (Int.max, 12))
    guard length <= bytes.count - start,
      let header = String(bytes: bytes[start..<(start + length)], encoding: .utf8)
    else { throw UsageError("--labels \(path): truncated or unreadable header") }
    guard let descr = quoted("descr", in: header) else {
      throw UsageError("--labels \(path): header has no 'descr'")
    }
    let integerWidths: [String: (width: Int, signed: Bool)] = [
      "<i8": (8, true), "<i4": (4, true), "<i2": (2, true), "|i1": (1, true),
      "<u8": (8, false), "<u4": (4, false), "<u2": (2, false), "|u1": (1, false),
    ]
    guard let (width, signed) = integerWidths[descr] else {
      // Floats: the shared reader, then whole numbers only.
      let array: NumPyArray
      do { array = try NumPyArray(npyData: Data(bytes), name: path) } catch {
        throw UsageError(
          "--labels \(error.description) (labels are integers: int8…int64, uint8…uint64, or whole floats)"
        )
      }
      guard array.shape.count == 1 else {
        throw UsageError("--labels \(path): expected a 1-D array, found shape \(array.shape)")
      }
      return try array.values.map { v throws(UsageError) -> Int in
        guard v.isFinite, v == v.rounded(), abs(v) < 1e9 else {
          throw UsageError("--labels \(path): \(v) is not a whole-number label")
        }
        return Int(v)
      }
    }
    guard let shape = header.range(of: "'shape'").map({ header[$0.upperBound...] }),
      let open = shape.firstIndex(of: "("), let close = shape.firstIndex(of: ")")
    else { throw UsageError("--labels \(path): header has no 'shape'") }
    let dims = shape[shape.index(after: open)..<close].split(separator: ",").map {
      $0.trimmingCharacters(in: .whitespaces)
    }.filter { !$0.isEmpty }
    guard dims.count == 1, let n = Int(dims[0]), n >= 1 else {
      throw UsageError("--labels \(path): expected a non-empty 1-D array, found shape \(dims)")
    }
    let dataStart = start + length
    guard bytes.count - dataStart == n * width else {
      throw UsageError(
        "--labels \(path): shape (\(n),) needs \(n * width) bytes of data, found \(bytes.count - dataStart)"
      )
    }
    return (0..<n).map { k in
      var bits: UInt64 = 0
      for b in 0..<width { bits |= UInt64(bytes[dataStart + k * width + b]) << (8 * UInt64(b)) }
      if signed && width < 8 && bits >> (UInt64(width) * 8 - 1) == 1 {
        bits |= ~0 << (UInt64(width) * 8)  // sign-extend
      }
      let value = Int64(bitPattern: bits)
      // An unsigned value above Int64.max reads as negative and is refused as a negative label.
      return Int(truncatingIfNeeded: value)
    }
  }

  private static func quoted(_ key: String, in header: String) -> String? {
    guard let r = header.range(of: "'\(key)'") else { return nil }
    let rest = header[r.upperBound...].drop { $0 == " " || $0 == ":" }
    guard let q = rest.first, q == "'" || q == "\"" else { return nil }
    let body = rest.dropFirst()
    guard let end = body.firstIndex(of: q) else { return nil }
    return String(body[..<end])
  }
}
