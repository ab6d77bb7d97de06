import Foundation
import Testing

@testable import Sweeps

/// Welch's t-test against SciPy 1.x's `ttest_ind(a, b, equal_var=False)` (values computed once
/// and written here), and the arms a sweep report compares.
@Suite("Welch's t-test between sweep arms")
struct WelchTestTests {
  @Test func statisticDegreesOfFreedomAndPAgreeWithSciPy() throws {
    // scipy.stats.ttest_ind([.139, .125, .153], [.119, .117, .121], equal_var=False)
    let a = try #require(WelchTest([0.139, 0.125, 0.153], [0.119, 0.117, 0.121]))
    print("Welch: t \(a.t), df \(a.degreesOfFreedom), p \(a.p) (SciPy 2.44949, 2.08160, 0.129079)")
    #expect(abs(a.t - 2.4494897427831805) <= 1e-12)
    #expect(abs(a.degreesOfFreedom - 2.081598667776852) <= 1e-12)
    #expect(abs(a.p - 0.12907936488090765) <= 1e-9)
    let b = try #require(WelchTest([1, 2, 3, 4], [2, 4, 6, 8.5]))
    #expect(abs(b.t - -1.7127408306551661) <= 1e-12)
    #expect(abs(b.degreesOfFreedom - 4.236314660409189) <= 1e-12)
    #expect(abs(b.p - 0.1579142676824098) <= 1e-9)
  }

  @Test func clearlySeparatedArmsGiveASmallPAndOverlappingArmsALargeOne() throws {
    let separated = try #require(WelchTest([10, 10.1, 9.9, 10.05], [1, 1.1, 0.9, 1.05]))
    let overlapping = try #require(WelchTest([1, 2, 3], [1.1, 2.1, 2.9]))
    print("separated p \(separated.p); overlapping p \(overlapping.p)")
    #expect(separated.p < 1e-6)
    #expect(overlapping.p > 0.9)
  }

  @Test func oneSeedPerArmOrNoVarianceAtAllIsNoTest() {
    #expect(WelchTest([1], [2, 3]) == nil)
    #expect(WelchTest([1, 1], [2, 2]) == nil)
    #expect(WelchTest([1, .nan], [2, 3]) == nil)
  }

  @Test func armsDifferingInMoreThanOneAxisAreNotCompared() {
    func row(_ i: Int, _ settings: [String: String], _ x: Double) -> RunRow {
      RunRow(
        index: i, settings: settings, status: .complete, runDir: "r\(i)", metrics: [:],
        measurements: ["ra2_diag_fraction": x], snapshots: [:])
    }
    var rows = [RunRow]()
    var i = 0
    for (type, dp) in [("4a", "0"), ("4a", "0.3"), ("4b", "0")] {
      for seed in 0..<3 {
        rows.append(
          row(i, ["type": type, "drop_path": dp, "seed": "\(seed)"], Double(i % 3) + Double(i / 3)))
        i += 1
      }
    }
    let comparisons = ArmComparison.all(
      rows, axes: ["type", "drop_path", "seed"], quantities: ["ra2_diag_fraction", "nc1"],
      seedAxis: "seed")
    let described = comparisons.map { "\($0.axis): \($0.a) vs \($0.b) at \($0.settings)" }
    print(described)
    // (4a, 0) vs (4a, 0.3): drop_path; (4a, 0) vs (4b, 0): type; (4a, 0.3) vs (4b, 0): neither.
    #expect(
      described.sorted() == [
        "drop_path: 0 vs 0.3 at [\"type\": \"4a\"]", "type: 4a vs 4b at [\"drop_path\": \"0\"]",
      ])
    #expect(
      comparisons.allSatisfy { $0.seedsA == ["0", "1", "2"] && $0.quantity == "ra2_diag_fraction" })
  }
}
