// Solver speed on the default UJM problem (L = 16, λ = 0.01, seed 0, label +1):
// - for D ∈ {16, 64, 256, 512} and every algorithm, seconds and evaluations to reach
//   F − f* < 1e-8 (`ConvergenceTest.objectiveTarget`), as a speed-up against gradient descent
//   (`gd`) measured in the same run; slow algorithms are capped by an iteration budget computed
//   from a pilot run (`--budget` seconds each at D ≥ 256) and marked "capped";
// - seconds per dense objective+gradient evaluation against D, with the fitted exponent (≈ 2);
// - the peak resident memory during each D = 512 solve (VmHWM, reset through
//   /proc/self/clear_refs), in copies of the 4.2-million-entry parameter vector;
// - the BLAS core and thread count.
// The default algorithm (`lbfgs`) is run three times per D; its median is used. The baseline
// (`gd`) gets three times the budget.
//
// With --multiclass it runs only the multi-class solve against SciPy's L-BFGS-B (Multiclass.swift);
// --multiclass-profile N repeats ujm's side alone for a profiler, --multiclass-memories compares
// L-BFGS memories on it.
//
// Usage: swift run -c release SolveBenchmark [--budget SECONDS] [--dimensions 16,64,256,512]
//        swift run -c release SolveBenchmark --multiclass [--python PATH] [--rounds 3] [--threads T]
//        swift run -c release SolveBenchmark --multiclass-profile 1000 | --multiclass-memories

import Foundation
import LinearAlgebra
import UJM

func option(_ name: String, default value: String) -> String {
  let args = CommandLine.arguments
  if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
  return value
}

/// Prints a line unbuffered, so that progress shows when the output goes to a file.
func emit(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func seconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

func format(_ x: Double, _ digits: Int = 3) -> String {
  if !x.isFinite { return "\(x)" }
  return String(format: "%.\(digits)g", x)
}

func pad(_ s: String, _ width: Int) -> String {
  s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

if CommandLine.arguments.contains("--multiclass-memories") {
  multiclassMemories()
  exit(0)
}

if CommandLine.arguments.contains("--multiclass-profile") {
  let repeats = Int(option("--multiclass-profile", default: "1000"))!
  multiclassProfile(repeats: repeats)
  exit(0)
}

if CommandLine.arguments.contains("--multiclass") {
  let python = option("--python", default: "python3")
  let rounds = Int(option("--rounds", default: "3"))!
  let threads = Int(
    option("--threads", default: "\(ProcessInfo.processInfo.activeProcessorCount)"))!
  exit(try multiclassComparison(python: python, rounds: rounds, threads: threads) ? 0 : 1)
}

let budget = Double(option("--budget", default: "60"))!
let dimensions = option("--dimensions", default: "16,64,256,512").split(separator: ",").map {
  Int($0)!
}
let depth = 16
let lambda = 0.01
let gap = 1e-8
let blas = BLASEnvironment.current
let clock = ContinuousClock()
let defaultAlgorithm = SolverAlgorithm.defaultAlgorithm
// gd first: it is the baseline.
let algorithms: [SolverAlgorithm] =
  [.gd, defaultAlgorithm] + SolverAlgorithm.allCases.filter { $0 != .gd && $0 != defaultAlgorithm }

emit("SolveBenchmark: L = \(depth), λ = \(lambda), seed 0, label +1; time to F − f* < \(gap)")
emit(
  "BLAS: \(blas.core), \(blas.threads) thread(s); at D ≥ 256 each solve is capped at about "
    + "\(format(budget)) s (gd: \(format(3 * budget)) s) by an iteration budget from a pilot run")
emit("speed-up vs gd = gd's seconds / the algorithm's seconds; peak = VmHWM during the solve")
emit("Timings are wall-clock on a machine shared with other builds: expect noise.")
emit("")

struct Row {
  var algorithm: String
  var seconds: Double
  var evaluations: Int
  var iterations: Int
  var stop: String
  var gap: Double
  var capped: Bool
  var peakCopies: Double?
  var polish: Int
}

var evaluationSeconds: [(d: Int, seconds: Double)] = []
var structuredEvaluationSeconds: [(d: Int, seconds: Double)] = []

for d in dimensions {
  let problem = DefaultProblem(depth: depth, lambda: lambda, dimension: d, label: 1, seed: 0)
  let model = problem.model
  let fStar = problem.reduced.minimize().objective
  let n = model.parameterCount
  var rows: [Row] = []

  // Seconds per dense objective+gradient evaluation (repeat for at least 0.3 s).
  var gradient = [Double](repeating: 0, count: n)
  var repetitions = 0
  let evalStart = clock.now
  repeat {
    _ = model.valueAndGradient(at: problem.start, gradient: &gradient)
    repetitions += 1
  } while seconds(clock.now - evalStart) < 0.3
  evaluationSeconds.append((d, seconds(clock.now - evalStart) / Double(repetitions)))
  gradient = []

  for algorithm in algorithms {
    let minimizer = algorithm.minimizer(step: 0.5)
    var maxIterations = 100_000
    var capped = false
    if d >= 256 && algorithm != defaultAlgorithm {
      // Pilot: seconds per iteration over a few iterations, then an iteration cap for the budget.
      let pilotIterations = 5
      let pilotStart = clock.now
      let pilot = minimizer.minimize(
        model, from: problem.start,
        until: ConvergenceTest(gradientTolerance: 1e-300, maxIterations: pilotIterations))
      let perIteration = seconds(clock.now - pilotStart) / Double(max(1, pilot.iterations))
      let allowed = algorithm == .gd ? 3 * budget : budget
      let cap = max(pilotIterations, Int(allowed / perIteration))
      if cap < maxIterations {
        maxIterations = cap
        capped = true
      }
    }
    let test = ConvergenceTest(
      gradientTolerance: 1e-300, maxIterations: maxIterations, objectiveTarget: fStar + gap)
    let runs = algorithm == defaultAlgorithm ? 3 : 1
    var timings: [(Double, SolveResult, Double?)] = []
    for _ in 0..<runs {
      let resetWorked = d == 512 ? PeakMemory.resetHighWaterMark() : false
      let t0 = clock.now
      let result = minimizer.minimize(model, from: problem.start, until: test)
      let elapsed = seconds(clock.now - t0)
      let peak =
        resetWorked ? PeakMemory.highWaterMarkBytes.map { Double($0) / (8 * Double(n)) } : nil
      timings.append((elapsed, result, peak))
    }
    timings.sort { $0.0 < $1.0 }
    let (elapsed, result, _) = timings[timings.count / 2]
    let reached: Bool
    if case .reachedTarget = result.stopReason { reached = true } else { reached = false }
    rows.append(
      Row(
        algorithm: algorithm.rawValue, seconds: elapsed, evaluations: result.evaluations,
        iterations: result.iterations, stop: result.stopReason.name,
        gap: result.objective - fStar, capped: capped && !reached,
        peakCopies: timings.compactMap(\.2).max(), polish: result.polishIterations))
    if algorithm == defaultAlgorithm {
      structuredEvaluationSeconds.append((d, elapsed / Double(result.evaluations)))
    }
  }

  let baseline = rows.first { $0.algorithm == SolverAlgorithm.gd.rawValue }!
  emit("D = \(d) (\(n) parameters), f* = \(format(fStar, 17))")
  var header =
    pad("algorithm", 10) + pad("seconds", 11) + pad("evals", 8) + pad("iters", 8)
    + pad("F − f*", 11) + pad("stop", 26) + pad("speed-up vs gd", 19) + pad("polish", 8)
  if d == 512 { header += "peak (copies)" }
  emit(header)
  for row in rows {
    var speedUp = baseline.seconds / row.seconds
    var speedText = format(speedUp) + "×"
    if baseline.capped && !row.capped { speedText = "≥ " + speedText }
    if row.capped && !baseline.capped { speedText = "≤ " + speedText }
    if row.capped && baseline.capped {
      speedText = "n/a (both capped)"
      speedUp = .nan
    }
    var line =
      pad(row.algorithm, 10) + pad(format(row.seconds), 11) + pad("\(row.evaluations)", 8)
      + pad("\(row.iterations)", 8) + pad(format(row.gap, 2), 11)
      + pad(row.stop + (row.capped ? " (capped)" : ""), 26) + pad(speedText, 19)
      + pad("\(row.polish)", 8)
    if d == 512 { line += row.peakCopies.map { format($0) } ?? "n/a" }
    emit(line)
  }
  emit("")
}

// Seconds per evaluation against D: least-squares slope of log(seconds) on log(D).
func fitExponent(_ points: [(d: Int, seconds: Double)]) -> Double {
  let xs = points.map { log(Double($0.d)) }
  let ys = points.map { log($0.seconds) }
  let mx = xs.reduce(0, +) / Double(xs.count)
  let my = ys.reduce(0, +) / Double(ys.count)
  var sxy = 0.0
  var sxx = 0.0
  for (x, y) in zip(xs, ys) {
    sxy += (x - mx) * (y - my)
    sxx += (x - mx) * (x - mx)
  }
  return sxy / sxx
}

emit("Seconds per objective+gradient evaluation:")
emit(pad("D", 8) + pad("dense", 14) + pad("lbfgs (structured, mean over its solve)", 40))
for (dense, structured) in zip(evaluationSeconds, structuredEvaluationSeconds) {
  emit(pad("\(dense.d)", 8) + pad(format(dense.seconds), 14) + format(structured.seconds))
}
let large = evaluationSeconds.filter { $0.d >= 64 }
if large.count >= 2 {
  emit(
    "fitted exponent (dense, D ≥ 64): \(format(fitExponent(large))); "
      + "all D: \(format(fitExponent(evaluationSeconds))) (expected ≈ 2)")
}
let largeStructured = structuredEvaluationSeconds.filter { $0.d >= 64 }
if largeStructured.count >= 2 {
  emit("fitted exponent (lbfgs, D ≥ 64): \(format(fitExponent(largeStructured)))")
}
emit("BLAS: \(blas.core), \(blas.threads) thread(s)")
