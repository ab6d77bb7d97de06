import Foundation
import TestSupport

@testable import Sweeps

/// The repository root (three levels above this file).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().path

/// The debug `ujm` that `swift build --build-tests` builds beside the tests, or nil.
let builtUJM: String? = {
  let path = (repositoryRoot as NSString).appendingPathComponent(".build/debug/ujm")
  return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()

/// A sweep of tiny runs on synthetic data (3 blocks of width 8, 16 pixels, 3 classes).
func tinySweep(
  _ label: String, axes: String = "seed: [0, 1]", epochs: Int = 2, train: Int = 96,
  data: String? = nil, classes: String? = "0,1,2"
) -> (plan: SweepPlan, directory: String, specPath: String) {
  let root = temporaryDirectory("sweep-\(label)")
  let dataDir = (root as NSString).appendingPathComponent("data")
  try! FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
  writeSyntheticImageData(to: dataDir, train: train, test: 30, side: 4, classes: 3)
  let yaml = """
    base:
      type: 4a
      blocks: 3
      width: 8
      epochs: \(epochs)
      batch_size: 16
      \(classes.map { "classes: \"\($0)\"" } ?? "")
      data: \(data ?? dataDir)
    axes:
      \(axes)
    measure:
      inputs: 3
      rank: 2
      nc_examples: 30
      data: \(dataDir)
    """
  let spec = try! SweepSpec(yaml: yaml, name: label)
  let specPath = (root as NSString).appendingPathComponent("\(label).yaml")
  try! yaml.write(toFile: specPath, atomically: true, encoding: .utf8)
  let dir = (root as NSString).appendingPathComponent("sweep")
  return (SweepPlan(spec: spec, directory: dir), dir, specPath)
}

/// The pids of the children of `pid` (from /proc).
func children(of pid: Int32) -> [Int32] {
  guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else {
    return []
  }
  return entries.compactMap { Int32($0) }.filter { child in
    guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 1 && Int32(fields[1]) == pid
  }
}

/// Runs `ujm <arguments>` (bounded by `timeout` seconds); returns its status, stdout and stderr.
func runUJM(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 300)
  throws -> (status: Int32, stdout: String, stderr: String)
{
  let process = Process()
  process.executableURL = URL(fileURLWithPath: builtUJM!)
  process.arguments = arguments
  var env = ProcessInfo.processInfo.environment
  env["OPENBLAS_NUM_THREADS"] = "1"
  env.merge(environment) { _, new in new }
  process.environment = env
  let root = temporaryDirectory("ujm-out")
  let out = (root as NSString).appendingPathComponent("stdout")
  let err = (root as NSString).appendingPathComponent("stderr")
  FileManager.default.createFile(atPath: out, contents: nil)
  FileManager.default.createFile(atPath: err, contents: nil)
  process.standardOutput = FileHandle(forWritingAtPath: out)
  process.standardError = FileHandle(forWritingAtPath: err)
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let deadline = Date().addingTimeInterval(timeout)
  while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
  if process.isRunning {
    for child in children(of: process.processIdentifier) { kill(child, SIGKILL) }
    kill(process.processIdentifier, SIGKILL)
  }
  process.waitUntilExit()
  return (
    process.terminationStatus, try String(contentsOfFile: out, encoding: .utf8),
    try String(contentsOfFile: err, encoding: .utf8)
  )
}
