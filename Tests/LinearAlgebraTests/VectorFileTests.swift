import Foundation
import Testing

@testable import LinearAlgebra

@Suite("Vector files (solve --dx): text or .npy, every bad entry named")
struct VectorFileTests {
  @Test func textWithWhitespaceAndCommasReadsEveryNumber() throws {
    let values = try VectorFile.values(decoding: Data("1 -2.5,\n3e-3\t4\r\n".utf8), name: "dx.txt")
    #expect(values == [1, -2.5, 3e-3, 4])
  }

  @Test(arguments: [
    ("", "dx: the file is empty"),
    ("1 2 x3", "dx: entry 3 ('x3') is not a number"),
    ("1 nan 2", "dx: entry 2 is nan, not a finite number"),
    ("1 inf", "dx: entry 2 is inf, not a finite number"),
    (" \n\t ", "dx: the file holds no numbers"),
  ])
  func badTextIsRefusedNamingTheEntry(text: String, message: String) {
    #expect(throws: VectorFile.FormatError(file: "dx", problem: String(message.dropFirst(4)))) {
      try VectorFile.values(decoding: Data(text.utf8), name: "dx")
    }
  }

  @Test func longTokenIsShortenedInTheMessage() {
    let token = String(repeating: "z", count: 10_000)
    #expect {
      try VectorFile.values(decoding: Data(token.utf8), name: "dx")
    } throws: { error in
      "\(error)".count < 100 && "\(error)".contains("…")
    }
  }

  @Test func npyMustBeOneDimensionalAndNotUTF8IsNamed() throws {
    let matrix = NumPyArray(shape: [2, 2], values: [1, 2, 3, 4]).npyData
    #expect(
      throws: VectorFile.FormatError(file: "m", problem: "expected a 1-D array, found shape [2, 2]")
    ) {
      try VectorFile.values(decoding: matrix, name: "m")
    }
    #expect(
      throws: VectorFile.FormatError(file: "b", problem: "neither a .npy file nor UTF-8 text")
    ) {
      try VectorFile.values(decoding: Data([0xFF, 0xFE, 0x00, 0x80]), name: "b")
    }
    #expect(
      try VectorFile.values(decoding: NumPyArray(vector: [0.5, 2]).npyData, name: "v") == [0.5, 2])
  }

  @Test func textWithANulByteIsRefusedNotCutShort() {
    #expect(throws: VectorFile.FormatError.self) {
      try VectorFile.values(decoding: Data([0x31, 0x00, 0x32]), name: "nul.txt")
    }
  }
}
