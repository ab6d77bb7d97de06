import Empirical
import Foundation

/// The profile of the round whose profiled total is the median of `profiles`.
public func medianProfile(_ profiles: [PassProfile]) -> PassProfile {
  let ps = profiles.sorted { $0.seconds.values.reduce(0, +) < $1.seconds.values.reduce(0, +) }
  return ps[ps.count / 2]
}

/// The per-pass table of issue 21: one row per `TrainingPass` (seconds per step, and GFLOP/s
/// where the pass counts its FLOPs), one column per profile under `headers`, and the total.
public func passProfileTable(_ profiles: [PassProfile], headers: [String], steps: Int) -> String {
  var lines = [
    headers.reduce("pass".padding(toLength: 32, withPad: " ", startingAt: 0)) {
      $0 + "  " + $1.padding(toLength: 12, withPad: " ", startingAt: 0) + "   GFLOP/s"
    }
  ]
  for pass in TrainingPass.allCases {
    var line = pass.rawValue.padding(toLength: 32, withPad: " ", startingAt: 0)
    for p in profiles {
      let s = (p.seconds[pass] ?? 0) / Double(steps)
      let f = (p.flops[pass] ?? 0) / Double(steps)
      line += String(format: "  %12.4f", s)
      line += f > 0 ? String(format: "  %8.1f", f / s / 1e9) : "          "
    }
    lines.append(line)
  }
  var total = "total (profiled)".padding(toLength: 32, withPad: " ", startingAt: 0)
  for p in profiles {
    total += String(format: "  %12.4f          ", p.seconds.values.reduce(0, +) / Double(steps))
  }
  lines.append(total)
  return lines.joined(separator: "\n")
}
