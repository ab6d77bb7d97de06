// Type 1 training speed at batch 128 as a fraction of the GEMM-only ceiling measured in the same
// run (the forward and backward sgemm calls of one step alone, back to back), evaluation time of
// 10,000 test images, and peak resident memory.
//
// Usage: TrainBenchmark [--data DIR] [--steps N] [--warmup N]

import Empirical
import Foundation
import LinearAlgebra

func option(_ name: String, default value: String) -> String {
  let args = CommandLine.arguments
  if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
  return value
}

func peakResidentMegabytes() -> Double {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
    return .nan
  }
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
    return kilobytes / 1024
  }
  return .nan
}

let directory = option("--data", default: "/usr/share/datasets/fashion-mnist")
let timedSteps = Int(option("--steps", default: "40"))!
let warmupSteps = Int(option("--warmup", default: "10"))!
let batchSize = 128
let architecture = Architecture.preset("1")!
let blas = BLASEnvironment.current

let data: ImageClassificationData
do {
  data = try ImageClassificationData(directory: directory)
} catch {
  FileHandle.standardError.write(Data("error: --data: \(error)\n".utf8))
  exit(64)
}

// The ceiling: the step's sgemm calls alone (median of 10).
let gemmSeconds = gemmOnlyStepSeconds(
  architecture: architecture, inputSize: data.train.featureCount, batchSize: batchSize,
  repetitions: 10
).sorted()
let gemmMedian = gemmSeconds[gemmSeconds.count / 2]
let flops = gemmFlopsPerStep(architecture: architecture, batchSize: batchSize)
let ceiling = Double(batchSize) / gemmMedian

// The trainer: warm-up steps, then timed steps (training steps only: forward, backward, update).
let configuration = TrainingConfiguration(
  typeName: "1", architecture: architecture, epochs: 1, batchSize: batchSize,
  maxSteps: warmupSteps + timedSteps)
let trainer = Trainer(configuration: configuration, data: data)
var atWarmup: (seen: Double, seconds: Double) = (0, 0)
var atEnd: (seen: Double, seconds: Double) = (0, 0)
_ = trainer.trainEpoch { p in
  let seen = Double(p.stepInEpoch * batchSize)
  let point = (seen, seen / p.samplesPerSecond)
  if p.stepInEpoch == warmupSteps { atWarmup = point }
  atEnd = point
}
let trainRate = (atEnd.seen - atWarmup.seen) / (atEnd.seconds - atWarmup.seconds)

// Evaluation of the 10,000 test images (after one warm-up pass).
let clock = ContinuousClock()
_ = evaluate(trainer.model, on: data.test)
let evalStart = clock.now
let evaluation = evaluate(trainer.model, on: data.test)
let evalSeconds = Double((clock.now - evalStart).components.attoseconds) * 1e-18
  + Double((clock.now - evalStart).components.seconds)

let ratio = trainRate / ceiling
print("TrainBenchmark — Type 1 (16 blocks, width 512), batch \(batchSize)")
print("BLAS: \(blas.core), \(blas.threads) threads")
print(
  String(
    format: "GEMM-only ceiling: %.1f ms/step (%.2f GFLOP, %.0f GFLOP/s) = %.0f samples/s",
    gemmMedian * 1e3, flops / 1e9, flops / gemmMedian / 1e9, ceiling))
print(
  String(
    format: "training: %.0f samples/s over %d steps (after %d warm-up) = %.1f%% of the ceiling",
    trainRate, timedSteps, warmupSteps, 100 * ratio))
print(
  String(
    format: "evaluation of %d test images: %.3f s (accuracy %.4f after %d steps)",
    evaluation.count, evalSeconds, evaluation.accuracy, trainer.state.step))
print(String(format: "peak resident memory (VmHWM): %.0f MB", peakResidentMegabytes()))
