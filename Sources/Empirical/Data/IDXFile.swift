// Goals, in order of priority: reject every malformed file with an error naming the file and the
// byte offset (size arithmetic checked, so a header announcing 2^32 × 2^32 bytes is an error,
// not a trap); read the four Fashion-MNIST files in well under a second.

import LinearAlgebra

/// An array of unsigned bytes in the IDX format of LeCun's MNIST files (also Fashion-MNIST's):
/// magic `00 00 08 n`, then n big-endian 32-bit dimensions, then the bytes in row-major order.
public struct IDXFile: Sendable, Equatable {
  /// The dimensions from the header, outermost first (e.g. `[60000, 28, 28]`).
  public var dimensions: [Int]
  /// The entries, row-major.
  public var values: [UInt8]

  /// An IDX array with the given dimensions; `values.count` must be their product.
  public init(dimensions: [Int], values: [UInt8]) {
    precondition(dimensions.checkedProduct == values.count, "IDX values do not match dimensions")
    self.dimensions = dimensions
    self.values = values
  }

  /// Reads an IDX file, gzip-compressed or plain.
  public init(contentsOf path: String) throws(DataFileError) {
    let bytes = try readPossiblyCompressedFile(atPath: path, limit: Self.announcedSize)
    try self.init(decoding: bytes, path: path)
  }

  /// The file size the header at the start of `prefix` announces (header and data), or nil when
  /// the prefix is too short or the header malformed (decoding then names the problem).
  static func announcedSize(_ prefix: [UInt8]) -> Int? {
    guard prefix.count >= 4, prefix[0] == 0, prefix[1] == 0, prefix[2] == 0x08,
      (1...4).contains(prefix[3])
    else { return nil }
    let headerSize = 4 + 4 * Int(prefix[3])
    guard prefix.count >= headerSize else { return nil }
    let dimensions = (0..<Int(prefix[3])).map { d in
      let o = 4 + 4 * d
      return Int(prefix[o]) << 24 | Int(prefix[o + 1]) << 16 | Int(prefix[o + 2]) << 8
        | Int(prefix[o + 3])
    }
    return dimensions.checkedProduct?.checkedMultiplied(by: 1, adding: headerSize)
  }

  /// Parses IDX bytes; `path` only names the source in errors.
  public init(decoding bytes: [UInt8], path: String) throws(DataFileError) {
    guard bytes.count >= 4 else {
      throw .truncated(path: path, offset: bytes.count, expectedBytes: 4)
    }
    guard bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08, (1...4).contains(bytes[3]) else {
      throw .badMagic(path: path, offset: 0, found: Array(bytes[0..<4]))
    }
    let rank = Int(bytes[3])
    let headerSize = 4 + 4 * rank
    guard bytes.count >= headerSize else {
      throw .truncated(path: path, offset: bytes.count, expectedBytes: headerSize)
    }
    var dimensions: [Int] = []
    for d in 0..<rank {
      let o = 4 + 4 * d
      let size =
        Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8
        | Int(bytes[o + 3])
      dimensions.append(size)
    }
    guard let total = dimensions.checkedProduct,
      let expected = total.checkedMultiplied(by: 1, adding: headerSize)
    else {
      throw .sizeMismatch(
        path: path, offset: 4,
        reason: "dimensions \(dimensions) announce more bytes than fit in memory")
    }
    guard bytes.count >= expected else {
      throw .truncated(path: path, offset: bytes.count, expectedBytes: expected)
    }
    guard bytes.count == expected else {
      throw .sizeMismatch(
        path: path, offset: expected,
        reason: "\(bytes.count - expected) bytes after the \(expected) the header announces")
    }
    self.dimensions = dimensions
    self.values = Array(bytes[headerSize...])
  }

  /// The file's bytes: header and values.
  public var encoded: [UInt8] {
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for d in dimensions {
      bytes += [
        UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF),
      ]
    }
    return bytes + values
  }
}
