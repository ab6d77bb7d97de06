import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

#if canImport(Glibc)
  import Glibc
#endif

/// A FIFO in a fresh directory.
private func fifo(_ name: String) throws -> String {
  let path = (temporaryDirectory("fifo") as NSString).appendingPathComponent(name)
  try #require(mkfifo(path, 0o644) == 0, "mkfifo \(path): \(String(cString: strerror(errno)))")
  return path
}

/// Runs `body`, which must not block on the FIFO at `path`: should it block in `open(2)` or
/// `read(2)` waiting for a writer, a watchdog opens and closes the write end after `seconds`, so
/// the reader sees an empty file and the test fails instead of hanging.
private func withoutBlocking<T>(on path: String, seconds: Double = 20, _ body: () throws -> T)
  rethrows -> T
{
  let started = ContinuousClock.now
  DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
    let fd = open(path, O_WRONLY | O_NONBLOCK)  // fails (ENXIO) when no reader is waiting
    if fd >= 0 { close(fd) }
  }
  defer {
    #expect(ContinuousClock.now - started < .seconds(seconds), "blocked on the FIFO \(path)")
  }
  return try body()
}

/// A link in a fresh directory named `name`, pointing at `target`.
private func link(_ name: String, to target: String) throws -> String {
  let path = (temporaryDirectory("link") as NSString).appendingPathComponent(name)
  try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
  return path
}

@Suite("Inputs that are not regular files are refused unread, naming the file, without blocking")
struct NonRegularInputTests {
  @Test func fifoAsAnIDXOrCIFARFileIsRefusedWithoutBlocking() throws {
    let path = try fifo("train-images-idx3-ubyte")
    withoutBlocking(on: path) {
      #expect(
        throws: DataFileError.unreadable(path: path, reason: "is a FIFO, not a regular file")
      ) { try IDXFile(contentsOf: path) }
      #expect(
        throws: DataFileError.unreadable(path: path, reason: "is a FIFO, not a regular file")
      ) { try CIFARFile(contentsOf: path, kind: .cifar10) }
    }
  }

  @Test func dataFileLinkedToDevZeroIsRefusedInsteadOfReadUntilMemoryRunsOut() throws {
    let path = try link("train-images-idx3-ubyte", to: "/dev/zero")
    #expect(
      throws: DataFileError.unreadable(
        path: path, reason: "is a character device, not a regular file")
    ) { try IDXFile(contentsOf: path) }
    #expect(
      throws: DataFileError.unreadable(
        path: path, reason: "is a character device, not a regular file")
    ) { try CIFARFile(contentsOf: path, kind: .cifar100) }
  }

  @Test func fifoDeviceOrDirectoryAsACheckpointIsRefusedNamingWhatItIs() throws {
    let pipe = try fifo("checkpoint.safetensors")
    let device = try link("checkpoint.safetensors", to: "/dev/zero")
    let directory = temporaryDirectory("checkpoint-dir")
    for (path, kind) in [
      (pipe, "a FIFO"), (device, "a character device"), (directory, "a directory"),
    ] {
      withoutBlocking(on: path) {
        #expect {
          try SafeTensorsFile(contentsOf: path)
        } throws: { error in
          print(error)
          return error as? SafeTensorsError
            == .unreadable(path: path, reason: "is \(kind), not a regular file")
        }
      }
    }
  }

  @Test func regularFileReaderStopsAtItsMaximum() throws {
    let path = (temporaryDirectory("bounded") as NSString).appendingPathComponent("big")
    try Data(repeating: 7, count: 4097).write(to: URL(fileURLWithPath: path))
    #expect(try RegularFile.read(path, maximumBytes: 4097).count == 4097)
    #expect {
      try RegularFile.read(path, maximumBytes: 4096, what: "a test file")
    } throws: { error in
      let reason = (error as? InputFileError)?.reason ?? ""
      return reason.contains("4097 bytes") && reason.contains("4096 that a test file may hold")
    }
  }

  @Test func cifarGzipBombIsRefusedAtTheRecordLimit() throws {
    // One record past the limit, all zeros: about 180 KiB gzipped, 184 MB inflated.
    let kind = CIFARFile.Kind.cifar10
    let limit = CIFARFile.maximumRecords * kind.recordSize
    let path = (temporaryDirectory("cifar-bomb") as NSString).appendingPathComponent(
      "data_batch_1.bin")
    try writeCompressedFile([UInt8](repeating: 0, count: limit + kind.recordSize), toPath: path)
    let compressed = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    print("CIFAR bomb: \(compressed) bytes gzipped, \(limit + kind.recordSize) inflated")
    #expect {
      try CIFARFile(contentsOf: path, kind: kind)
    } throws: { error in
      print(error)
      guard case .sizeMismatch(let p, let offset, _) = error as? DataFileError else { return false }
      return p == path && offset == limit
    }
  }
}
