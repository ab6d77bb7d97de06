// The only file of this target that calls zlib. Goals, in order of priority: every zlib status
// checked and reported as a typed error naming the file; plain (uncompressed) files read too.

import CZlib
import Foundation

/// Reads a whole file, decompressing it when it is gzip-compressed; a plain file is returned as
/// it is (zlib passes it through), so `--data` may hold `.gz` or uncompressed IDX files.
///
/// A corrupt or truncated gzip stream is a `DataFileError.corruptCompression` naming the file and
/// the offset in the decompressed stream where reading stopped. The corresponding zlib functions
/// are `gzopen`, `gzread`, `gzerror` and `gzclose`.
///
/// `limit`, when given, is asked after every chunk for the most bytes the file may hold given
/// what has been read so far (an IDX header announces its size), so that a small gzip stream that
/// decompresses to far more than its header says (a "gzip bomb") is refused after at most one
/// chunk beyond that size rather than exhausting memory. It returns nil while it cannot tell.
func readPossiblyCompressedFile(
  atPath path: String, limit: ((_ prefix: [UInt8]) -> Int?)? = nil
) throws(DataFileError) -> [UInt8] {
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
    throw .missing(path: path)
  }
  if isDirectory.boolValue { throw .unreadable(path: path, reason: "is a directory") }
  guard let file = gzopen(path, "rb") else {
    throw .unreadable(path: path, reason: String(cString: strerror(errno)))
  }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 1 << 20)
  while true {
    let count = chunk.withUnsafeMutableBytes { buffer in
      gzread(file, buffer.baseAddress, UInt32(buffer.count))
    }
    if count < 0 {
      let reason = zlibMessage(file)
      gzclose(file)
      throw .corruptCompression(path: path, offset: bytes.count, reason: reason)
    }
    if count == 0 { break }
    bytes.append(contentsOf: chunk[0..<Int(count)])
    if let limit, let most = limit(bytes), bytes.count > most {
      gzclose(file)
      throw .sizeMismatch(
        path: path, offset: most,
        reason: "the data goes on past the \(most) bytes the header announces")
    }
  }
  var status: Int32 = 0
  let message = gzerror(file, &status).map { String(cString: $0) } ?? ""
  let closeStatus = gzclose(file)
  if status != Int32(Z_OK) || closeStatus != Int32(Z_OK) {
    let reason = message.isEmpty ? "zlib status \(closeStatus)" : message
    throw .corruptCompression(path: path, offset: bytes.count, reason: reason)
  }
  return bytes
}

/// zlib's message for the last error on `file`.
private func zlibMessage(_ file: gzFile) -> String {
  var status: Int32 = 0
  let message = gzerror(file, &status).map { String(cString: $0) } ?? ""
  return message.isEmpty ? "zlib status \(status)" : message
}

/// Writes `bytes` gzip-compressed to `path` (tests write their own `.gz` IDX files with it).
/// The corresponding zlib functions are `gzopen`, `gzwrite` and `gzclose`.
func writeCompressedFile(_ bytes: [UInt8], toPath path: String) throws(DataFileError) {
  guard let file = gzopen(path, "wb") else {
    throw .unreadable(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
  }
  let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
  let closeStatus = gzclose(file)
  guard Int(written) == bytes.count || bytes.isEmpty, closeStatus == Int32(Z_OK) else {
    throw .unreadable(path: path, reason: "gzwrite wrote \(written) of \(bytes.count) bytes")
  }
}
