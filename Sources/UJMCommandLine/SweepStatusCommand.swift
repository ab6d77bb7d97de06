import ArgumentParser
import Foundation
import Sweeps

/// `ujm sweep status`: where each run stands, read from the run directories.
struct SweepStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Say per run: pending, running, complete or failed (with its last log line).",
    discussion: "Reads the run directories, not Slurm's accounting.")

  @OptionGroup var sweep: SweepSelection

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws { try reportingUsageErrors(command: "sweep status") { print(try execute()) } }

  func execute() throws -> String {
    let report = SweepStatusReport(try sweep.plan(validating: { _ in false }))
    return json ? try jsonLine(report) : report.text
  }
}

/// `ujm sweep status --json`: `{runs: [{index, settings, status, run_dir, last_log_line}]}`.
struct SweepStatusReport: Encodable {
  struct Run: Encodable {
    var index: Int
    var settings: [String: String]
    var status: RunStatus
    var runDir: String
    /// The failed step's last log line (failed runs only; null otherwise).
    var lastLogLine: String?
    /// A sentence naming a file of the run that does not read (null when every file reads).
    var problem: String?
    var settingsText: String

    enum CodingKeys: String, CodingKey {
      case index, settings, status
      case runDir = "run_dir"
      case lastLogLine = "last_log_line"
      case problem
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(index, forKey: .index)
      try c.encode(settings, forKey: .settings)
      try c.encode(status, forKey: .status)
      try c.encode(runDir, forKey: .runDir)
      try c.encode(lastLogLine, forKey: .lastLogLine)
      try c.encode(problem, forKey: .problem)
    }
  }
  var runs: [Run]

  init(_ plan: SweepPlan) {
    runs = plan.runs.map { run in
      let dir = SweepRunDirectory(path: run.directory)
      let status = dir.status
      let problem = dir.problem
      return Run(
        index: run.index,
        settings: Dictionary(uniqueKeysWithValues: run.settings.map { ($0.key, $0.value) }),
        status: status, runDir: run.directory,
        lastLogLine: status == .failed
          ? dir.failureRecord?.lastLogLine ?? (problem == nil ? dir.lastLogLine : nil) : nil,
        problem: problem, settingsText: run.settingsText)
    }
  }

  var text: String {
    let counts = RunStatus.allCases.map { s in
      "\(runs.filter { $0.status == s }.count) \(s.rawValue)"
    }
    return
      (["\(runs.count) run\(runs.count == 1 ? "" : "s"): " + counts.joined(separator: ", ")]
      + runs.map { r in
        "\(r.index)  \(r.status.rawValue)  \(r.settingsText)  \(r.runDir)"
          + (r.problem.map { "\n    \($0)" } ?? "")
          + (r.lastLogLine.map { "\n    last log line: \($0)" } ?? "")
      }).joined(separator: "\n")
  }
}
