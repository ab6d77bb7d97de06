// Goals, in order of priority: byte-exact compatibility with Hugging Face's safetensors format (the
// files `safetensors.torch.save_file` writes and `load_file` reads); strict validation of every
// file read, with errors naming the file and what is wrong; deterministic bytes (sorted names).

import Foundation
import LinearAlgebra

/// A tensor as stored in a safetensors file: a shape and row-major (C-order) values.
public struct StoredTensor: Sendable, Equatable {
  /// The element types ujm reads and writes.
  public enum Values: Sendable, Equatable {
    /// IEEE single precision, little-endian (`"F32"`).
    case f32([Float])
    /// 64-bit signed integers, little-endian (`"I64"`).
    case i64([Int64])

    var count: Int {
      switch self {
      case .f32(let v): v.count
      case .i64(let v): v.count
      }
    }
    var dtype: String {
      switch self {
      case .f32: "F32"
      case .i64: "I64"
      }
    }
  }

  /// Dimensions, outermost first; `[]` is a scalar.
  public var shape: [Int]
  /// The entries in row-major order.
  public var values: Values

  public init(shape: [Int], values: Values) {
    precondition(shape.checkedProduct == values.count, "tensor values do not match its shape")
    self.shape = shape
    self.values = values
  }
}

/// Why a safetensors file was rejected. Every case names the file.
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
  case unreadable(path: String, reason: String)
  case badHeader(path: String, reason: String)
  case unsupportedDType(path: String, tensor: String, dtype: String)
  case badOffsets(path: String, tensor: String, reason: String)
  case truncated(path: String, expectedBytes: Int, foundBytes: Int)
  case writeFailed(path: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let path, let reason): "\(path): cannot read (\(reason))"
    case .badHeader(let path, let reason): "\(path): not a safetensors file (\(reason))"
    case .unsupportedDType(let path, let tensor, let dtype):
      "\(path): tensor '\(tensor)' has dtype \(dtype); only F32 and I64 are supported"
    case .badOffsets(let path, let tensor, let reason):
      "\(path): tensor '\(tensor)': \(reason)"
    case .truncated(let path, let expectedBytes, let foundBytes):
      "\(path): truncated: the header announces \(expectedBytes) bytes, the file has \(foundBytes)"
    case .writeFailed(let path, let reason): "\(path): cannot write (\(reason))"
    }
  }
}

/// The contents of a safetensors file: named tensors and string metadata.
///
/// Layout: an 8-byte little-endian header length N; N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
/// "__metadata__": {"key": "value"}}`; then the data, offsets relative to its start, with no
/// gaps or overlaps.
public struct SafeTensorsFile: Sendable, Equatable {
  /// The tensors by name.
  public var tensors: [String: StoredTensor]
  /// The `__metadata__` string map (absent in the file when empty).
  public var metadata: [String: String]

  public init(tensors: [String: StoredTensor] = [:], metadata: [String: String] = [:]) {
    self.tensors = tensors
    self.metadata = metadata
  }

  /// The most bytes a checkpoint file may hold: 4 GiB (a network of a billion Float32
  /// parameters; the paper's largest is a few million).
  public static let maximumFileBytes = 1 << 32

  /// Reads and validates the regular file at `path` (a FIFO or a device is refused unread).
  public init(contentsOf path: String) throws(SafeTensorsError) {
    let bytes: [UInt8]
    do {
      bytes = try RegularFile.read(
        path, maximumBytes: Self.maximumFileBytes, what: "a safetensors checkpoint")
    } catch {
      throw .unreadable(path: path, reason: error.reason)
    }
    try self.init(decoding: bytes, path: path)
  }

  /// Parses and validates safetensors bytes; `path` only names the source in errors.
  public init(decoding bytes: [UInt8], path: String) throws(SafeTensorsError) {
    guard bytes.count >= 8 else {
      throw .badHeader(path: path, reason: "\(bytes.count) bytes, shorter than the 8-byte length")
    }
    var headerLength: UInt64 = 0
    for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    guard headerLength <= 100_000_000 else {
      throw .badHeader(path: path, reason: "header length \(headerLength) is implausible")
    }
    let dataStart = 8 + Int(headerLength)
    guard bytes.count >= dataStart else {
      throw .truncated(path: path, expectedBytes: dataStart, foundBytes: bytes.count)
    }
    let json: Any
    do {
      json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
    } catch {
      throw .badHeader(path: path, reason: "the header is not valid JSON")
    }
    guard let header = json as? [String: Any] else {
      throw .badHeader(path: path, reason: "the header is not a JSON object")
    }
    // JSONSerialization keeps one of two equal keys silently; the reference reader refuses.
    if let key = JSONKeys.firstDuplicate(in: bytes[8..<dataStart]) {
      throw .badHeader(
        path: path, reason: "the header gives the key '\(key)' twice in one object")
    }
    var metadata: [String: String] = [:]
    if let rawMetadata = header["__metadata__"] {
      guard let map = rawMetadata as? [String: Any] else {
        throw .badHeader(path: path, reason: "__metadata__ is not an object")
      }
      for (key, value) in map {
        guard let string = value as? String else {
          throw .badHeader(path: path, reason: "metadata '\(key)' is not a string")
        }
        metadata[key] = string
      }
    }
    let dataCount = bytes.count - dataStart
    var spans: [(begin: Int, end: Int, name: String)] = []
    var tensors: [String: StoredTensor] = [:]
    for (name, entry) in header where name != "__metadata__" {
      guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String,
        let rawShape = info["shape"] as? [Any], let rawOffsets = info["data_offsets"] as? [Any]
      else {
        throw .badHeader(path: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets")
      }
      let shape = try Self.integers(rawShape, path: path, tensor: name, what: "shape")
      let offsets = try Self.integers(rawOffsets, path: path, tensor: name, what: "data_offsets")
      guard offsets.count == 2, offsets[0] <= offsets[1] else {
        throw .badOffsets(path: path, tensor: name, reason: "data_offsets must be [begin, end]")
      }
      let elementSize: Int
      switch dtype {
      case "F32": elementSize = 4
      case "I64": elementSize = 8
      default: throw .unsupportedDType(path: path, tensor: name, dtype: dtype)
      }
      guard let count = shape.checkedProduct,
        let byteCount = count.checkedMultiplied(by: elementSize)
      else {
        throw .badOffsets(
          path: path, tensor: name,
          reason: "shape \(shape) has more elements than fit in memory (the count overflows)")
      }
      guard offsets[1] - offsets[0] == byteCount else {
        throw .badOffsets(
          path: path, tensor: name,
          reason: "shape \(shape) needs \(byteCount) bytes, data_offsets give "
            + "\(offsets[1] - offsets[0])")
      }
      guard offsets[1] <= dataCount else {
        throw .truncated(path: path, expectedBytes: dataStart + offsets[1], foundBytes: bytes.count)
      }
      spans.append((offsets[0], offsets[1], name))
      let base = dataStart + offsets[0]
      switch dtype {
      case "F32":
        var values = [Float](repeating: 0, count: count)
        #if _endian(little)
          values.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
              target.copyMemory(
                from: UnsafeRawBufferPointer(rebasing: source[base..<(base + 4 * count)]))
            }
          }
        #else
          for k in 0..<count {
            var bits: UInt32 = 0
            for b in 0..<4 { bits |= UInt32(bytes[base + 4 * k + b]) << (8 * UInt32(b)) }
            values[k] = Float(bitPattern: bits)
          }
        #endif
        tensors[name] = StoredTensor(shape: shape, values: .f32(values))
      default:
        var values = [Int64](repeating: 0, count: count)
        for k in 0..<count {
          var bits: UInt64 = 0
          for b in 0..<8 { bits |= UInt64(bytes[base + 8 * k + b]) << (8 * UInt64(b)) }
          values[k] = Int64(bitPattern: bits)
        }
        tensors[name] = StoredTensor(shape: shape, values: .i64(values))
      }
    }
    spans.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
    var position = 0
    for span in spans {
      guard span.begin == position else {
        throw .badOffsets(
          path: path, tensor: span.name,
          reason: span.begin < position
            ? "its data overlaps another tensor's" : "a gap precedes its data")
      }
      position = span.end
    }
    guard position == dataCount else {
      throw .badOffsets(
        path: path, tensor: spans.last?.name ?? "(none)",
        reason: "\(dataCount - position) bytes after the last tensor")
    }
    self.tensors = tensors
    self.metadata = metadata
  }

  private static func integers(_ raw: [Any], path: String, tensor: String, what: String)
    throws(SafeTensorsError) -> [Int]
  {
    var result: [Int] = []
    for item in raw {
      guard let number = item as? NSNumber, let value = Int(exactly: number.doubleValue),
        value >= 0
      else {
        throw .badOffsets(path: path, tensor: tensor, reason: "\(what) holds a non-integer")
      }
      result.append(value)
    }
    return result
  }

  /// The file's bytes: tensors in name order, header padded with spaces to a multiple of 8 as
  /// the reference implementation does.
  public var encoded: [UInt8] {
    let names = tensors.keys.sorted()
    var header: [String: Any] = [:]
    var offset = 0
    for name in names {
      let tensor = tensors[name]!
      let size = tensor.values.count * (tensor.values.dtype == "F32" ? 4 : 8)
      header[name] = [
        "dtype": tensor.values.dtype, "shape": tensor.shape,
        "data_offsets": [offset, offset + size],
      ]
      offset += size
    }
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    let json =
      (try? JSONSerialization.data(
        withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    var headerBytes = [UInt8](json)
    while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + headerBytes.count + offset)
    let n = UInt64(headerBytes.count)
    for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
    bytes += headerBytes
    for name in names {
      switch tensors[name]!.values {
      case .f32(let values):
        #if _endian(little)
          values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
          for v in values {
            let bits = v.bitPattern
            for b in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(b)))) }
          }
        #endif
      case .i64(let values):
        for v in values {
          let bits = UInt64(bitPattern: v)
          for b in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(b)))) }
        }
      }
    }
    return bytes
  }

  /// Writes the file atomically: a temporary file in the same directory, then a rename, so that
  /// an interrupted write leaves any previous file at `path` intact.
  public func write(to path: String) throws(SafeTensorsError) {
    do {
      try AtomicFile.write(encoded, to: path)
    } catch {
      throw .writeFailed(path: path, reason: error.reason)
    }
  }
}

/// The keys of JSON objects, to find one given twice in the same object (which
/// `JSONSerialization` accepts, keeping one of them, and the safetensors reference refuses).
enum JSONKeys {
  /// The first key that an object of `bytes` (valid JSON) gives twice, compared after
  /// unescaping (`"a"` and `"\u0061"` are the same key); nil when there is none.
  static func firstDuplicate(in bytes: ArraySlice<UInt8>) -> String? {
    // One entry per open container: the keys seen so far (nil for an array), and whether the
    // next string in an object is a key.
    var stack: [(keys: Set<String>?, expectingKey: Bool)] = []
    var i = bytes.startIndex
    while i < bytes.endIndex {
      let byte = bytes[i]
      switch byte {
      case UInt8(ascii: "{"):
        stack.append((Set(), true))
      case UInt8(ascii: "["):
        stack.append((nil, false))
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        _ = stack.popLast()
      case UInt8(ascii: ","):
        if stack.last?.keys != nil { stack[stack.count - 1].expectingKey = true }
      case UInt8(ascii: "\""):
        let (text, end) = string(bytes, from: i)
        i = end
        if let top = stack.last, let keys = top.keys, top.expectingKey {
          if keys.contains(text) { return text }
          stack[stack.count - 1].keys!.insert(text)
          stack[stack.count - 1].expectingKey = false
        }
        continue
      default:
        break
      }
      i += 1
    }
    return nil
  }

  /// The string whose opening quote is at `start`, unescaped, and the index after its closing
  /// quote.
  private static func string(_ bytes: ArraySlice<UInt8>, from start: Int) -> (String, Int) {
    var units: [UInt16] = []
    var raw: [UInt8] = []
    func flush() {
      units.append(contentsOf: String(decoding: raw, as: UTF8.self).utf16)
      raw.removeAll()
    }
    var i = start + 1
    while i < bytes.endIndex && bytes[i] != UInt8(ascii: "\"") {
      guard bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.endIndex else {
        raw.append(bytes[i])
        i += 1
        continue
      }
      let escape = bytes[i + 1]
      i += 2
      switch escape {
      case UInt8(ascii: "u"):
        flush()
        let hex = bytes[i..<min(i + 4, bytes.endIndex)]
        units.append(UInt16(String(decoding: hex, as: UTF8.self), radix: 16) ?? 0xFFFD)
        i += 4
      case UInt8(ascii: "b"): raw.append(0x08)
      case UInt8(ascii: "f"): raw.append(0x0C)
      case UInt8(ascii: "n"): raw.append(0x0A)
      case UInt8(ascii: "r"): raw.append(0x0D)
      case UInt8(ascii: "t"): raw.append(0x09)
      default: raw.append(escape)  // \" \\ \/
      }
    }
    flush()
    return (String(decoding: units, as: UTF16.self), i + 1)
  }
}
