import Foundation
import TestSupport
import Testing

/// The `ujm` executable that `swift build --build-tests` (`./test`) builds beside the tests.
private func builtExecutable() -> String? {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  for configuration in ["debug", "release"] {
    let path = url.appendingPathComponent(".build/\(configuration)/ujm").path
    if FileManager.default.isExecutableFile(atPath: path) { return path }
  }
  return nil
}

/// Runs `ujm` with `arguments`; kills it with SIGKILL after `killAfter` seconds unless it ends
/// first. Returns the exit status, or nil when it was killed.
private func runUJM(_ executable: String, _ arguments: [String], killAfter: Double?) throws
  -> Int32?
{
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  process.environment = ["OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"]
  process.standardOutput = FileHandle.nullDevice
  process.standardError = FileHandle.nullDevice
  try process.run()
  let deadline = Date().addingTimeInterval(killAfter ?? 120)
  while process.isRunning && Date() < deadline { usleep(2_000) }
  if process.isRunning {
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    return killAfter == nil ? -1 : nil
  }
  return process.terminationStatus
}

/// A metrics line without its timing fields.
private func untimed(_ line: Substring) throws -> NSDictionary {
  let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
  return object.filter { $0.key != "seconds" && $0.key != "samples_per_second" } as NSDictionary
}

@Suite("ujm train survives kill -9 at any instant (issue 10)", .serialized)
struct KillResumeTests {
  @Test func aRunKilledTwentyTimesEndsBitForBitAsAnUninterruptedOne() throws {
    guard let ujm = builtExecutable() else {
      print("skipped: no built ujm executable under .build/ (run ./test, which builds it)")
      return
    }
    let data = temporaryDirectory("kill-data")
    writeSyntheticImageData(to: data, train: 96, test: 30, side: 4, classes: 3)
    let options = [
      "train", "--blocks", "1", "--width", "8", "--batch-size", "16", "--classes", "0,1,2",
      "--epochs", "60", "--data", data, "--resume",
    ]
    let reference = temporaryDirectory("kill-reference")
    let start = Date()
    #expect(try runUJM(ujm, options + ["--output", reference], killAfter: nil) == 0)
    let duration = Date().timeIntervalSince(start)

    let interrupted = temporaryDirectory("kill-interrupted")
    var generator = testGenerator(0x4B11)
    var kills = 0
    var attempts = 0
    var insideWrites = 0
    while attempts < 200 {
      attempts += 1
      // Kill times uniform over a twentieth of a whole run, so that twenty kills land all
      // over it: at start-up, inside training steps, inside the snapshot's writes and between.
      let delay = kills < 20 ? Double(generator.next() % 1000) / 1000 * duration / 20 : nil
      let status = try runUJM(ujm, options + ["--output", interrupted], killAfter: delay)
      if let status {
        if kills >= 20 || status == 0 {
          #expect(status == 0)
          break
        }
      } else {
        kills += 1
        // Evidence of where the kill landed: the files of an unfinished write.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: interrupted)) ?? []
        if names.contains(where: { $0.contains(".tmp-") })
          || names.filter({ $0.hasPrefix(".snapshot-") }).count > 3
        {
          insideWrites += 1
        }
      }
    }
    print(
      "uninterrupted run \(String(format: "%.2f", duration)) s; \(kills) kills in \(attempts) starts, \(insideWrites) of them inside a snapshot's writes"
    )
    #expect(kills >= 20)
    for name in ["checkpoint.safetensors", "optimizer.safetensors"] {
      let a = FileManager.default.contents(
        atPath: (reference as NSString).appendingPathComponent(name))
      let b = FileManager.default.contents(
        atPath: (interrupted as NSString).appendingPathComponent(name))
      #expect(a != nil && a == b, "\(name) differs from the uninterrupted run's")
    }
    let lines = try [reference, interrupted].map {
      try String(
        contentsOfFile: ($0 as NSString).appendingPathComponent("metrics.jsonl"), encoding: .utf8
      ).split(separator: "\n")
    }
    #expect(lines[0].count == 60 && lines[1].count == 60)
    #expect(try lines[0].map(untimed) == lines[1].map(untimed))
    let names = try FileManager.default.contentsOfDirectory(atPath: interrupted)
    #expect(!names.contains { $0.contains(".tmp-") }, "temporary files left: \(names)")
  }
}
