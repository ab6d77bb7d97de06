// Type 2 (16 blocks, 64 channels at 16×16) training speed at batch 128 as a fraction of the
// GEMM-only ceiling measured in the same run: the same step's lowered sgemm calls (same shapes,
// same chunks of images) back to back, without im2col/col2im, BatchNorm, ReLU or the update.
// Interleaved (one ceiling step after every training step) so that load elsewhere hits both.
//
// Usage: swift run -c release ConvTrainBenchmark [--data DIR] [--type 2] [--steps N] [--warmup N]

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
let type = option("--type", default: "2")
let timedSteps = Int(option("--steps", default: "5"))!
let warmupSteps = Int(option("--warmup", default: "1"))!
let batchSize = 128
guard let convolutional = ConvolutionalArchitecture.preset(type) else {
  FileHandle.standardError.write(Data("error: --type must be 2, 3, 5a or 5b\n".utf8))
  exit(64)
}
let blas = BLASEnvironment.current
let data: ImageClassificationData
do {
  data = try ImageClassificationData(directory: directory)
} catch {
  FileHandle.standardError.write(Data("error: --data: \(error)\n".utf8))
  exit(64)
}
var configuration = TrainingConfiguration(
  typeName: type, architecture: Architecture(blocks: convolutional.blocks, width: 0, skips: true),
  epochs: 1, batchSize: batchSize, maxSteps: warmupSteps + timedSteps)
configuration.convolutional = convolutional
let trainer = Trainer(configuration: configuration, data: data)
let ceiling = ConvolutionalGEMMCeiling(model: trainer.network.convolutional!, batchSize: batchSize)
var previous = 0.0
var stepSeconds: [Double] = []
var gemmSeconds: [Double] = []
_ = trainer.trainEpoch { p in
  let total = Double(p.stepInEpoch * batchSize) / p.samplesPerSecond
  if p.stepInEpoch > warmupSteps {
    stepSeconds.append(total - previous)
    gemmSeconds.append(ceiling.step())
  }
  previous = total
  FileHandle.standardError.write(Data("step \(p.stepInEpoch)\n".utf8))
}
let (g, s) = (median(gemmSeconds), median(stepSeconds))
func rate(_ seconds: Double) -> Double { Double(batchSize) / seconds }
print("ConvTrainBenchmark — Type \(type), batch \(batchSize), Fashion-MNIST padded to 32×32")
print("BLAS: \(blas.core), \(blas.threads) threads")
print(
  String(
    format: "GEMM-only ceiling: median %.0f ms/step (%.1f GFLOP, %.1f GFLOP/s) = %.1f samples/s",
    g * 1e3, ceiling.flops / 1e9, ceiling.flops / g / 1e9, rate(g)))
print(
  String(
    format: "training: median %.0f ms/step = %.1f samples/s over %d steps = %.1f%% of the ceiling",
    s * 1e3, rate(s), timedSteps, 100 * g / s))
print(
  String(
    format: "best steps: training %.0f ms, GEMM-only %.0f ms: %.1f%%", stepSeconds.min()! * 1e3,
    gemmSeconds.min()! * 1e3, 100 * gemmSeconds.min()! / stepSeconds.min()!))
print(
  String(
    format: "peak resident memory (VmHWM): %.0f MB",
    Double(PeakMemory.highWaterMarkBytes ?? 0) / 1_048_576))
