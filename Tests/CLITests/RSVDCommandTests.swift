import ArgumentParser
import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import UJMCommandLine

/// The bytes of a `.npy` file with an arbitrary header (for layouts NumPyArray does not write).
func npyBytes(descr: String, fortran: Bool, shape: [Int], payload: [UInt8]) -> Data {
  let shapeText =
    shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
  var header =
    "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), "
    + "'shape': \(shapeText), }"
  header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
  var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
  out.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
  out.append(contentsOf: Array(header.utf8))
  out.append(contentsOf: payload)
  return out
}

/// A fresh temporary directory for one test.
func rsvdTemporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("ujm-rsvd-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// Parses `arguments` as `ujm …` and runs the rsvd command in-process, returning its output.
func runRSVD(_ arguments: [String]) throws -> String {
  let command = try UJMCommand.parseAsRoot(arguments)
  guard let rsvd = command as? RSVDCommand else {
    Issue.record("parsed \(type(of: command)), not RSVDCommand")
    return ""
  }
  return try rsvd.report()
}

@Suite("ujm rsvd: the randomized SVD of a .npy array, and its input errors", .serialized)
struct RSVDCommandTests {
  /// A 60×40 matrix with σ = 1, 1/2, …, written as C-order float64.
  func writeSpectrumMatrix(to url: URL) throws -> [Double] {
    var rng = testGenerator(30)
    let u: Matrix<Double> = try Gaussian.orthogonalMatrix(60, using: &rng)
    let v: Matrix<Double> = try Gaussian.orthogonalMatrix(40, using: &rng)
    let sigma = (1...40).map { 1 / Double($0) }
    let a = u * Matrix.diagonal(sigma, rows: 60, columns: 40) * v.transposed
    try NumPyArray(matrix: a).npyData.write(to: url)
    return sigma
  }

  @Test func jsonReportsTheSingularValuesAndTheFieldsOfTheIssue() throws {
    let dir = try rsvdTemporaryDirectory()
    let file = dir.appendingPathComponent("a.npy")
    let sigma = try writeSpectrumMatrix(to: file)
    let out = try runRSVD(["rsvd", "--input", file.path, "--rank", "5", "--json", "--seed", "3"])
    let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
    #expect(
      Set(object.keys) == [
        "singular_values", "error_estimate", "seconds", "rank", "oversampling", "iterations",
        "seed", "precision",
      ])
    let values = object["singular_values"] as! [Double]
    let err = relativeError(values, Array(sigma.prefix(5)))
    #expect(err <= 1e-10, "σ error \(err), tolerance 1e-10")
    let estimate = object["error_estimate"] as! Double
    #expect(abs(estimate - sigma[5]) <= 1e-8, "estimate \(estimate), σ₆ = \(sigma[5])")
    #expect(object["seed"] as? Int == 3 && object["iterations"] as? Int == 20)
    #expect(object["precision"] as? String == "double")
  }

  @Test func mixedPrecisionGivesTheSameValuesOnASlowlyDecayingSpectrum() throws {
    let dir = try rsvdTemporaryDirectory()
    let file = dir.appendingPathComponent("a.npy")
    let sigma = try writeSpectrumMatrix(to: file)
    let out = try runRSVD([
      "rsvd", "--input", file.path, "--rank", "5", "--json", "--precision", "mixed",
    ])
    let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
    #expect(object["precision"] as? String == "mixed")
    let err = relativeError(object["singular_values"] as! [Double], Array(sigma.prefix(5)))
    #expect(err <= 1e-10, "σ error \(err), tolerance 1e-10")
  }

  @Test func readsFloat32FortranOrder() throws {
    let dir = try rsvdTemporaryDirectory()
    // [[1, 0, 0], …] scaled: a 4×3 matrix with singular values 3, 2, 1 stored column by column.
    let a = Matrix<Double>.diagonal([3, 2, 1], rows: 4, columns: 3)
    var payload = [UInt8]()
    for x in a.storage {
      let bits = Float(x).bitPattern
      for b in 0..<4 { payload.append(UInt8((bits >> (8 * UInt32(b))) & 0xFF)) }
    }
    let file = dir.appendingPathComponent("f4.npy")
    try npyBytes(descr: "<f4", fortran: true, shape: [4, 3], payload: payload).write(to: file)
    let out = try runRSVD(["rsvd", "--input", file.path, "--rank", "2", "--json"])
    let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
    let values = object["singular_values"] as! [Double]
    #expect(relativeError(values, [3, 2]) <= 1e-14, "values \(values)")
  }

  @Test func humanReadableReportNamesSeedMethodAndBLAS() throws {
    let dir = try rsvdTemporaryDirectory()
    let file = dir.appendingPathComponent("a.npy")
    _ = try writeSpectrumMatrix(to: file)
    let out = try runRSVD(["rsvd", "--input", file.path, "--rank", "3"])
    #expect(out.contains("seed 0") && out.contains("Algorithm 971") && out.contains("BLAS core"))
    #expect(out.contains("σ3 = "))
  }

  @Test func vectorsFileHoldsUSAndV() throws {
    let dir = try rsvdTemporaryDirectory()
    let file = dir.appendingPathComponent("a.npy")
    _ = try writeSpectrumMatrix(to: file)
    let npz = dir.appendingPathComponent("uv.npz")
    _ = try runRSVD(["rsvd", "--input", file.path, "--rank", "4", "--vectors", npz.path])
    let data = try Data(contentsOf: npz)
    #expect(data.starts(with: [0x50, 0x4B, 0x03, 0x04]))
    for name in ["u.npy", "s.npy", "v.npy"] {
      #expect(data.range(of: Data(name.utf8)) != nil, "\(name) missing from the archive")
    }
  }

  @Test func badInputsGiveOneLineErrorsNamingTheOption() throws {
    let dir = try rsvdTemporaryDirectory()
    let good = dir.appendingPathComponent("a.npy")
    _ = try writeSpectrumMatrix(to: good)
    let vector = dir.appendingPathComponent("v.npy")
    try NumPyArray(vector: [1, 2, 3]).npyData.write(to: vector)
    let ints = dir.appendingPathComponent("i.npy")
    let zeros = [UInt8](repeating: 0, count: 32)
    try npyBytes(descr: "<i8", fortran: false, shape: [2, 2], payload: zeros).write(to: ints)
    let cube = dir.appendingPathComponent("c.npy")
    try npyBytes(descr: "<f8", fortran: false, shape: [1, 1, 1], payload: Array(zeros.prefix(8)))
      .write(to: cube)
    let cases: [(arguments: [String], mentions: String)] = [
      (["--input", dir.appendingPathComponent("missing.npy").path, "--rank", "2"], "missing.npy"),
      (["--input", vector.path, "--rank", "1"], "2-D"),
      (["--input", ints.path, "--rank", "1"], "float64"),
      (["--input", cube.path, "--rank", "1"], "2-D"),
      (["--input", good.path, "--rank", "41"], "--rank"),
    ]
    try withEvery("case", in: cases.indices) { i, label in
      let arguments = ["rsvd"] + cases[i].arguments
      do {
        _ = try runRSVD(arguments)
        Issue.record("\(label): \(arguments) did not fail")
      } catch let failure as UsageError {
        #expect(failure.message.contains(cases[i].mentions), "\(label): \(failure.message)")
        #expect(!failure.message.contains("\n"), "\(label): message is not one line")
      }
      // run() turns the failure into exit code 64.
      let command = try UJMCommand.parseAsRoot(arguments)
      #expect(throws: ExitCode(64)) {
        var c = command
        try c.run()
      }
    }
  }

  @Test func invalidOptionsAreRejectedWithExitCode64() throws {
    withEvery(
      "arguments",
      in: [
        ["--rank", "0"], ["--rank", "-2"], ["--rank", "2", "--oversampling", "-1"],
        ["--rank", "2", "--iterations", "-1"], ["--rank", "2", "--seed", "-5"],
        ["--rank", "2", "--precision", "half"],
      ]
    ) { extra, label in
      let arguments = ["rsvd", "--input", "x.npy"] + extra
      do {
        _ = try UJMCommand.parseAsRoot(arguments)
        Issue.record("\(label): accepted")
      } catch {
        #expect(UJMCommand.exitCode(for: error).rawValue == 64, "\(label)")
        let message = UJMCommand.message(for: error)
        #expect(message.contains("--"), "\(label): \(message)")
      }
    }
  }
}
