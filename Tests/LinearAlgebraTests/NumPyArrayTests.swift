import Foundation
import LinearAlgebra
import Testing

@Suite("NumPy .npy files: round trip and rejected inputs")
struct NumPyArrayTests {
  /// A hand-built .npy header + payload.
  func npy(descr: String, fortran: Bool, shape: String, payload: [UInt8]) -> Data {
    var header =
      "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
    let pad = (64 - (10 + header.utf8.count + 1) % 64) % 64
    header += String(repeating: " ", count: pad) + "\n"
    var d = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
    d.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
    d.append(contentsOf: Array(header.utf8))
    d.append(contentsOf: payload)
    return d
  }

  func float32Bytes(_ v: [Float]) -> [UInt8] {
    v.flatMap { x in (0..<4).map { UInt8((x.bitPattern >> (8 * UInt32($0))) & 0xFF) } }
  }

  @Test func float64RoundTrip() throws {
    let a = NumPyArray(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
    let b = try NumPyArray(npyData: a.npyData, name: "t")
    #expect(a == b)
    #expect(b.matrix[1, 0] == 4)
  }

  @Test func fortranOrderFloat32IsTransposedIntoCOrder() throws {
    // Fortran order [[1, 2, 3], [4, 5, 6]] is stored 1, 4, 2, 5, 3, 6.
    let data = npy(
      descr: "<f4", fortran: true, shape: "(2, 3)", payload: float32Bytes([1, 4, 2, 5, 3, 6]))
    let a = try NumPyArray(npyData: data, name: "t")
    #expect(a.values == [1, 2, 3, 4, 5, 6])
  }

  @Test func oneDimensionalShapeWithTrailingComma() throws {
    let data = npy(descr: "<f4", fortran: false, shape: "(2,)", payload: float32Bytes([1.5, -2]))
    #expect(try NumPyArray(npyData: data, name: "t").values == [1.5, -2])
  }

  @Test(arguments: [
    ("bad magic", Data([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), "bad magic"),
    ("empty", Data(), "empty"),
  ])
  func rejectsNonNpy(label: String, data: Data, expected: String) {
    let error = #expect(throws: NumPyFormatError.self) {
      try NumPyArray(npyData: data, name: "f.npy")
    }
    #expect(error?.description.contains(expected) == true, "\(label)")
  }

  @Test func rejectsTruncatedIntegerAndThreeDimensionalArrays() {
    let truncated = npy(descr: "<f8", fortran: false, shape: "(3,)", payload: [0, 0, 0, 0])
    let integer = npy(
      descr: "<i8", fortran: false, shape: "(1,)", payload: Array(repeating: 0, count: 8))
    let cube = npy(
      descr: "<f8", fortran: false, shape: "(1, 1, 1)", payload: Array(repeating: 0, count: 8))
    for (data, expected) in [(truncated, "truncated"), (integer, "not float64"), (cube, "3-D")] {
      let error = #expect(throws: NumPyFormatError.self) {
        try NumPyArray(npyData: data, name: "f")
      }
      #expect(error?.description.contains(expected) == true, "expected '\(expected)'")
    }
  }
}
