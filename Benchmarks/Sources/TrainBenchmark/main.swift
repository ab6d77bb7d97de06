// Type 1 training speed at batch 128 as a fraction of the GEMM-only ceiling measured in the same
// run (the forward and backward sgemm calls of one step alone, back to back), at each thread
// count, in interleaved rounds; with --pytorch, the PyTorch peer (Benchmarks/Scripts/
// fc_train_peer.py: the same network, data and recipe) run in the same rounds, one process per
// round and thread count, and ujm's ratio to it (issue 21). Then evaluation time of 10,000 test
// images and peak resident memory.
//
// The machine is shared, so training and ceiling are interleaved: after every training step,
// one GEMM-only step. The ratio compares medians (and minima) of per-step times taken side by
// side, so that a burst of load elsewhere hits both. Warm-up steps are excluded everywhere.
//
// Usage: swift run -c release TrainBenchmark [--data DIR] [--steps N] [--warmup N] [--rounds R]
//          [--threads 1,2] [--pytorch PYTHON] [--profile] [--pass-threads N]
// (--threads defaults to the BLAS environment's thread count.) With --profile, the per-pass
// profile of the timed steps (the median round per thread count; what it leaves out is the
// sgemm calls). With --pass-threads N, the passes between the products split into N parts on
// the worker pool (default: the BLAS thread count; 1: OpenBLAS's threads only).

import BenchmarkSupport
import Empirical
import Foundation
import LinearAlgebra

func option(_ name: String, default value: String) -> String {
  let args = CommandLine.arguments
  if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
  return value
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("error: \(message)\n".utf8))
  exit(64)
}

let directory = option("--data", default: "/usr/share/datasets/fashion-mnist")
guard let timedSteps = Int(option("--steps", default: "60")), timedSteps > 0 else {
  fail("--steps must be a positive integer")
}
guard let warmupSteps = Int(option("--warmup", default: "5")), warmupSteps >= 0 else {
  fail("--warmup must be a non-negative integer")
}
guard let rounds = Int(option("--rounds", default: "3")), rounds > 0 else {
  fail("--rounds must be a positive integer")
}
let threadCounts = option("--threads", default: "\(BLASEnvironment.current.threads)")
  .split(separator: ",").map { Int($0) ?? 0 }
guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 > 0 }) else {
  fail("--threads must be positive integers separated by commas")
}
let python = CommandLine.arguments.contains("--pytorch") ? option("--pytorch", default: "") : nil
let profiling = CommandLine.arguments.contains("--profile")
let passThreads = Int(option("--pass-threads", default: ""))
if let passThreads, passThreads < 1 { fail("--pass-threads must be a positive integer") }
let batchSize = 128
let architecture = Architecture.preset("1")!

let data: ImageClassificationData
do {
  data = try ImageClassificationData(directory: directory)
} catch {
  fail("--data: \(error)")
}
guard data.train.count >= batchSize * (warmupSteps + timedSteps) else {
  fail("--warmup + --steps must fit in one epoch (\(data.train.count / batchSize) steps)")
}
// trainEpoch evaluates the test split after its steps: the rounds keep one batch of it.
var roundData = data
roundData.test = LabeledExamples(
  features: Array(data.test.features.prefix(batchSize * data.test.featureCount)),
  labels: Array(data.test.labels.prefix(batchSize)), featureCount: data.test.featureCount)

let flops = gemmFlopsPerStep(architecture: architecture, batchSize: batchSize)

func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
    .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?"
}

/// CPU seconds (user + system) of this process so far.
func cpuSeconds() -> Double {
  var u = rusage()
  getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
  func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
  return seconds(u.ru_utime) + seconds(u.ru_stime)
}

struct Round {
  var stepSeconds: [Double] = []
  var gemmSeconds: [Double] = []
  /// CPU seconds of the process per timed training step (the ceiling's steps left out).
  var cpuSecondsPerStep = 0.0
  var profile = PassProfile()
}

/// `warmupSteps + timedSteps` steps of a fresh trainer at `threads` BLAS threads, each timed
/// step followed by one GEMM-only step.
@MainActor
func trainRound(threads: Int) -> (Round, Trainer) {
  BLASEnvironment.setThreads(threads)
  let ceiling = GEMMCeiling(
    architecture: architecture, inputSize: data.train.featureCount, batchSize: batchSize)
  let configuration = TrainingConfiguration(
    typeName: "1", architecture: architecture, epochs: 1, batchSize: batchSize,
    maxSteps: warmupSteps + timedSteps)
  let trainer = Trainer(configuration: configuration, data: roundData)
  var round = Round()
  if let passThreads { trainer.passThreads = passThreads }
  if profiling { trainer.passProfile = round.profile }
  var previous = 0.0
  var mark = 0.0
  var trainingCPU = 0.0
  _ = trainer.trainEpoch { p in
    // Cumulative training-step time (forward, backward, update) from the trainer's own clock.
    let total = Double(p.stepInEpoch * batchSize) / p.samplesPerSecond
    if p.stepInEpoch == warmupSteps { round.profile.reset() }
    // The epoch's closing evaluation (one test batch) stays out of the profile.
    if p.stepInEpoch == warmupSteps + timedSteps { trainer.passProfile = nil }
    if p.stepInEpoch > warmupSteps {
      trainingCPU += cpuSeconds() - mark
      round.stepSeconds.append(total - previous)
      round.gemmSeconds.append(ceiling.step())
    }
    mark = cpuSeconds()
    previous = total
  }
  round.cpuSecondsPerStep = trainingCPU / Double(timedSteps)
  return (round, trainer)
}

/// The PyTorch peer's samples/s and CPU seconds per step at `threads` threads, or nil (with
/// its output on stderr).
@MainActor
func peerRound(python: String, threads: Int) -> (rate: Double, cpu: Double)? {
  pytorchPeerRound(
    python: python, script: "fc_train_peer.py",
    arguments: [
      "--data", directory, "--threads", "\(threads)", "--steps", "\(timedSteps)",
      "--warmup", "\(warmupSteps)",
    ])
}

func rate(_ seconds: Double) -> Double { Double(batchSize) / seconds }

print("TrainBenchmark — Type 1 (16 blocks, width 512), batch \(batchSize), Fashion-MNIST")
print(
  "BLAS: \(BLASEnvironment.current.core); \(rounds) interleaved rounds of \(warmupSteps) warm-up "
    + "+ \(timedSteps) timed steps at each of \(threadCounts) threads")
print(String(format: "sgemm work per training step: %.2f GFLOP", flops / 1e9))
var ujm: [Int: [Double]] = [:]
var ceilings: [Int: [Double]] = [:]
var bestFractions: [Int: [Double]] = [:]
var ujmCPU: [Int: [Double]] = [:]
var peer: [Int: [Double]] = [:]
var peerCPU: [Int: [Double]] = [:]
var profiles: [Int: [PassProfile]] = [:]
var stepMedians: [Int: [Double]] = [:]
var lastTrainer: Trainer?
for r in 1...rounds {
  for t in threadCounts {
    let load = loadAverage()
    let (round, trainer) = trainRound(threads: t)
    let openBLASThreads = BLASEnvironment.current.threads
    lastTrainer = trainer
    let stepMedian = median(round.stepSeconds)
    let gemmMedian = median(round.gemmSeconds)
    ujm[t, default: []].append(rate(stepMedian))
    ceilings[t, default: []].append(rate(gemmMedian))
    bestFractions[t, default: []].append(round.gemmSeconds.min()! / round.stepSeconds.min()!)
    ujmCPU[t, default: []].append(round.cpuSecondsPerStep)
    profiles[t, default: []].append(round.profile)
    stepMedians[t, default: []].append(stepMedian)
    var line = String(
      format:
        "round %d, %d threads (OpenBLAS %d): ujm %.1f samples/s (%.1f ms/step, CPU %.3f s/step), GEMM-only "
        + "ceiling %.1f samples/s (%.1f ms, %.0f GFLOP/s): %.1f%% of the ceiling",
      r, t, openBLASThreads, rate(stepMedian), stepMedian * 1e3, round.cpuSecondsPerStep,
      rate(gemmMedian),
      gemmMedian * 1e3, flops / gemmMedian / 1e9, 100 * gemmMedian / stepMedian)
    if let python {
      if let (rate, cpu) = peerRound(python: python, threads: t) {
        peer[t, default: []].append(rate)
        peerCPU[t, default: []].append(cpu)
        line += String(format: "; PyTorch %.1f samples/s (CPU %.3f s/step)", rate, cpu)
      } else {
        line += "; PyTorch failed"
      }
    }
    print(line + "  [load average \(load)]")
    fflush(nil)  // each round shows as it finishes
  }
}

print("\nmedian of \(rounds) rounds (spread = (max − min)/median):")
for t in threadCounts {
  let rates = ujm[t]!
  let m = median(rates)
  var line = String(
    format:
      "%d threads: ujm %.1f samples/s (spread %.0f%%), %.1f%% of the GEMM-only ceiling "
      + "(%.1f samples/s; best steps %.1f%%)",
    t, m, 100 * (rates.max()! - rates.min()!) / m, 100 * m / median(ceilings[t]!),
    median(ceilings[t]!), 100 * median(bestFractions[t]!))
  if let p = peer[t], !p.isEmpty {
    line += String(
      format: "; PyTorch %.1f samples/s (spread %.0f%%): ujm/PyTorch = %.2f× "
        + "(by CPU time per step %.2f×)",
      median(p), 100 * (p.max()! - p.min()!) / median(p), m / median(p),
      median(peerCPU[t]!) / median(ujmCPU[t]!))
  }
  print(line)
}

if profiling {
  print("\nper-pass profile, seconds per step (the round with the median profiled total):")
  let chosen = threadCounts.map { medianProfile(profiles[$0]!) }
  print(
    passProfileTable(
      chosen, headers: threadCounts.map { "\($0) thr s/step" }, steps: timedSteps))
  var rest = "median step − profiled (sgemm)".padding(toLength: 32, withPad: " ", startingAt: 0)
  for (t, p) in zip(threadCounts, chosen) {
    let profiled = p.seconds.values.reduce(0, +) / Double(timedSteps)
    rest += String(format: "  %12.4f          ", median(stepMedians[t]!) - profiled)
  }
  print(rest)
}

// Evaluation of the 10,000 test images by the last round's network (after one warm-up pass).
let model = lastTrainer!.model
let clock = ContinuousClock()
_ = evaluate(model, on: data.test)
let evalStart = clock.now
let evaluation = evaluate(model, on: data.test)
let evalDuration = (clock.now - evalStart).components
let evalSeconds = Double(evalDuration.seconds) + Double(evalDuration.attoseconds) * 1e-18
print(
  String(
    format: "\nevaluation of %d test images at %d threads: %.3f s (accuracy %.4f after %d steps)",
    evaluation.count, threadCounts.last!, evalSeconds, evaluation.accuracy,
    lastTrainer!.state.step))
print(
  String(
    format: "peak resident memory (VmHWM): %.0f MB",
    Double(PeakMemory.highWaterMarkBytes ?? 0) / 1_048_576))
