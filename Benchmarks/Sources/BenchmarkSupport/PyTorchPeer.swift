import Foundation

/// One round of a PyTorch peer script under `Benchmarks/Scripts/`: runs `python script arguments`
/// (through `/usr/bin/env`, so that `--pytorch python3` is looked up on PATH as a shell would),
/// copies its output to stderr, and returns the last `samples_per_second=` and
/// `cpu_seconds_per_step=` it printed, or nil when it failed to start or printed neither.
public func pytorchPeerRound(python: String, script name: String, arguments: [String])
  -> (rate: Double, cpu: Double)?
{
  let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Scripts/\(name)").standardized.path
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = [python, script] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  do { try process.run() } catch { return nil }
  let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  FileHandle.standardError.write(Data(output.utf8))
  func value(_ key: String) -> Double? {
    output.split(separator: "\n").last(where: { $0.hasPrefix(key + "=") })
      .flatMap { Double($0.dropFirst(key.count + 1)) }
  }
  guard let rate = value("samples_per_second"), let cpu = value("cpu_seconds_per_step") else {
    return nil
  }
  return (rate, cpu)
}
