// Convolutional training speed (issue 21): samples/s of one Type (5a by default) at batch 128
// on Fashion-MNIST padded to 32×32, at each thread count, in interleaved rounds; per-pass
// profile (time and sgemm GFLOP/s of forward, backward and update per layer kind); with
// --pytorch, the PyTorch peer (Benchmarks/Scripts/conv_train_peer.py) run in the same rounds,
// one process per round and thread count, and ujm's ratio to it. With --ceiling, the step's
// lowered sgemm calls back to back (the GEMM-only ceiling of issue 12) after every step.
//
// Usage: swift run -c release ConvTrainBenchmark [--data DIR] [--type 5a] [--steps N]
//          [--warmup N] [--rounds R] [--threads 1,2] [--pytorch PYTHON] [--ceiling] [--lowered]
//          [--sanity N] [--lowering N] [--part-chunk N]
//
// With --lowered, every round also trains with the lowered (im2col) convolutions in place of
// Winograd F(2×2, 3×3) (the code before it), and the medians give Winograd/lowered.
// With --sanity N (and nothing timed), N training steps from the same seed with Winograd and
// with the lowered convolutions, then both networks' test loss and accuracy on 2,000 test
// images: the accuracy check of issue 21. Rounds are flushed as they finish.

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
let type = option("--type", default: "5a")
let timedSteps = Int(option("--steps", default: "5"))!
let warmupSteps = Int(option("--warmup", default: "1"))!
let rounds = Int(option("--rounds", default: "3"))!
let threadCounts = option("--threads", default: "1,2").split(separator: ",").map { Int($0)! }
let python = CommandLine.arguments.contains("--pytorch") ? option("--pytorch", default: "") : nil
let withCeiling = CommandLine.arguments.contains("--ceiling")
// --baseline: also time, in the same rounds, the passes between the sgemm calls on one core
// (OpenBLAS's threads only: the code before issue 21).
let withBaseline = CommandLine.arguments.contains("--baseline")
let withLowered = CommandLine.arguments.contains("--lowered")
let batchSize = 128
// --lowering N: at most N scalars of lowered patches per chunk (ConvolutionLowering).
if let capacity = Int(option("--lowering", default: "")) {
  ConvolutionLowering.chunkCapacity = capacity
}
// --part-chunk N: at most N scalars of patches or Winograd tile transforms per chunk of one part
// of the image-parallel convolutions (ConvolutionLowering.partChunkCapacity).
if let capacity = Int(option("--part-chunk", default: "")) {
  ConvolutionLowering.partChunkCapacity = capacity
}
guard let convolutional = ConvolutionalArchitecture.preset(type) else {
  fail("--type must be 2, 3, 5a or 5b")
}
var data: ImageClassificationData
do {
  data = try ImageClassificationData(directory: directory)
} catch {
  fail("--data: \(error)")
}
if let sanitySteps = Int(option("--sanity", default: "")) {
  var sample = data
  sample.test = LabeledExamples(
    features: Array(data.test.features.prefix(2000 * data.test.featureCount)),
    labels: Array(data.test.labels.prefix(2000)), featureCount: data.test.featureCount)
  BLASEnvironment.setThreads(threadCounts.max()!)
  for lowered in [false, true] {
    ConvolutionLowering.winograd = !lowered
    var configuration = TrainingConfiguration(
      typeName: type,
      architecture: Architecture(blocks: convolutional.blocks, width: 0, skips: true),
      epochs: 1, batchSize: batchSize, maxSteps: sanitySteps)
    configuration.convolutional = convolutional
    let trainer = Trainer(configuration: configuration, data: sample)
    let name = lowered ? "lowered " : "Winograd"
    if case .completed(let m) = trainer.trainEpoch() {
      print(
        name
          + String(
            format:
              " %d steps: train loss %.4f, train accuracy %.4f; test loss %.4f, test accuracy %.4f",
            m.steps, m.trainLoss, m.trainAccuracy, m.testLoss, m.testAccuracy))
    } else {
      print("\(name): diverged")
    }
  }
  exit(0)
}
// trainEpoch evaluates the test split after its steps: keep one batch of it.
data.test = LabeledExamples(
  features: Array(data.test.features.prefix(batchSize * data.test.featureCount)),
  labels: Array(data.test.labels.prefix(batchSize)), featureCount: data.test.featureCount)

func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
    .map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?"
}

struct Round {
  var stepSeconds: [Double] = []
  var gemmSeconds: [Double] = []
  var profile = PassProfile()
  /// Minor page faults and CPU seconds (user + system) of the process per timed step.
  var faultsPerStep = 0.0
  var cpuSecondsPerStep = 0.0
  var systemSecondsPerStep = 0.0
}

/// (minor page faults, user seconds, system seconds) of this process so far.
func usage() -> (faults: Int, user: Double, system: Double) {
  var u = rusage()
  getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
  func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
  return (u.ru_minflt, seconds(u.ru_utime), seconds(u.ru_stime))
}

/// `warmupSteps + timedSteps` steps of a fresh trainer at `threads` BLAS threads.
@MainActor
func trainRound(threads: Int, serialPasses: Bool = false, lowered: Bool = false) -> Round {
  BLASEnvironment.setThreads(threads)
  ConvolutionLowering.winograd = !lowered
  defer { ConvolutionLowering.winograd = true }
  var configuration = TrainingConfiguration(
    typeName: type,
    architecture: Architecture(blocks: convolutional.blocks, width: 0, skips: true),
    epochs: 1, batchSize: batchSize, maxSteps: warmupSteps + timedSteps)
  configuration.convolutional = convolutional
  let trainer = Trainer(configuration: configuration, data: data)
  let ceiling =
    withCeiling
    ? ConvolutionalGEMMCeiling(model: trainer.network.convolutional!, batchSize: batchSize) : nil
  var round = Round()
  if serialPasses { trainer.openBLASThreadsOnly = true }
  trainer.passProfile = round.profile
  var previous = 0.0
  var before = usage()
  _ = trainer.trainEpoch { p in
    let total = Double(p.stepInEpoch * batchSize) / p.samplesPerSecond
    if p.stepInEpoch == warmupSteps {
      round.profile.reset()
      before = usage()
    }
    if p.stepInEpoch > warmupSteps {
      round.stepSeconds.append(total - previous)
      if let ceiling { round.gemmSeconds.append(ceiling.step()) }
    }
    previous = total
    // The epoch's closing evaluation (one test batch) stays out of the profile.
    if p.stepInEpoch == warmupSteps + timedSteps {
      trainer.passProfile = nil
      let after = usage()
      let n = Double(timedSteps)
      round.faultsPerStep = Double(after.faults - before.faults) / n
      round.cpuSecondsPerStep = (after.user + after.system - before.user - before.system) / n
      round.systemSecondsPerStep = (after.system - before.system) / n
    }
  }
  return round
}

/// The PyTorch peer's samples/s and CPU seconds per step at `threads` threads, or nil (with
/// its output on stderr).
@MainActor
func peerRound(python: String, threads: Int) -> (rate: Double, cpu: Double)? {
  pytorchPeerRound(
    python: python, script: "conv_train_peer.py",
    arguments: [
      "--data", directory, "--type", type, "--threads", "\(threads)", "--steps",
      "\(timedSteps)", "--warmup", "\(warmupSteps)",
    ])
}

print("ConvTrainBenchmark — Type \(type), batch \(batchSize), Fashion-MNIST padded to 32×32")
print(
  "lowered patches per chunk: at most \(ConvolutionLowering.chunkCapacity) scalars; per part of "
    + "the image-parallel convolutions: \(ConvolutionLowering.partChunkCapacity)")
print("BLAS: \(BLASEnvironment.current.core); \(rounds) interleaved rounds of \(warmupSteps)")
print("warm-up + \(timedSteps) timed steps at each of \(threadCounts) threads")
var ujm: [Int: [Double]] = [:]
var peer: [Int: [Double]] = [:]
var profiles: [Int: [PassProfile]] = [:]
var ceilings: [Int: [Double]] = [:]
var baseline: [Int: [Double]] = [:]
var loweredRates: [Int: [Double]] = [:]
var loweredProfiles: [Int: [PassProfile]] = [:]
var peerCPU: [Int: [Double]] = [:]
var ujmCPU: [Int: [Double]] = [:]
for r in 1...rounds {
  for t in threadCounts {
    let load = loadAverage()
    let round = trainRound(threads: t)
    let rate = Double(batchSize) / median(round.stepSeconds)
    ujm[t, default: []].append(rate)
    profiles[t, default: []].append(round.profile)
    var line = String(
      format:
        "round %d, %d threads: ujm %.1f samples/s (CPU %.2f s/step, %.0f%% system, %.0f page faults/step)",
      r, t, rate, round.cpuSecondsPerStep,
      100 * round.systemSecondsPerStep / Swift.max(round.cpuSecondsPerStep, 1e-9),
      round.faultsPerStep)
    if withCeiling {
      let g = Double(batchSize) / median(round.gemmSeconds)
      ceilings[t, default: []].append(g)
      line += String(format: " (GEMM-only ceiling %.1f)", g)
    }
    if let python {
      if let (rate, cpu) = peerRound(python: python, threads: t) {
        peer[t, default: []].append(rate)
        peerCPU[t, default: []].append(cpu)
        ujmCPU[t, default: []].append(round.cpuSecondsPerStep)
        line += String(format: ", PyTorch %.1f samples/s (CPU %.2f s/step)", rate, cpu)
      } else {
        line += ", PyTorch failed"
      }
    }
    print(line + "  [load average \(load)]")
    fflush(nil)  // each round shows as it finishes
    if withLowered {
      let load = loadAverage()
      let round = trainRound(threads: t, lowered: true)
      let rate = Double(batchSize) / median(round.stepSeconds)
      loweredRates[t, default: []].append(rate)
      loweredProfiles[t, default: []].append(round.profile)
      print(
        String(
          format:
            "round %d, %d threads, lowered convolutions: ujm %.1f samples/s (CPU %.2f s/step)",
          r, t, rate, round.cpuSecondsPerStep) + "  [load average \(load)]")
      fflush(nil)
    }
    if withBaseline && t > 1 {
      let load = loadAverage()
      let round = trainRound(threads: t, serialPasses: true)
      let rate = Double(batchSize) / median(round.stepSeconds)
      baseline[t, default: []].append(rate)
      print(
        String(
          format:
            "round %d, %d threads, OpenBLAS threads only: ujm %.1f samples/s (CPU %.2f s/step, %.0f%% system, %.0f page faults/step)",
          r, t, rate, round.cpuSecondsPerStep,
          100 * round.systemSecondsPerStep / Swift.max(round.cpuSecondsPerStep, 1e-9),
          round.faultsPerStep) + "  [load average \(load)]")
    }
  }
}

print("\nmedian of \(rounds) rounds (spread = (max − min)/median):")
for t in threadCounts {
  let rates = ujm[t]!
  let m = median(rates)
  var line = String(
    format: "%d threads: ujm %.1f samples/s (spread %.0f%%)", t, m,
    100 * (rates.max()! - rates.min()!) / m)
  if let p = peer[t], !p.isEmpty {
    line += String(
      format: ", PyTorch %.1f samples/s: ujm/PyTorch = %.2f× (by CPU time per step %.2f×)",
      median(p), m / median(p), median(peerCPU[t]!) / median(ujmCPU[t]!))
  }
  if let l = loweredRates[t] {
    line += String(
      format: "; lowered convolutions %.1f (spread %.0f%%): Winograd/lowered = %.2f×", median(l),
      100 * (l.max()! - l.min()!) / median(l), m / median(l))
    if let p = peer[t], !p.isEmpty {
      line += String(format: ", lowered/PyTorch = %.2f×", median(l) / median(p))
    }
  }
  if let b = baseline[t] {
    line += String(
      format: "; OpenBLAS threads only %.1f: pool/OpenBLAS-only = %.2f×", median(b), m / median(b))
  }
  if let c = ceilings[t] {
    line += String(format: ", %.0f%% of the GEMM-only ceiling", 100 * m / median(c))
  }
  print(line)
}

print("\nper-pass profile, seconds per step (median round by total), GFLOP/s for sgemm passes;")
print("the convolutions run image-parallel on the pool: their rows include im2col and col2im")
print(
  "or Winograd's tile transforms; GFLOP/s count the direct convolution's 2·C_out·k²·C_in·pixels:")
var headers = threadCounts.map { "\($0) thr s/step" }
var chosen = threadCounts.map { medianProfile(profiles[$0]!) }
if withLowered {
  // The lowered convolutions' columns after Winograd's.
  headers += threadCounts.map { "\($0) thr lowered" }
  chosen += threadCounts.map { medianProfile(loweredProfiles[$0]!) }
}
print(passProfileTable(chosen, headers: headers, steps: timedSteps))
print(
  String(
    format: "peak resident memory (VmHWM): %.0f MB",
    Double(PeakMemory.highWaterMarkBytes ?? 0) / 1_048_576))
