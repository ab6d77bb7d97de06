import ArgumentParser
import Sweeps

/// `ujm sweep plan`: the runs of a spec in their fixed order.
struct SweepPlanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan", abstract: "Print the runs of a sweep: index, settings, run directory.")

  @OptionGroup var sweep: SweepSelection

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws { try reportingUsageErrors(command: "sweep plan") { print(try execute()) } }

  func execute() throws -> String {
    let plan = try sweep.plan()
    let report = SweepPlanReport(plan)
    return json ? try jsonLine(report) : report.text
  }
}

/// `ujm sweep plan --json`: `{sweep, directory, runs: [{index, settings, hash, run_dir}]}`.
struct SweepPlanReport: Encodable {
  struct Run: Encodable {
    var index: Int
    var settings: [String: String]
    var hash: String
    var runDir: String
    /// The settings in the spec's axis order, `key=value …` (text form only).
    var settingsText: String
    enum CodingKeys: String, CodingKey {
      case index, settings, hash
      case runDir = "run_dir"
    }
  }
  var sweep: String
  var directory: String
  var runs: [Run]

  init(_ plan: SweepPlan) {
    sweep = plan.spec.name
    directory = plan.directory
    runs = plan.runs.map {
      Run(
        index: $0.index,
        settings: Dictionary(uniqueKeysWithValues: $0.settings.map { ($0.key, $0.value) }),
        hash: $0.hash, runDir: $0.directory, settingsText: $0.settingsText)
    }
  }

  var text: String {
    (["sweep \(sweep): \(runs.count) run\(runs.count == 1 ? "" : "s") in \(directory)"]
      + runs.map { "\($0.index)  \($0.settingsText)  \($0.runDir)" })
      .joined(separator: "\n")
  }
}
