// Type 1 training speed at batch 128 as a fraction of the GEMM-only ceiling measured in the same
// run (the forward and backward sgemm calls of one step alone, back to back), evaluation time of
// 10,000 test images, and peak resident memory.
//
// The machine is shared, so the two are interleaved: after every training step, one GEMM-only
// step. The ratio compares medians (and minima) of per-step times taken side by side, so that a
// burst of load elsewhere hits both.
//
// Usage: swift run -c release TrainBenchmark [--data DIR] [--steps N] [--warmup N]

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

let directory = option("--data", default: "/usr/share/datasets/fashion-mnist")
let timedSteps = Int(option("--steps", default: "60"))!
let warmupSteps = Int(option("--warmup", default: "5"))!
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

let ceiling = GEMMCeiling(
  architecture: architecture, inputSize: data.train.featureCount, batchSize: batchSize)
let flops = gemmFlopsPerStep(architecture: architecture, batchSize: batchSize)
let configuration = TrainingConfiguration(
  typeName: "1", architecture: architecture, epochs: 1, batchSize: batchSize,
  maxSteps: warmupSteps + timedSteps)
let trainer = Trainer(configuration: configuration, data: data)
var previousSeconds = 0.0
var stepSeconds: [Double] = []
var gemmSeconds: [Double] = []
_ = trainer.trainEpoch { p in
  // Cumulative training-step time (forward, backward, update) from the trainer's own clock.
  let total = Double(p.stepInEpoch * batchSize) / p.samplesPerSecond
  if p.stepInEpoch > warmupSteps {
    stepSeconds.append(total - previousSeconds)
    gemmSeconds.append(ceiling.step())
  }
  previousSeconds = total
}

// Evaluation of the 10,000 test images (after one warm-up pass).
let clock = ContinuousClock()
_ = evaluate(trainer.model, on: data.test)
let evalStart = clock.now
let evaluation = evaluate(trainer.model, on: data.test)
let evalDuration = (clock.now - evalStart).components
let evalSeconds = Double(evalDuration.seconds) + Double(evalDuration.attoseconds) * 1e-18

let gemmMedian = median(gemmSeconds)
let stepMedian = median(stepSeconds)
func rate(_ seconds: Double) -> Double { Double(batchSize) / seconds }
print("TrainBenchmark — Type 1 (16 blocks, width 512), batch \(batchSize)")
print("BLAS: \(blas.core), \(blas.threads) threads")
print(
  String(
    format: "GEMM-only ceiling: median %.1f ms/step (%.2f GFLOP, %.0f GFLOP/s) = %.0f samples/s",
    gemmMedian * 1e3, flops / 1e9, flops / gemmMedian / 1e9, rate(gemmMedian)))
print(
  String(
    format: "training: median %.1f ms/step = %.0f samples/s over %d steps = %.1f%% of the ceiling",
    stepMedian * 1e3, rate(stepMedian), timedSteps, 100 * gemmMedian / stepMedian))
print(
  String(
    format: "best steps: training %.1f ms (%.0f samples/s), GEMM-only %.1f ms (%.0f samples/s): "
      + "%.1f%%", stepSeconds.min()! * 1e3, rate(stepSeconds.min()!), gemmSeconds.min()! * 1e3,
    rate(gemmSeconds.min()!), 100 * gemmSeconds.min()! / stepSeconds.min()!))
print(
  String(
    format: "evaluation of %d test images: %.3f s (accuracy %.4f after %d steps)",
    evaluation.count, evalSeconds, evaluation.accuracy, trainer.state.step))
print(
  String(
    format: "peak resident memory (VmHWM): %.0f MB",
    Double(PeakMemory.highWaterMarkBytes ?? 0) / 1_048_576))
