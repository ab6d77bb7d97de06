import Foundation
import TestSupport
import Testing

@testable import Sweeps

/// Why the real-Slurm test cannot run here, or nil when it can.
private let slurmUnavailable: String? = {
  if builtUJM == nil { return "needs .build/debug/ujm (run swift build --build-tests first)" }
  if getuid() != 0 { return "needs root to install and start Slurm and munge" }
  let fm = FileManager.default
  if !fm.isExecutableFile(atPath: "/usr/sbin/slurmctld")
    && !fm.isExecutableFile(atPath: "/usr/bin/apt-get")
  {
    return "Slurm is not installed and apt-get is not available to install it"
  }
  if !fm.fileExists(atPath: "/usr/share/datasets/fashion-mnist") {
    return "experiments/smoke.yaml trains on Fashion-MNIST (/usr/share/datasets/fashion-mnist)"
  }
  if fm.fileExists(atPath: "/tmp/ujm-slurm/run/slurmctld.pid") {
    return "a local Slurm (scripts/slurm-local start) is already running; the test starts its own"
  }
  return nil
}()

/// Runs `scripts/slurm-local <command>` with the test's state directory, bounded.
private func slurmLocal(_ command: String, state: String) throws -> (Int32, String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
  process.arguments = [
    "600", (repositoryRoot as NSString).appendingPathComponent("scripts/slurm-local"), command,
  ]
  var env = ProcessInfo.processInfo.environment
  env["UJM_SLURM_DIR"] = state
  env["UJM_SLURM_TIMEOUT"] = "60"
  process.environment = env
  // A file, not a pipe: the daemons it starts must not hold our end open.
  let path = (temporaryDirectory("slurm-out") as NSString).appendingPathComponent("out")
  FileManager.default.createFile(atPath: path, contents: nil)
  let handle = FileHandle(forWritingAtPath: path)
  process.standardOutput = handle
  process.standardError = handle
  process.standardInput = FileHandle.nullDevice
  try process.run()
  process.waitUntilExit()
  try? handle?.close()
  return (process.terminationStatus, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
}

@Suite(
  "ujm sweep slurm on a real single-node Slurm",
  .serialized,
  .enabled(if: slurmUnavailable == nil, Comment(rawValue: slurmUnavailable ?? "")))
struct SlurmIntegrationTests {
  @Test func smokeSweepCompletesAsAJobArrayAndIsReported() throws {
    let state = temporaryDirectory("slurm")
    let install = try slurmLocal("install", state: state)
    print("slurm-local install: \(install.1)")
    try #require(install.0 == 0, "scripts/slurm-local install failed: \(install.1)")
    let start = try slurmLocal("start", state: state)
    print("slurm-local start: \(start.1)")
    defer {
      // Stops exactly the daemons this test started (their pid files in `state`).
      print("stopping at \(Date())")
      let stop = try? slurmLocal("stop", state: state)
      print("stopped at \(Date())")
      print("slurm-local stop: \(stop?.1 ?? "failed")")
    }
    try #require(start.0 == 0, "scripts/slurm-local start failed: \(start.1)")

    let spec = (repositoryRoot as NSString).appendingPathComponent("experiments/smoke.yaml")
    let dir = (temporaryDirectory("slurm-sweep") as NSString).appendingPathComponent("smoke")
    let env = ["SLURM_CONF": (state as NSString).appendingPathComponent("slurm.conf")]
    let submit = try runUJM(["sweep", "slurm", spec, "--dir", dir], environment: env, timeout: 60)
    print("sweep slurm: exit \(submit.status), stdout \(submit.stdout), stderr \(submit.stderr)")
    try #require(submit.status == 0)
    let jobID = submit.stdout.split(separator: "\n").last.map(String.init) ?? ""
    #expect(!jobID.isEmpty && jobID.allSatisfy(\.isNumber), "job id '\(jobID)'")
    let script = try String(
      contentsOfFile: (dir as NSString).appendingPathComponent("sweep.sbatch"), encoding: .utf8)
    #expect(script.contains("#SBATCH --array=0-1%2"))

    let plan = SweepPlan(spec: try SweepSpec(contentsOf: spec), directory: dir)
    let deadline = Date().addingTimeInterval(300)
    var statuses = [RunStatus]()
    repeat {
      Thread.sleep(forTimeInterval: 1)
      statuses = plan.runs.map { SweepRunDirectory(path: $0.directory).status }
    } while Date() < deadline && !statuses.allSatisfy { $0 == .complete || $0 == .failed }
    print("statuses: \(statuses) at \(Date())")
    if statuses != [.complete, .complete] {
      let logs = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/logs")) ?? []
      for log in logs {
        print(
          "\(log): \((try? String(contentsOfFile: "\(dir)/logs/\(log)", encoding: .utf8)) ?? "")")
      }
    }
    #expect(statuses == [.complete, .complete])
    let report = try runUJM(["sweep", "report", spec, "--dir", dir, "--json"])
    print("report at \(Date())")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
    let runs = try #require(object["runs"] as? [[String: Any]])
    #expect(runs.count == 2 && runs.allSatisfy { $0["status"] as? String == "complete" })
    // Slurm wrote each array task's output where the script says.
    let logs = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/logs")
    #expect(Set(logs) == ["\(jobID)_0.out", "\(jobID)_1.out"])
  }
}
