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

/// Reads a whole file, decompressing it when it is gzip-compressed (it starts with the gzip
/// magic bytes 0x1f 0x8b); any other file is returned as it is, so `--data` may hold `.gz` or
/// uncompressed IDX files.
///
/// A gzip file is read as gzip(1) reads it (RFC 1952): one or more members, each checked by zlib
/// (`inflate` with its CRC-32 and length trailer). A corrupt or truncated member is a
/// `DataFileError.corruptCompression` naming the file and the offset in the decompressed stream
/// where reading stopped; bytes after the last member that do not start another member (junk
/// appended to a download, zero padding) are a `DataFileError.trailingData` naming the file and
/// the compressed offset — zlib's `gzread` would skip them silently, so a file that is not what
/// it claims would be read. The corresponding zlib functions are `inflateInit2`, `inflate`,
/// `inflateReset` and `inflateEnd`.
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
  defer { close(descriptor) }
  let chunkSize = 1 << 20
  let input = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
  let output = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
  defer {
    input.deallocate()
    output.deallocate()
  }
  /// Reads up to `chunkSize − kept` bytes after the `kept` bytes at the start of `input`.
  func refill(keeping kept: Int) throws(DataFileError) -> Int {
    while true {
      let n = read(descriptor, input + kept, chunkSize - kept)
      if n >= 0 { return n }
      if errno != EINTR {
        throw .unreadable(path: path, reason: String(cString: strerror(errno)))
      }
    }
  }
  var bytes: [UInt8] = []
  func append(_ count: Int) throws(DataFileError) {
    bytes.append(contentsOf: UnsafeBufferPointer(start: output, count: count))
    if let limit, let most = limit(bytes), bytes.count > most {
      throw .sizeMismatch(
        path: path, offset: most,
        reason: "the data goes on past the \(most) bytes the header announces")
    }
    if bytes.count > maximumBytes {
      throw .sizeMismatch(
        path: path, offset: maximumBytes,
        reason: "the data goes on past \(maximumBytes) bytes, the most a data file may hold")
    }
  }

  var available = try refill(keeping: 0)
  guard available >= 2, input[0] == 0x1f, input[1] == 0x8b else {
    // Not gzip: the file as it is.
    while available > 0 {
      output.update(from: input, count: available)
      try append(available)
      available = try refill(keeping: 0)
    }
    return bytes
  }

  var stream = z_stream()
  // windowBits 15 + 16: a gzip wrapper only.
  guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
  else {
    throw .unreadable(path: path, reason: "zlib could not start inflating")
  }
  defer { inflateEnd(&stream) }
  var consumed = 0  // compressed bytes of the members before the current one
  stream.next_in = input
  stream.avail_in = UInt32(available)
  var endOfFile = false
  while true {
    if stream.avail_in == 0 && !endOfFile {
      let n = try refill(keeping: 0)
      stream.next_in = input
      stream.avail_in = UInt32(n)
      endOfFile = n == 0
    }
    stream.next_out = output
    stream.avail_out = UInt32(chunkSize)
    let status = inflate(&stream, Z_NO_FLUSH)
    let produced = chunkSize - Int(stream.avail_out)
    if produced > 0 { try append(produced) }
    switch status {
    case Z_OK:
      continue
    case Z_BUF_ERROR where !endOfFile:
      continue
    case Z_STREAM_END:
      consumed += Int(stream.total_in)
      // Another member must start with the magic bytes; read one more byte if only one is left.
      if stream.avail_in < 2 && !endOfFile {
        let kept = Int(stream.avail_in)
        if kept == 1 { input[0] = stream.next_in[0] }
        let n = try refill(keeping: kept)
        stream.next_in = input
        stream.avail_in = UInt32(kept + n)
        endOfFile = n == 0
      }
      if stream.avail_in == 0 { return bytes }
      guard stream.avail_in >= 2, stream.next_in[0] == 0x1f, stream.next_in[1] == 0x8b else {
        throw .trailingData(path: path, offset: consumed)
      }
      inflateReset(&stream)
    default:
      let reason =
        status == Z_BUF_ERROR
        ? "unexpected end of file"
        : stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
      throw .corruptCompression(path: path, offset: bytes.count, reason: reason)
    }
  }
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
