import Foundation

/// A NumPy `.npy` array of float64 or float32 values, up to two dimensions.
///
/// Reads format versions 1.0, 2.0 and 3.0 with `descr` `<f8`, `>f8`, `<f4`, `>f4` in C or
/// Fortran order, and writes version 1.0 `<f8`. Values are held as `Double`.
/// Reference: the NumPy format specification (`numpy.lib.format`).
public struct NumPyArray: Sendable, Equatable {
  /// The array's shape: `[n]` for a vector, `[m, n]` for a matrix.
  public var shape: [Int]
  /// The values in C (row-major) order.
  public var values: [Double]

  public init(shape: [Int], values: [Double]) {
    precondition(shape.checkedProduct == values.count, "shape does not match the value count")
    self.shape = shape
    self.values = values
  }

  /// A 1-D array.
  public init(vector: [Double]) { self.init(shape: [vector.count], values: vector) }

  /// A 2-D array from a matrix.
  public init<S: BLASScalar>(matrix: Matrix<S>) {
    var v = [Double]()
    v.reserveCapacity(matrix.rows * matrix.columns)
    for i in 0..<matrix.rows { for j in 0..<matrix.columns { v.append(Double(matrix[i, j])) } }
    self.init(shape: [matrix.rows, matrix.columns], values: v)
  }

  /// The array as a column-major matrix (a vector becomes a single column).
  public var matrix: Matrix<Double> {
    let m = shape.first ?? 0
    let n = shape.count > 1 ? shape[1] : 1
    return Matrix(rows: m, columns: n) { i, j in values[i * n + j] }
  }

  /// Parses the bytes of a `.npy` file; `name` is used in error messages.
  public init(npyData data: Data, name: String) throws(NumPyFormatError) {
    let bytes = [UInt8](data)
    func fail(_ what: String) -> NumPyFormatError { NumPyFormatError(file: name, problem: what) }
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
      throw fail(bytes.isEmpty ? "the file is empty" : "not a .npy file (bad magic bytes)")
    }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    case 2, 3:
      guard bytes.count >= 12 else { throw fail("truncated header") }
      headerLength =
        Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      headerStart = 12
    default:
      throw fail("unsupported .npy format version \(major)")
    }
    guard bytes.count >= headerStart + headerLength else { throw fail("truncated header") }
    guard
      let header = String(
        bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8)
    else { throw fail("header is not text") }
    guard let descr = Self.field("descr", in: header).map(Self.unquote) else {
      throw fail("header has no 'descr'")
    }
    guard let orderText = Self.field("fortran_order", in: header) else {
      throw fail("header has no 'fortran_order'")
    }
    let fortran = orderText.hasPrefix("True")
    guard let shapeText = Self.field("shape", in: header) else {
      throw fail("header has no 'shape'")
    }
    let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
    var dims = [Int]()
    for part in inner.split(separator: ",") {
      let t = part.trimmingCharacters(in: .whitespaces)
      if t.isEmpty { continue }
      guard let d = Int(t), d >= 0 else { throw fail("bad shape \(shapeText)") }
      dims.append(d)
    }
    guard dims.count == 1 || dims.count == 2 else {
      throw fail("expected a 1-D or 2-D array, found \(dims.count)-D shape \(shapeText)")
    }
    let width: Int
    let bigEndian: Bool
    switch descr {
    case "<f8", "=f8": (width, bigEndian) = (8, false)
    case ">f8": (width, bigEndian) = (8, true)
    case "<f4", "=f4": (width, bigEndian) = (4, false)
    case ">f4": (width, bigEndian) = (4, true)
    default:
      throw fail("dtype '\(descr)' is not float64 or float32")
    }
    guard let count = dims.checkedProduct, let needed = count.checkedMultiplied(by: width) else {
      throw fail("shape \(shapeText) has more elements than fit in memory (the count overflows)")
    }
    let start = headerStart + headerLength
    let available = bytes.count - start
    guard available == needed else {
      throw fail(
        available < needed
          ? "truncated data: shape \(dims) needs \(needed) bytes, found \(available)"
          : "\(available - needed) unexpected bytes after the data")
    }
    var raw = [Double](repeating: 0, count: count)
    for k in 0..<count {
      let o = start + k * width
      if width == 8 {
        var bits: UInt64 = 0
        for b in 0..<8 { bits |= UInt64(bytes[o + b]) << (8 * UInt64(b)) }
        raw[k] = Double(bitPattern: bigEndian ? bits.byteSwapped : bits)
      } else {
        var bits: UInt32 = 0
        for b in 0..<4 { bits |= UInt32(bytes[o + b]) << (8 * UInt32(b)) }
        raw[k] = Double(Float(bitPattern: bigEndian ? bits.byteSwapped : bits))
      }
    }
    if fortran && dims.count == 2 {
      let (m, n) = (dims[0], dims[1])
      var c = [Double](repeating: 0, count: count)
      for i in 0..<m { for j in 0..<n { c[i * n + j] = raw[i + j * m] } }
      raw = c
    }
    self.init(shape: dims, values: raw)
  }

  /// The most bytes a `.npy` file may hold: 16 GiB (a 46,000² float64 matrix).
  public static let maximumFileBytes = 1 << 34

  /// Reads a `.npy` file: a regular file (a FIFO or a device is refused unread) of at most
  /// `maximumFileBytes`.
  public init(contentsOf url: URL) throws(NumPyFormatError) {
    let bytes: [UInt8]
    do {
      bytes = try RegularFile.read(
        url.path, maximumBytes: Self.maximumFileBytes, what: "a .npy file")
    } catch {
      throw NumPyFormatError(file: url.path, problem: "cannot be read (\(error.reason))")
    }
    try self.init(npyData: Data(bytes), name: url.path)
  }

  /// The `.npy` version 1.0 bytes of this array as little-endian float64, C order.
  public var npyData: Data {
    let shapeText =
      shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeText), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
    let len = header.utf8.count
    out.append(contentsOf: [UInt8(len & 0xFF), UInt8(len >> 8)])
    out.append(contentsOf: Array(header.utf8))
    for v in values {
      let bits = v.bitPattern
      for b in 0..<8 { out.append(UInt8((bits >> (8 * UInt64(b))) & 0xFF)) }
    }
    return out
  }

  private static func field(_ key: String, in header: String) -> String? {
    guard let r = header.range(of: "'\(key)'") else { return nil }
    var rest = header[r.upperBound...].drop { $0 == " " || $0 == ":" }
    if rest.first == "(" {
      guard let close = rest.firstIndex(of: ")") else { return nil }
      return String(rest[...close])
    }
    if let end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) { rest = rest[..<end] }
    return rest.trimmingCharacters(in: .whitespaces)
  }

  private static func unquote(_ s: String) -> String {
    s.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
  }
}

/// A `.npy` file that cannot be used, with the file and the problem named.
public struct NumPyFormatError: Error, Equatable, Sendable, CustomStringConvertible {
  public var file: String
  public var problem: String
  public var description: String { "\(file): \(problem)" }
}
