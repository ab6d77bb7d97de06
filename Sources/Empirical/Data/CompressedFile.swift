// The only file of this target that calls zlib. Goals, in order of priority: every zlib status
// checked and reported as a typed error naming the file; plain (uncompressed) files read too.

import CZlib
import Foundation
import LinearAlgebra

#if canImport(Glibc)
  import Glibc
#endif

/// The most bytes a data file may hold once decompressed: 1 GiB (Fashion-MNIST's training
/// images are 47 MB, CIFAR-100's training file 154 MB).
public let maximumDataFileBytes = 1 << 30

/// Reads a whole file, decompressing it when it is gzip-compressed; a plain file is returned as
/// it is (zlib passes it through), so `--data` may hold `.gz` or uncompressed IDX files.
///
/// A corrupt or truncated gzip stream is a `DataFileError.corruptCompression` naming the file and
/// the offset in the decompressed stream where reading stopped. The corresponding zlib functions
/// are `gzopen`, `gzread`, `gzerror` and `gzclose`.
///
/// The file must be a regular file (a FIFO, a device such as `/dev/zero` or a directory is
/// refused without blocking), and the decompressed bytes are bounded twice: by `maximumBytes`, a
/// hard limit, and by `limit`, which is asked after every chunk for the most bytes the file may
/// hold given what has been read so far (an IDX header announces its size). A small gzip stream
/// that decompresses to far more (a "gzip bomb") is refused after at most one chunk beyond the
/// bound rather than exhausting memory. `limit` returns nil while it cannot tell.
func readPossiblyCompressedFile(
  atPath path: String, maximumBytes: Int = maximumDataFileBytes,
  limit: ((_ prefix: [UInt8]) -> Int?)? = nil
) throws(DataFileError) -> [UInt8] {
  let descriptor: Int32
  do {
    descriptor = try RegularFile.open(path).descriptor
  } catch {
    if error.reason == "no such file" { throw .missing(path: path) }
    throw .unreadable(path: path, reason: error.reason)
  }
  guard let file = gzdopen(descriptor, "rb") else {
    close(descriptor)
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
    if bytes.count > maximumBytes {
      gzclose(file)
      throw .sizeMismatch(
        path: path, offset: maximumBytes,
        reason: "the data goes on past \(maximumBytes) bytes, the most a data file may hold")
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
