// The multi-class solve (issue 17) against SciPy's L-BFGS-B, measured in the same run:
// - the instance is `ujm solve --classes 3 --examples-per-class 2 --D 12 --L 3 --lambda 1e-2
//   --seed 0` (the library's default instance, four seeded starts); the benchmark writes its
//   inputs, labels and the four starts to .npy files, and the peer
//   (Benchmarks/Scripts/solve_multiclass_peer.py) runs L-BFGS-B from the same four starts;
// - interleaved rounds (`--rounds`, default 3): ujm's whole solve run (`MulticlassSolveRun.run()`:
//   every start, the checks and the report, as `ujm solve` runs it, less process start-up and
//   printing) with the starts solved one after the other (1 thread), then with `--threads` T of
//   them at once (default: the cores; what `ujm solve` does at OPENBLAS_NUM_THREADS = T), then the
//   peer; medians over rounds;
// - the ratio: the fastest SciPy start against ujm's whole run, at 1 and at T threads, in
//   wall-clock seconds and in CPU seconds (the peer's process CPU time at one BLAS thread; ujm's
//   process CPU time, every thread of it): the T-thread run buys wall-clock time with cores, and
//   its CPU seconds say what that costs; on a loaded machine a run of a millisecond is often
//   preempted, a longer one more often, and the parallel run waits for a free core;
// - agreement: |F_ujm − F_SciPy|/F_SciPy (best over the starts, tolerance 1e-9) and the top
//   singular values of every block (top C − 1, relative to σ₁, tolerance 1e-6).

import Foundation
import LinearAlgebra
import UJM

#if canImport(Glibc)
  import Glibc
#endif

/// This thread's CPU seconds.
func threadCPUSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// This process's CPU seconds (all its threads; not its children's).
func processCPUSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.isEmpty ? .nan : s[s.count / 2]
}

/// One peer round: per start (wall seconds, CPU seconds, F), the best F and the best start's
/// singular values per block; nil (with the peer's output on stderr) if it failed.
struct PeerRound {
  var wall: [Double] = []
  var cpu: [Double] = []
  var objectives: [Double] = []
  var best = Double.nan
  var singularValues: [[Double]] = []
}

func peerRound(python: String, directory: String, depth: Int, lambda: Double, classes: Int)
  -> PeerRound?
{
  let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Scripts/solve_multiclass_peer.py").standardized.path
  let process = Process()
  // Through env, so that a bare name (python3) is looked up on PATH.
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = [
    python, script, "--data", directory, "--L", "\(depth)", "--lambda", "\(lambda)", "--classes",
    "\(classes)",
  ]
  var environment = ProcessInfo.processInfo.environment
  environment["OPENBLAS_NUM_THREADS"] = "1"
  environment["OMP_NUM_THREADS"] = "1"
  process.environment = environment
  let pipe = Pipe()
  process.standardOutput = pipe
  do { try process.run() } catch { return nil }
  let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  var round = PeerRound()
  for line in output.split(separator: "\n") {
    var fields: [String: String] = [:]
    for pair in line.split(separator: " ") {
      let kv = pair.split(separator: "=", maxSplits: 1)
      if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
    }
    if let w = fields["seconds"].flatMap(Double.init),
      let c = fields["cpu_seconds"].flatMap(
        Double.init), let f = fields["objective"].flatMap(Double.init)
    {
      round.wall.append(w)
      round.cpu.append(c)
      round.objectives.append(f)
    }
    if let f = fields["best_objective"].flatMap(Double.init) { round.best = f }
    if let s = fields["singular_values"] {
      round.singularValues = s.split(separator: ";").map {
        $0.split(separator: ",").compactMap { Double($0) }
      }
    }
  }
  guard process.terminationStatus == 0, !round.wall.isEmpty, round.best.isFinite else {
    FileHandle.standardError.write(Data(output.utf8))
    return nil
  }
  return round
}

func writeNumPy(_ array: NumPyArray, to path: String) throws {
  try array.npyData.write(to: URL(fileURLWithPath: path))
}

/// The comparison; returns false when the peer failed or a tolerance was missed.
func multiclassComparison(python: String, rounds: Int, threads: Int) throws -> Bool {
  let classes = 3
  let depth = 3
  let lambda = 1e-2
  let problem = MulticlassProblem(
    classes: classes, examplesPerClass: 2, dimension: 12, depth: depth, lambda: lambda, seed: 0)
  let model = problem.model
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("ujm-solve-benchmark-\(ProcessInfo.processInfo.processIdentifier)")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  try writeNumPy(NumPyArray(matrix: model.inputs.transposed), to: directory.path + "/X.npy")
  try writeNumPy(
    NumPyArray(vector: model.labels.map(Double.init)), to: directory.path + "/y.npy")
  try writeNumPy(
    NumPyArray(
      shape: [problem.starts.count, model.parameterCount],
      values: problem.starts.flatMap { $0 }), to: directory.path + "/starts.npy")
  let sequential = MulticlassSolveRun(
    problem: problem, algorithm: .defaultAlgorithm, test: ConvergenceTest(), threads: 1)
  var parallel = sequential
  parallel.threads = threads
  let blas = BLASEnvironment.current
  let load =
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
    .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "n/a"
  let t = parallel.parallelStarts
  emit(
    "Multi-class solve: C = \(classes), N = \(model.examples), D = \(model.dimension), "
      + "L = \(depth), λ = \(lambda), seed 0, \(problem.starts.count) starts "
      + "(\(model.parameterCount) parameters); \(rounds) interleaved rounds, medians")
  emit(
    "BLAS: \(blas.core), \(blas.threads) thread(s) outside the solve, 1 inside each start; "
      + "\(ProcessInfo.processInfo.activeProcessorCount) cores; load average at start: \(load)")
  emit(
    pad("round", 7) + pad("ujm whole run, 1 thread", 25) + pad("(CPU)", 10)
      + pad("ujm whole run, \(t) threads", 27) + pad("(CPU)", 10) + pad("(solver)", 10)
      + pad("SciPy fastest start", 21) + pad("(CPU)", 10))
  var oneWall: [Double] = []
  var oneCPU: [Double] = []
  var manyWall: [Double] = []
  var manyCPU: [Double] = []
  var solverWall: [Double] = []
  var peerWall: [Double] = []
  var peerCPU: [Double] = []
  var lastReport: MulticlassSolveReport? = nil
  var lastPeer: PeerRound? = nil
  let clock = ContinuousClock()
  func measure(_ run: MulticlassSolveRun) throws -> (
    report: MulticlassSolveReport, optimum: [Double], wall: Double, cpu: Double
  ) {
    let cpu0 = processCPUSeconds()
    let t0 = clock.now
    let (report, optimum) = try run.run()
    return (report, optimum, seconds(clock.now - t0), processCPUSeconds() - cpu0)
  }
  for r in 0..<rounds {
    let (one, optimum1, wall1, cpu1) = try measure(sequential)
    let (report, optimum, wall, cpu) = try measure(parallel)
    guard optimum1.map(\.bitPattern) == optimum.map(\.bitPattern) else {
      emit("the 1-thread and \(t)-thread optima differ: F = \(one.objective), \(report.objective)")
      return false
    }
    oneWall.append(wall1)
    oneCPU.append(cpu1)
    manyWall.append(wall)
    manyCPU.append(cpu)
    solverWall.append(report.seconds)
    lastReport = report
    guard
      let peer = peerRound(
        python: python, directory: directory.path, depth: depth, lambda: lambda,
        classes: classes)
    else {
      emit("the SciPy peer failed (its output is above); is python3 with NumPy and SciPy there?")
      return false
    }
    peerWall.append(peer.wall.min()!)
    peerCPU.append(peer.cpu.min()!)
    lastPeer = peer
    emit(
      pad("\(r + 1)", 7) + pad(format(wall1 * 1e3) + " ms", 25)
        + pad(format(cpu1 * 1e3) + " ms", 10)
        + pad(format(wall * 1e3) + " ms", 27) + pad(format(cpu * 1e3) + " ms", 10)
        + pad(format(report.seconds * 1e3) + " ms", 10)
        + pad(format(peer.wall.min()! * 1e3) + " ms", 21) + format(peer.cpu.min()! * 1e3) + " ms")
  }
  guard let report = lastReport, let peer = lastPeer else { return false }
  let iterations = report.starts.map(\.iterations)
  emit(
    "ujm: \(report.starts.count) starts, iterations \(iterations), F = "
      + String(format: "%.15g", report.objective) + ", ‖∇F‖ = \(format(report.gradient_norm, 2))")
  emit(
    "SciPy: \(peer.objectives.count) starts, best F = " + String(format: "%.15g", peer.best)
      + ", per-start wall " + peer.wall.map { format($0 * 1e3) }.joined(separator: ", ") + " ms")
  let ratioOne = median(peerWall) / median(oneWall)
  let ratioOneCPU = median(peerCPU) / median(oneCPU)
  let ratioMany = median(peerWall) / median(manyWall)
  let ratioManyCPU = median(peerCPU) / median(manyCPU)
  emit(
    "speed-up, one SciPy start (the fastest of four, median over rounds) / ujm's whole run (all "
      + "\(problem.starts.count) starts, the checks, the report): at \(t) threads "
      + "\(format(ratioMany))× wall-clock, \(format(ratioManyCPU))× CPU seconds; at 1 thread "
      + "\(format(ratioOne))× wall-clock, \(format(ratioOneCPU))× CPU seconds; goal ≥ 10×")
  // The least-disturbed round of each (a loaded machine preempts some rounds), same ratios.
  emit(
    "fastest rounds: ujm \(format(manyWall.min()! * 1e3)) ms wall-clock at \(t) threads, "
      + "\(format(oneWall.min()! * 1e3)) ms at 1, SciPy's fastest start "
      + "\(format(peerWall.min()! * 1e3)) ms: \(format(peerWall.min()! / manyWall.min()!))× and "
      + "\(format(peerWall.min()! / oneWall.min()!))× wall-clock; CPU "
      + "\(format(peerCPU.min()! / manyCPU.min()!))× and \(format(peerCPU.min()! / oneCPU.min()!))×"
  )
  emit(
    "(the \(t)-thread run's solver alone: median \(format(median(solverWall) * 1e3)) ms wall-clock; "
      + "its optimum is the 1-thread run's to the bit, checked every round)")
  var passed = true
  let agreement = abs(report.objective - peer.best) / abs(peer.best)
  emit(
    "|F_ujm − F_SciPy|/F_SciPy (best over starts): measured \(format(agreement, 2)), "
      + "tolerance 1e-9 — \(agreement <= 1e-9 ? "pass" : "FAIL")")
  passed = passed && agreement <= 1e-9
  var worst = 0.0
  for (i, block) in report.multiclass.blocks.enumerated() where i < peer.singularValues.count {
    let theirs = peer.singularValues[i]
    for k in 0..<min(classes - 1, block.singular_values.count, theirs.count) {
      worst = max(worst, abs(block.singular_values[k] - theirs[k]) / theirs[0])
    }
  }
  if let first = report.multiclass.blocks.first, let theirs = peer.singularValues.first {
    emit(
      "top singular values of J₁, ujm:   "
        + first.singular_values.map { format($0, 6) }.joined(
          separator: ", "))
    emit(
      "top singular values of J₁, SciPy: "
        + theirs.map { format($0, 6) }.joined(
          separator: ", "))
  }
  emit(
    "top C−1 singular values, every block, max |σ_ujm − σ_SciPy|/σ₁: measured "
      + "\(format(worst, 2)), tolerance 1e-6 — \(worst <= 1e-6 ? "pass" : "FAIL")")
  passed = passed && worst <= 1e-6
  let endLoad =
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
    .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "n/a"
  emit("load average at end: \(endLoad); BLAS: \(blas.core), \(blas.threads) thread(s)")
  return passed
}

/// `--multiclass-profile N` (for a profiler such as `perf record`): the whole multi-class run N
/// times, the solver alone over the four starts N times, the checks at the optimum N times, and
/// N·100 objective+gradient evaluations; prints the median CPU seconds of each (this thread's;
/// the run with `threads` 1).
func multiclassProfile(repeats: Int) {
  let problem = MulticlassProblem(
    classes: 3, examplesPerClass: 2, dimension: 12, depth: 3, lambda: 1e-2, seed: 0)
  let run = MulticlassSolveRun(
    problem: problem, algorithm: .defaultAlgorithm, test: ConvergenceTest(), threads: 1)
  var whole = [Double]()
  for _ in 0..<repeats {
    let c0 = threadCPUSeconds()
    _ = try! run.run()
    whole.append(threadCPUSeconds() - c0)
  }
  let minimizer = run.algorithm.minimizer(step: run.step)
  var solver = [Double]()
  var evaluations = 0
  var iterations = [Int]()
  // OpenBLAS single-threaded, as inside the run.
  BLASEnvironment.withThreads(1) {
    for _ in 0..<repeats {
      let c0 = threadCPUSeconds()
      evaluations = 0
      iterations = []
      for start in problem.starts {
        let result = minimizer.minimize(problem.model, from: start, until: run.test)
        evaluations += result.evaluations
        iterations.append(result.iterations)
      }
      solver.append(threadCPUSeconds() - c0)
    }
  }
  let optimum = try! run.run().optimum
  let verifier = MulticlassVerifier(model: problem.model)
  var checks = [Double]()
  for _ in 0..<repeats {
    let c0 = threadCPUSeconds()
    _ = try! verifier.checks(at: optimum)
    checks.append(threadCPUSeconds() - c0)
  }
  let x = problem.starts[0]
  var g = [Double](repeating: 0, count: x.count)
  var perEvaluation = [Double]()
  for _ in 0..<repeats {
    let c0 = threadCPUSeconds()
    var f = 0.0
    for _ in 0..<100 {
      var gradient = g.mutableSpan
      f += problem.model.valueAndGradient(at: x.span, gradient: &gradient)
    }
    perEvaluation.append((threadCPUSeconds() - c0) / 100)
    precondition(f.isFinite)
  }
  emit(
    "whole run \(format(median(whole) * 1e3)) ms CPU, solver over the four starts "
      + "\(format(median(solver) * 1e3)) ms CPU (iterations \(iterations), \(evaluations) "
      + "evaluations), the checks \(format(median(checks) * 1e6)) µs CPU, one evaluation "
      + "\(format(median(perEvaluation) * 1e6)) µs CPU; medians of "
      + "\(repeats); BLAS: \(BLASEnvironment.current.core), \(BLASEnvironment.current.threads) thread(s)"
  )
}

/// `--multiclass-memories`: the solver over the four starts at several L-BFGS memories m, in CPU
/// seconds (median of 100) as a ratio against the default m = 10 measured in the same run, with
/// the iterations and the best F.
func multiclassMemories() {
  let problem = MulticlassProblem(
    classes: 3, examplesPerClass: 2, dimension: 12, depth: 3, lambda: 1e-2, seed: 0)
  let memories = [10, 3, 4, 5, 6, 8, 12]
  var baseline = Double.nan
  emit(
    "Multi-class solve (C = 3, N = 6, D = 12, L = 3, λ = 1e-2, seed 0, four starts) by memory m; "
      + "BLAS: \(BLASEnvironment.current.core), \(BLASEnvironment.current.threads) thread(s)")
  for m in memories {
    let minimizer = StructuredLBFGS(memory: m)
    var cpu = [Double]()
    var iterations = [Int]()
    var best = Double.infinity
    for _ in 0..<100 {
      let c0 = threadCPUSeconds()
      iterations = []
      for start in problem.starts {
        let r = minimizer.minimize(problem.model, from: start, until: ConvergenceTest())
        iterations.append(r.iterations)
        best = min(best, r.objective)
      }
      cpu.append(threadCPUSeconds() - c0)
    }
    if m == 10 { baseline = median(cpu) }
    emit(
      "m = \(m): iterations \(iterations), best F = " + String(format: "%.15g", best)
        + ", CPU time against m = 10: \(format(median(cpu) / baseline))")
  }
}
