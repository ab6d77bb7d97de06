import Empirical
import Foundation
import TestSupport
import Testing

@testable import Sweeps

@Suite("Sweep report: numbers read back from run directories, aggregated over seeds")
struct SweepReportTests {
  /// A plan of 2 types × 3 seeds whose complete runs hold known numbers.
  func syntheticSweep() throws -> SweepPlan {
    let spec = try SweepSpec(
      yaml: "base: {epochs: 1}\naxes:\n  type: [4a, 4b]\n  seed: [0, 1, 2]\nmeasure: {rank: 2}\n",
      name: "synthetic")
    let plan = SweepPlan(spec: spec, directory: temporaryDirectory("sweep-report"))
    for run in plan.runs {
      let dir = SweepRunDirectory(path: run.directory)
      try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
      let seed = Double(run.value(of: "seed")!)!
      let typeB = run.value(of: "type") == "4b"
      if typeB && seed == 2 { continue }  // one run never started: pending
      // test accuracy 0.80, 0.82, 0.84 for 4a; RA2 0.3 + 0.1·seed for 4a, 0.1 for 4b.
      let metrics: [String: Any] = [
        "epoch": 1, "steps": 10, "epoch_steps": 10, "lr": 0.1, "train_loss": 0.5,
        "train_accuracy": 0.9, "test_loss": 0.6,
        "test_accuracy": (typeB ? 0.70 : 0.80) + 0.02 * seed, "seconds": 1,
        "samples_per_second": 1,
      ]
      try
        (String(decoding: try JSONSerialization.data(withJSONObject: metrics), as: UTF8.self)
        + "\n").write(toFile: dir.metrics, atomically: true, encoding: .utf8)
      let measure: [String: Any] = [
        "ra2": ["diag_fraction": ["median": typeB ? 0.1 : 0.3 + 0.1 * seed, "min": 0, "max": 1]],
        "ra4": ["slope": 1.5, "r2": 0.9, "dead_blocks": [3]],
      ]
      try JSONSerialization.data(withJSONObject: measure).write(
        to: URL(fileURLWithPath: dir.measurement))
      if typeB && seed == 1 {
        try "{\"step\":\"measure\",\"exit_status\":1,\"last_log_line\":\"boom\"}"
          .write(toFile: dir.failure, atomically: true, encoding: .utf8)
        continue  // failed: its numbers are not reported
      }
      try completionMarker(run).write(toFile: dir.completion, atomically: true, encoding: .utf8)
    }
    return plan
  }

  /// The `complete.json` the executor writes for `run`.
  func completionMarker(_ run: PlannedRun) throws -> String {
    let marker = RunCompletion(index: run.index, settings: [:], finished: "2026-01-01T00:00:00Z")
    return String(decoding: try JSONEncoder().encode(marker), as: UTF8.self)
  }

  @Test func aCompletionMarkerHoldingGarbageIsNotCompleteAndNamesTheFile() throws {
    let plan = try syntheticSweep()
    let dir = SweepRunDirectory(path: plan.runs[0].directory)
    #expect(dir.status == .complete)
    for garbage in ["", "{}", "garbage", "[1, 2]", "{\"index\": \"zero\"}"] {
      try garbage.write(toFile: dir.completion, atomically: true, encoding: .utf8)
      let report = SweepReport(plan: plan)
      let problem = report.runs[0].problem ?? ""
      print("complete.json \(garbage.debugDescription): \(dir.status); \(problem)")
      #expect(dir.status == .failed)
      #expect(report.runs[0].status == .failed && report.runs[0].metrics.isEmpty)
      #expect(problem.contains(dir.completion) && !problem.contains("\n"))
      #expect(report.text.contains("run 0: " + dir.completion))
      #expect(!report.aggregates[0].runs.contains(0))
    }
  }

  @Test func anUnreadableMeasureReportFailsTheRunInTextAndJSONNamingTheFile() throws {
    let plan = try syntheticSweep()
    let dir = SweepRunDirectory(path: plan.runs[1].directory)
    for garbage in ["not json at all", "[]", "{\"ra2\": 7}"] {
      try garbage.write(toFile: dir.measurement, atomically: true, encoding: .utf8)
      let report = SweepReport(plan: plan)
      let row = report.runs[1]
      print("measure.json \(garbage.debugDescription): \(row.status); \(row.problem ?? "none")")
      #expect(row.status == .failed)
      #expect(row.problem?.contains(dir.measurement) == true)
      #expect(report.text.contains("run 1: " + dir.measurement))
      let json = try JSONEncoder().encode(report)
      let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
      let runs = try #require(object?["runs"] as? [[String: Any]])
      #expect((runs[1]["problem"] as? String)?.contains(dir.measurement) == true)
      #expect(runs[1]["status"] as? String == "failed")
      #expect(runs[0]["problem"] is NSNull)
    }
  }

  @Test func meanAndSpreadOverSeedsMatchTheKnownNumbers() throws {
    let report = SweepReport(plan: try syntheticSweep())
    #expect(
      report.runs.map(\.status) == [.complete, .complete, .complete, .complete, .failed, .pending])
    #expect(report.runs[4].metrics.isEmpty)
    #expect(report.aggregates.count == 2)
    let a = report.aggregates[0]
    #expect(a.settings == ["type": "4a"])
    #expect(a.runs == [0, 1, 2])
    let acc = try #require(a.metrics["test_accuracy"])
    let ra2 = try #require(a.measurements["ra2_diag_fraction"])
    print("4a: test accuracy \(acc), RA2 \(ra2)")
    #expect(abs(acc.mean - 0.82) < 1e-12)
    #expect(abs(acc.std - 0.02) < 1e-12)  // sample std of 0.80, 0.82, 0.84
    #expect(abs(ra2.mean - 0.4) < 1e-12 && abs(ra2.std - 0.1) < 1e-12)
    #expect(ra2.min == 0.3 && abs(ra2.max - 0.5) < 1e-12 && ra2.n == 3)
    #expect(a.measurements["ra4_dead_blocks"]?.mean == 1)
    let b = report.aggregates[1]
    #expect(b.runs == [3])
    #expect(b.metrics["test_accuracy"]?.std == 0)
    #expect(b.metrics["test_accuracy"]?.mean == 0.70)
  }

  @Test func csvHasOneRowPerRunAndTextShowsMeansWithSpread() throws {
    let report = SweepReport(plan: try syntheticSweep())
    let rows = report.csv.split(separator: "\n")
    #expect(rows.count == 7)
    #expect(rows[0].hasPrefix("index,status,type,seed,test_accuracy"))
    #expect(rows[5].hasPrefix("4,failed,4b,1,,"))
    print(report.text)
    #expect(report.text.contains("0.8200 ± 0.0200"))
  }

  @Test func figuresDrawOneLinePerOtherAxisWithErrorBars() throws {
    let plan = try syntheticSweep()
    let report = SweepReport(plan: plan)
    let svg = try #require(
      SweepFigures.against(
        plan.spec.axes[0], metric: "ra2_diag_fraction", report: report, spec: plan.spec))
    #expect(svg.hasPrefix("<svg"))
    #expect(svg.contains("0 = type 4a, 1 = type 4b"))
    #expect(SweepFigures.position(of: "0,1,2,3", axis: "classes", values: []) == 4)
    #expect(SweepFigures.position(of: "0.3", axis: "drop_path", values: ["0", "0.3"]) == 0.3)
  }

  @Test func sweepFiguresRefuseAUsersFigureAndRewriteTheirOwn() throws {
    let plan = try syntheticSweep()
    let report = SweepReport(plan: plan)
    let figures = temporaryDirectory("sweep-user-figures")
    let user = (figures as NSString).appendingPathComponent("ra2_diag_fraction-vs-type.svg")
    try "precious".write(toFile: user, atomically: false, encoding: .utf8)
    func draw(_ directory: String) throws(RunError) -> [String] {
      try SweepFigures.write(
        report: report, spec: plan.spec, x: plan.spec.axes[0], metrics: ["ra2_diag_fraction"],
        to: directory)
    }
    #expect(throws: RunError.self) { _ = try draw(figures) }
    #expect(try String(contentsOfFile: user, encoding: .utf8) == "precious")
    let own = temporaryDirectory("sweep-own-figures")
    #expect(try !draw(own).isEmpty)
    #expect(try !draw(own).isEmpty)
  }

  @Test func seedSpreadOfOneValueHasNoSpreadAndSkipsNonFiniteValues() throws {
    let one = try #require(SeedSpread([2]))
    #expect(one.n == 1 && one.mean == 2 && one.std == 0)
    let s = try #require(SeedSpread([1, .nan, 3]))
    #expect(s.n == 2 && s.mean == 2)
    #expect(SeedSpread([]) == nil)
  }
}
