import Empirical
import Foundation
import Testing

@testable import Sweeps

/// A sweep reads its runs' measure reports back as typed values (`MeasurementHeadlines`), with
/// one table of names; checked on two reports `ujm measure` wrote for page 05 (values read with
/// Python's json module).
@Suite("Measure reports read back as typed headlines")
struct MeasurementHeadlinesTests {
  static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("notebooks-text/data")

  func headlines(_ name: String) throws -> [String: Double] {
    let bytes = try Data(contentsOf: Self.data.appendingPathComponent(name))
    return try JSONDecoder().decode(MeasurementHeadlines.self, from: bytes).values
  }

  @Test func aLiveNetworksReportGivesEveryHeadline() throws {
    let v = try headlines("05-measure-4a-wd5e-4-500ep.json")
    #expect(v["ra2_diag_fraction"] == 0.13819223474872655)
    #expect(v["ra4_slope"] == 4.951030366513119)
    #expect(v["ra4_dead_blocks"] == 0)
    #expect(v["nc1"] == 0.005258427363805491)
    #expect(v["ra3_numerical_rank"] == 6.25)
    #expect(Set(v.keys) == Set(MeasurementHeadlines.table.map(\.name)))
  }

  @Test func nullsOfADeadNetworkAreAbsentNotZero() throws {
    let v = try headlines("05-measure-1-wd1e-2-500ep.json")
    #expect(v["ra4_slope"] == nil && v["ra3_gap"] == nil)
    #expect(v["ra4_dead_blocks"] == 16)
  }

  @Test func theSweepsNamesAreTheTablesNames() {
    #expect(RunResults.measurementNames == MeasurementHeadlines.table.map(\.name))
    #expect(RunResults.measurementNames.contains("ra2_diag_fraction"))
  }
}
