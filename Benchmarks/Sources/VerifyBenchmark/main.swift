// Times every check of `ujm verify` (claim and counterexample) at the CLI's defaults
// (--up-to 1000, --cases 1000, --seed 0), against a baseline measured in the same run: the exact
// harmonic number H_1000 = Σ_{i≤1000} 1/i in `Rational` (a fixed BigInt workload, so the
// ratios compare across machines). The issue's budget: the whole run under 10 s.
//
// Usage: swift run -c release VerifyBenchmark [repeats]   (from Benchmarks/)

import Foundation
import LinearAlgebra
import UJM

let repeats = CommandLine.arguments.count > 1 ? max(1, Int(CommandLine.arguments[1]) ?? 3) : 3
let configuration = ProofConfiguration(upTo: 1000, cases: 1000, seed: 0)
let clock = ContinuousClock()

func seconds(_ d: Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// The smallest of `repeats` timings of `body`, and its last result.
func time<R>(_ body: () -> R) -> (Double, R) {
  var best = Double.infinity
  var result: R?
  for _ in 0..<repeats {
    let start = clock.now
    result = body()
    best = min(best, seconds(clock.now - start))
  }
  return (best, result!)
}

let (baseline, harmonic) = time { (1...1000).map { Rational(1, $0) }.sum() }
let environment = BLASEnvironment.current
print(
  "VerifyBenchmark — BLAS core \(environment.core), \(environment.threads) thread(s); "
    + "best of \(repeats); up-to \(configuration.upTo), cases \(configuration.cases), seed 0")
print(
  "baseline: exact H_1000 (\(harmonic.denominator.bitWidth)-bit denominator) "
    + String(format: "%.4f s", baseline))
print("")
print(
  "id".padding(toLength: 26, withPad: " ", startingAt: 0)
    + "   claim s  ×baseline   counter s  ×baseline  verdicts")
var totalClaims = 0.0
var totalCounter = 0.0
for step in ExecutableProofs.steps {
  let (claimTime, claim) = time { step.verify(configuration) }
  let (counterTime, counter) = time { step.verifyCounterexample(configuration) }
  totalClaims += claimTime
  totalCounter += counterTime
  print(
    step.name.padding(toLength: 26, withPad: " ", startingAt: 0)
      + String(
        format: "%10.4f %10.1f %11.4f %10.1f  ", claimTime, claimTime / baseline, counterTime,
        counterTime / baseline)
      + "\(claim.passed ? "pass" : "FAIL")/\(counter.detected == true ? "detected" : "MISSED")")
}
print("")
print(
  String(
    format: "all claims %.3f s (%.0f× baseline, %.1f%% of the 10 s budget); "
      + "all counterexamples %.3f s", totalClaims, totalClaims / baseline, totalClaims * 10,
    totalCounter))
