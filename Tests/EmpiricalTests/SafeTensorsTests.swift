import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

/// A safetensors file assembled by hand from its header JSON and data bytes.
private func handMade(_ header: String, data: [UInt8]) -> [UInt8] {
  let h = [UInt8](header.utf8)
  var bytes: [UInt8] = (0..<8).map {
    UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0)))
  }
  bytes += h
  return bytes + data
}

private func floatBytes(_ values: [Float]) -> [UInt8] {
  values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) }
  }
}

@Suite("safetensors: round-trips and rejects malformed files")
struct SafeTensorsTests {
  let sample = SafeTensorsFile(
    tensors: [
      "a.weight": StoredTensor(shape: [2, 3], values: .f32([1, -2, 3.5, 0, .pi, -0.0])),
      "a.num_batches_tracked": StoredTensor(shape: [], values: .i64([42])),
      "b": StoredTensor(shape: [0], values: .f32([])),
    ],
    metadata: ["arch": "test", "seed": "0"])

  @Test func encodedFileDecodesToTheSameTensors() throws {
    let bytes = sample.encoded
    let decoded = try SafeTensorsFile(decoding: bytes, path: "memory")
    #expect(decoded == sample)
    let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.1) << (8 * $1.0) }
    #expect(headerLength % 8 == 0)  // padded with spaces as the reference writer does
    #expect(decoded.encoded == bytes)  // deterministic
  }

  @Test func handMadeFileInTheReferenceLayoutIsRead() throws {
    let header =
      #"{"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    let file = try SafeTensorsFile(
      decoding: handMade(header, data: floatBytes([1.5, -2])), path: "m")
    #expect(file.tensors["x"] == StoredTensor(shape: [2], values: .f32([1.5, -2])))
    #expect(file.metadata == ["format": "pt"])
  }

  @Test func malformedFilesAreRejected() {
    let data = floatBytes([1, 2])
    let cases: [(String, [UInt8])] = [
      ("too short", [1, 2, 3]),
      ("header longer than the file", Array(handMade("{}", data: []).prefix(9))),
      ("header not JSON", handMade("{nope", data: [])),
      ("header not an object", handMade("[1,2]", data: [])),
      (
        "unsupported dtype",
        handMade(#"{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
      ),
      (
        "shape disagrees with offsets",
        handMade(#"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: data)
      ),
      (
        "truncated data",
        handMade(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0])
      ),
      (
        "bytes after the last tensor",
        handMade(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: data)
      ),
      (
        "gap before a tensor",
        handMade(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: data)
      ),
      (
        "overlapping tensors",
        handMade(
          #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: data)
      ),
      ("metadata not strings", handMade(#"{"__metadata__":{"a":1}}"#, data: [])),
      ("entry without dtype", handMade(#"{"x":{"shape":[0],"data_offsets":[0,0]}}"#, data: [])),
    ]
    withEvery("malformed file", in: cases.map(\.0)) { name, label in
      let bytes = cases.first { $0.0 == name }!.1
      #expect(throws: SafeTensorsError.self, "\(label)") {
        try SafeTensorsFile(decoding: bytes, path: "case")
      }
    }
  }

  @Test func writeIsAtomicAndAnInterruptedWriteKeepsTheOldFile() throws {
    let directory = temporaryDirectory("atomic")
    let path = (directory as NSString).appendingPathComponent("checkpoint.safetensors")
    try sample.write(to: path)
    let before = try #require(FileManager.default.contents(atPath: path))
    struct Interrupted: Error {}
    var other = sample
    other.metadata["seed"] = "1"
    #expect(throws: AtomicWriteError.self) {
      try AtomicFile.write(other.encoded, to: path) { throw Interrupted() }
    }
    #expect(FileManager.default.contents(atPath: path) == before)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
    #expect(leftovers == ["checkpoint.safetensors"])
    try other.write(to: path)
    #expect(try SafeTensorsFile(contentsOf: path).metadata["seed"] == "1")
  }
}
