import Foundation

/// A NumPy `.npz` archive: named `.npy` arrays in an uncompressed ZIP file, as written by
/// `numpy.savez` and read by `numpy.load`.
///
/// Only writing is supported. Entries are stored (ZIP method 0) with a CRC-32 each.
/// Reference: the NumPy format specification (`numpy.lib.format`) and PKWARE's APPNOTE.TXT.
public struct NumPyArchive: Sendable, Equatable {
  /// The arrays, in the order they are written; each is stored as `name.npy`.
  public var arrays: [(name: String, array: NumPyArray)]

  public init(arrays: [(name: String, array: NumPyArray)]) {
    precondition(
      arrays.allSatisfy { !$0.name.isEmpty && $0.name.utf8.count < 200 },
      "array names must be non-empty and short")
    self.arrays = arrays
  }

  public static func == (a: NumPyArchive, b: NumPyArchive) -> Bool {
    a.arrays.map(\.name) == b.arrays.map(\.name) && a.arrays.map(\.array) == b.arrays.map(\.array)
  }

  /// The bytes of the `.npz` file.
  public var npzData: Data {
    var out = Data()
    var central = Data()
    for (name, array) in arrays {
      let fileName = Array((name + ".npy").utf8)
      let payload = array.npyData
      let crc = CRC32.checksum(payload)
      let offset = UInt32(out.count)
      // Local file header.
      out.appendLittleEndian(UInt32(0x0403_4B50))
      out.appendLittleEndian(UInt16(20))  // version needed
      out.appendLittleEndian(UInt16(0))  // flags
      out.appendLittleEndian(UInt16(0))  // stored
      out.appendLittleEndian(UInt16(0))  // time
      out.appendLittleEndian(UInt16(0x21))  // date 1980-01-01
      out.appendLittleEndian(crc)
      out.appendLittleEndian(UInt32(payload.count))
      out.appendLittleEndian(UInt32(payload.count))
      out.appendLittleEndian(UInt16(fileName.count))
      out.appendLittleEndian(UInt16(0))
      out.append(contentsOf: fileName)
      out.append(payload)
      // Central directory entry.
      central.appendLittleEndian(UInt32(0x0201_4B50))
      central.appendLittleEndian(UInt16(20))  // version made by
      central.appendLittleEndian(UInt16(20))  // version needed
      central.appendLittleEndian(UInt16(0))
      central.appendLittleEndian(UInt16(0))
      central.appendLittleEndian(UInt16(0))
      central.appendLittleEndian(UInt16(0x21))
      central.appendLittleEndian(crc)
      central.appendLittleEndian(UInt32(payload.count))
      central.appendLittleEndian(UInt32(payload.count))
      central.appendLittleEndian(UInt16(fileName.count))
      central.appendLittleEndian(UInt16(0))  // extra
      central.appendLittleEndian(UInt16(0))  // comment
      central.appendLittleEndian(UInt16(0))  // disk
      central.appendLittleEndian(UInt16(0))  // internal attributes
      central.appendLittleEndian(UInt32(0))  // external attributes
      central.appendLittleEndian(offset)
      central.append(contentsOf: fileName)
    }
    let centralOffset = UInt32(out.count)
    out.append(central)
    out.appendLittleEndian(UInt32(0x0605_4B50))
    out.appendLittleEndian(UInt16(0))
    out.appendLittleEndian(UInt16(0))
    out.appendLittleEndian(UInt16(arrays.count))
    out.appendLittleEndian(UInt16(arrays.count))
    out.appendLittleEndian(UInt32(central.count))
    out.appendLittleEndian(centralOffset)
    out.appendLittleEndian(UInt16(0))
    return out
  }
}

/// The CRC-32 of ZIP and gzip (polynomial 0xEDB88320, reflected).
public enum CRC32 {
  private static let table: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  /// The checksum of `data` (0xCBF43926 for the ASCII bytes "123456789").
  public static func checksum(_ data: Data) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in data { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }
}

extension Data {
  fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
    var v = value.littleEndian
    Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
  }
}
