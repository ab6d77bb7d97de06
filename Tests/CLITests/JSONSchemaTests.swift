import Foundation
import TestSupport
import Testing

/// The repository root (this file is Tests/CLITests/JSONSchemaTests.swift).
private let repositoryRoot: URL = {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  return url
}()

/// The schema of a JSON value as the README writes it: `{a, b: {c}, d: [{e}]}`, keys sorted,
/// an array of objects as the schema of its first object, scalars (and null) as nothing.
func schema(of value: Any) -> String {
  if let object = value as? [String: Any] {
    let fields = object.keys.sorted().map { key -> String in
      let inner = schema(of: object[key]!)
      return inner.isEmpty ? key : "\(key): \(inner)"
    }
    return "{" + fields.joined(separator: ", ") + "}"
  }
  if let array = value as? [Any], let first = array.first(where: { $0 is [String: Any] }) {
    return "[" + schema(of: first) + "]"
  }
  return ""
}

/// A documented schema: an object's keys, each with the schema of its value when that value is
/// an object or an array of objects.
indirect enum SchemaNode: Equatable {
  case object([String: SchemaNode?])
  case array(SchemaNode)
}

/// Parses the README's notation `{a, b: {c}, d: [{e}]}`.
func parseSchema(_ text: String) -> SchemaNode? {
  var characters = Array(text.filter { !$0.isWhitespace })
  var position = 0
  func node() -> SchemaNode? {
    guard position < characters.count else { return nil }
    if characters[position] == "[" {
      position += 1
      guard let inner = node() else { return nil }
      position += 1  // ]
      return .array(inner)
    }
    guard characters[position] == "{" else { return nil }
    position += 1
    var fields: [String: SchemaNode?] = [:]
    while position < characters.count && characters[position] != "}" {
      var name = ""
      while position < characters.count && !",:}".contains(characters[position]) {
        name.append(characters[position])
        position += 1
      }
      var child: SchemaNode? = nil
      if position < characters.count && characters[position] == ":" {
        position += 1
        child = node()
      }
      fields[name] = child
      if position < characters.count && characters[position] == "," { position += 1 }
    }
    position += 1  // }
    return .object(fields)
  }
  defer { characters = [] }
  return node()
}

/// Where `value` departs from `documented`, or nil when it conforms: the same keys at every
/// level; a documented object or array may be null in a run (a fit that does not exist).
func mismatch(_ value: Any, _ documented: SchemaNode?, at path: String = "") -> String? {
  switch documented {
  case nil:
    if value is [String: Any] || (value as? [Any])?.contains(where: { $0 is [String: Any] }) == true
    {
      return "\(path) is an object (or array of objects) the README does not describe"
    }
    return nil
  case .array(let inner):
    if value is NSNull { return nil }
    guard let array = value as? [Any] else { return "\(path) is not an array" }
    return array.first.flatMap { mismatch($0, inner, at: path + "[0]") }
  case .object(let fields):
    if value is NSNull { return nil }
    guard let object = value as? [String: Any] else { return "\(path) is not an object" }
    if Set(object.keys) != Set(fields.keys) {
      return "\(path) has keys \(object.keys.sorted()), the README \(fields.keys.sorted())"
    }
    for key in fields.keys.sorted() {
      if let m = mismatch(object[key]!, fields[key]!, at: path + "." + key) { return m }
    }
    return nil
  }
}

/// The schemas the README documents: a `<!-- json-schema: NAME -->` line, then a fenced block.
func documentedSchemas() throws -> [String: String] {
  let text = try String(
    contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
  var out: [String: String] = [:]
  let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  var i = 0
  while i < lines.count {
    let line = lines[i].trimmingCharacters(in: .whitespaces)
    if line.hasPrefix("<!-- json-schema:"), line.hasSuffix("-->") {
      let name = line.dropFirst("<!-- json-schema:".count).dropLast(3)
        .trimmingCharacters(in: .whitespaces)
      var body: [String] = []
      var j = i + 2  // skip the opening fence
      while j < lines.count && !lines[j].hasPrefix("```") {
        body.append(lines[j].trimmingCharacters(in: .whitespaces))
        j += 1
      }
      out[name] = body.joined(separator: " ")
      i = j
    }
    i += 1
  }
  return out
}

/// Runs the built `ujm` with `arguments` in `directory`; returns the last line of stdout.
private func lastLine(_ ujm: String, _ arguments: [String], in directory: String) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: ujm)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: directory)
  process.environment = ["OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"]
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  // Pretty-printed reports (solve, verify) span lines: the whole output is one JSON value.
  return text.hasPrefix("{\n") || text.hasPrefix("{ ")
    ? text : String(text.split(separator: "\n").last ?? "")
}

@Suite("The README documents each subcommand's JSON schema, and the JSON has it (issue 10)")
struct JSONSchemaTests {
  @Test func everyDocumentedSchemaMatchesARealRun() throws {
    let ujm = repositoryRoot.appendingPathComponent(".build/debug/ujm").path
    guard FileManager.default.isExecutableFile(atPath: ujm) else {
      print("skipped: no built ujm executable at \(ujm) (run ./test, which builds it)")
      return
    }
    let work = temporaryDirectory("schema")
    let data = temporaryDirectory("schema-data")
    writeSyntheticImageData(to: data, train: 64, test: 20, side: 4, classes: 3)
    let matrix = (work as NSString).appendingPathComponent("a.npy")
    try writeNumPyMatrix(rows: 12, columns: 8, to: matrix)
    let tiny = [
      "--blocks", "1", "--width", "8", "--batch-size", "16", "--classes", "0,1", "--data", data,
    ]
    let runs: [(String, [String])] = [
      ("solve", ["solve", "--L", "2", "--lambda", "0.1", "--D", "4", "--json", "--hessian"]),
      (
        "solve-multiclass",
        [
          "solve", "--classes", "3", "--L", "2", "--lambda", "0.1", "--D", "4", "--starts", "2",
          "--json", "--hessian",
        ]
      ),
      ("verify", ["verify", "--theorem", "3.1", "--up-to", "5", "--cases", "5", "--json"]),
      ("rsvd", ["rsvd", "--input", matrix, "--rank", "3", "--json"]),
      ("train", ["train", "--epochs", "1", "--output", "run", "--json"] + tiny),
      ("evaluate", ["evaluate", "--checkpoint", "run", "--data", data, "--json"]),
      (
        "train",
        ["train", "--epochs", "1", "--output", "deep", "--json"] + tiny + ["--blocks", "3"]
      ),
      (
        "measure",
        [
          "measure", "--checkpoint", "deep", "--data", data, "--inputs", "6", "--rank", "2",
          "--nc-examples", "64", "--json",
        ]
      ),
      (
        "compare",
        [
          "compare", "--checkpoint", "deep", "--data", data, "--pairs", "2", "--rank", "2",
          "--json",
        ]
      ),
    ]
    let documented = try documentedSchemas()
    for (name, arguments) in runs {
      let line = try lastLine(ujm, arguments, in: work)
      guard let value = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else {
        Issue.record("\(name): the output is not JSON: \(line.prefix(300))")
        continue
      }
      let readme = try #require(documented[name], "README.md documents no JSON schema for \(name)")
      let problem = mismatch(value, parseSchema(readme))
      #expect(problem == nil, "\(name): \(problem ?? "")")
    }
    let metrics = try String(
      contentsOfFile: (work as NSString).appendingPathComponent("run/metrics.jsonl"),
      encoding: .utf8)
    let first = try JSONSerialization.jsonObject(with: Data(metrics.split(separator: "\n")[0].utf8))
    #expect(mismatch(first, parseSchema(documented["metrics.jsonl"] ?? "")) == nil)
  }

  @Test func aMissingOrExtraKeyIsAMismatchAndANullFitIsNot() throws {
    let documented = parseSchema("{a, fit: {slope, r2}, rows: [{x}]}")
    #expect(
      mismatch(["a": 1, "fit": NSNull(), "rows": [["x": 1]]] as [String: Any], documented) == nil)
    #expect(
      mismatch(["a": 1, "fit": ["slope": 1], "rows": []] as [String: Any], documented) != nil)
    #expect(
      mismatch(["a": 1, "b": 2, "fit": NSNull(), "rows": []] as [String: Any], documented) != nil)
    #expect(
      mismatch(["a": ["z": 1], "fit": NSNull(), "rows": []] as [String: Any], documented) != nil)
  }

  @Test func theSchemaOfAValueIsItsSortedKeys() {
    #expect(
      schema(of: ["b": 1, "a": ["c": [["d": 1]], "e": [1, 2]]] as [String: Any])
        == "{a: {c: [{d}], e}, b}")
  }
}

/// A small float64 C-order .npy file.
private func writeNumPyMatrix(rows: Int, columns: Int, to path: String) throws {
  var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
  while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
  header += "\n"
  var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
  bytes += [UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
  bytes += Array(header.utf8)
  var generator = testGenerator(7)
  for _ in 0..<(rows * columns) {
    let value = Double(generator.next() % 1000) / 100 - 5
    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
  }
  FileManager.default.createFile(atPath: path, contents: Data(bytes))
}
