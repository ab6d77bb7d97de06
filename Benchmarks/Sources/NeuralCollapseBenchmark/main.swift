// `ujm measure` on a trained checkpoint, with Neural Collapse over its training examples: the
// NC path of issue 12 (class means by GEMM, Σ_W on the span of the means, D×C accumulators; one
// Float32 forward pass whose representations are kept for pass 2 under a 3 GiB budget, as
// `ujm measure` runs it by default) against the path it replaces (two Float64 forward passes,
// one D×D second moment per layer, LegacyNeuralCollapse.swift), both in this run, with the
// loading and the RA stage that both share; also the new path with two Float32 or two Float64
// forward passes (no representations kept), to show what each change buys.
// Issue 12's target for a Type 1 checkpoint, 20 inputs, all 60,000 examples: ≥ 5× faster.
//
// Usage: swift run -c release NeuralCollapseBenchmark CHECKPOINT [DATA_DIR] [examples] [inputs]
//   (CHECKPOINT: a checkpoint.safetensors or a run directory; defaults: Fashion-MNIST,
//   every training example, 20 inputs). Also times one bare forward pass over the examples in
//   Float64 and in Float32, checks that the paths agree, prints the peak resident memory of
//   each and the accumulators' memory for a Type 2 conv net (D = 16,384).

import Empirical
import Foundation
import LinearAlgebra

func seconds(_ body: () throws -> Void) rethrows -> Double {
  let clock = ContinuousClock()
  let start = clock.now
  try body()
  let d = start.duration(to: clock.now)
  return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// CPU seconds of the whole process (every BLAS thread), less sensitive than wall-clock time
/// to other processes on a shared machine; at one BLAS thread it is the work done.
func cpuSeconds() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
  return s(usage.ru_utime) + s(usage.ru_stime)
}

/// Wall-clock and CPU seconds of `body`.
func timed(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
  let cpu = cpuSeconds()
  let wall = try seconds(body)
  return (wall, cpuSeconds() - cpu)
}

func format(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }
func scientific(_ x: Double) -> String { String(format: "%.2e", x) }

func loadAverage() -> String {
  (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
    .split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
}

func gib(_ bytes: Double) -> String { format(bytes / Double(1 << 30), 3) + " GiB" }

let arguments = Array(CommandLine.arguments.dropFirst())
guard var checkpointPath = arguments.first else {
  print("usage: NeuralCollapseBenchmark CHECKPOINT [DATA_DIR] [examples] [inputs]")
  exit(64)
}
var isDirectory: ObjCBool = false
if FileManager.default.fileExists(atPath: checkpointPath, isDirectory: &isDirectory),
  isDirectory.boolValue
{
  checkpointPath = (checkpointPath as NSString).appendingPathComponent("checkpoint.safetensors")
}
let rest = Array(arguments.dropFirst())
let dataDirectory = rest.first { Int($0) == nil } ?? "/usr/share/datasets/fashion-mnist"
let numbers = rest.compactMap(Int.init)
let blas = BLASEnvironment.current

var network: EvaluationNetwork!
var train: LabeledExamples!
let load = try timed {
  let checkpoint = try Checkpoint(contentsOf: checkpointPath)
  network = EvaluationNetwork(checkpoint.model)
  let standardisation: (mean: Float, std: Float)? =
    if let m = checkpoint.metadata.inputMean, let s = checkpoint.metadata.inputStd {
      (m, s)
    } else { nil }
  train = try ImageClassificationData(
    directory: dataDirectory, classes: checkpoint.metadata.classes,
    standardisation: standardisation
  ).train
}
let examples = min(numbers.first ?? train.count, train.count)
let inputCount = numbers.count > 1 ? numbers[1] : 20
print(
  "NeuralCollapseBenchmark: \(checkpointPath), L = \(network.depth), D = \(network.width), "
    + "C = \(network.classCount); RA at \(inputCount) inputs, NC over \(examples) examples "
    + "in batches of 500")
print("BLAS core \(blas.core), \(blas.threads) threads; load average \(loadAverage())")

/// The batches `ujm measure` feeds to Neural Collapse: 500 examples, Float64 from Float32.
func measureBatches(_ train: LabeledExamples, _ examples: Int)
  -> AnySequence<(inputs: Matrix<Double>, labels: [Int])>
{
  let d0 = train.featureCount
  return AnySequence(
    stride(from: 0, to: examples, by: 500).lazy.map { begin in
      let end = min(begin + 500, examples)
      let x = Matrix<Double>(
        rows: d0, columns: end - begin,
        storage: train.features[(begin * d0)..<(end * d0)].map(Double.init))
      return (inputs: x, labels: train.labels[begin..<end].map(Int.init))
    })
}
let trainSet: LabeledExamples = train
let batches = { measureBatches(trainSet, examples) }

// RA: the stage both paths share.
var rng = SeededGenerator(seed: 0)
let chosen = InputSelection.balanced(
  labels: train.labels.map(Int.init), classes: network.classCount, count: inputCount,
  using: &rng)!
let points = chosen.map { n in
  train.features[(n * train.featureCount)..<((n + 1) * train.featureCount)].map(Double.init)
}
let ra = try timed {
  _ = try ResidualAlignmentMeasurement.measure(
    network: network, inputs: points, rank: 10, using: &rng)
}
/// "W s wall, C s CPU".
func both(_ t: (wall: Double, cpu: Double)) -> String {
  "\(format(t.wall)) s wall, \(format(t.cpu)) s CPU"
}
print("load \(both(load)); RA \(both(ra)) (shared by both paths)")

/// One run of the new path: its time and peak resident memory.
@MainActor func newPath(
  _ precision: NeuralCollapseMeasurement.Precision, budget: Int, _ name: String
) throws -> (NeuralCollapseMeasurement, (wall: Double, cpu: Double)) {
  _ = PeakMemory.resetHighWaterMark()
  var result: NeuralCollapseMeasurement!
  var fromMemory = false
  let time = try timed {
    result = try NeuralCollapseMeasurement.measure(
      network: network, precision: precision, representationBudget: budget, batches: batches,
      progress: { if $0.pass == 2 { fromMemory = $0.fromMemory } })
  }
  print(
    "\(name): \(both(time)), peak resident \(gib(Double(PeakMemory.highWaterMarkBytes ?? 0)))"
      + (fromMemory ? " (pass 2 on the kept representations)" : " (two forward passes)"))
  return (result, time)
}

let budget = 3 << 30
let keptBytes = NeuralCollapseMeasurement.representationBytes(
  samples: examples, dimensions: (1...(network.depth + 2)).map(network.representationSize),
  precision: .single)
print(
  "representations of pass 1 in Float32: \(gib(Double(keptBytes))) (budget \(gib(Double(budget))))")
let (new, newTime) = try newPath(.single, budget: budget, "new NC (Float32, kept, as measure)")
let (singleTwo, singleTwoTime) = try newPath(.single, budget: 0, "new NC, Float32, two passes")
let (doubleTwo, doubleTwoTime) = try newPath(.double, budget: 0, "new NC, Float64, two passes")

_ = PeakMemory.resetHighWaterMark()
let forward = timed {
  for (x, _) in batches() { network.forward(batch: x) }
}
print("one bare Float64 forward pass over the examples: \(both(forward))")
let singleForward = network.singlePrecisionForward()
let forward32 = timed {
  for (x, _) in batches() { _ = singleForward(x.converted(to: Float.self)) { _, _ in } }
}
print("one bare Float32 forward pass over the examples: \(both(forward32))")

_ = PeakMemory.resetHighWaterMark()
var old: LegacyNeuralCollapseResult!
let oldTime = try timed {
  old = try LegacyNeuralCollapseMeasurement.measure(network: network, batches: batches)
}
let oldPeak = Double(PeakMemory.highWaterMarkBytes ?? 0)
print("old NC (D×D per layer, two Float64 passes): \(both(oldTime)), peak resident \(gib(oldPeak))")

// Agreement: the old NC1 is a difference of second moments, the new one a true second pass.
func relative(_ a: Double, _ b: Double) -> Double {
  a == b ? 0 : abs(a - b) / max(abs(a), abs(b))
}
/// One layer of a reference: the new path's metrics or the old path's, and NC4.
typealias ReferenceLayer = (NeuralCollapseMetrics?, LegacyNeuralCollapseMetrics?, Double)
/// Worst relative differences of NC1, NC2 (means, norms' CV), NC3 and the NC4 differences.
func agreement(_ a: NeuralCollapseMeasurement, _ b: [ReferenceLayer]) -> String {
  var worst = (nc1: 0.0, nc2: 0.0, nc3: 0.0)
  var nc4Differences = 0
  for (x, (m, legacy, nc4)) in zip(a.layers, b) {
    let nc1 = m?.nc1 ?? legacy!.nc1
    let nc2 = m?.nc2Means ?? legacy!.nc2Means
    let cv = m?.meansNormCV ?? legacy!.meansNormCV
    let nc3 = m != nil ? m!.nc3 : legacy!.nc3
    worst.nc1 = max(worst.nc1, relative(x.metrics.nc1, nc1))
    worst.nc2 = max(
      worst.nc2, relative(x.metrics.nc2Means, nc2), relative(x.metrics.meansNormCV, cv))
    if let p = x.metrics.nc3, let q = nc3 { worst.nc3 = max(worst.nc3, relative(p, q)) }
    if x.nc4 != nc4 { nc4Differences += 1 }
  }
  return "NC1 relative \(scientific(worst.nc1)), NC2 \(scientific(worst.nc2)), NC3 "
    + "\(scientific(worst.nc3)); NC4 equal at \(a.layers.count - nc4Differences) of "
    + "\(a.layers.count) layers"
}
let oldLayers = old.layers.map { (nil as NeuralCollapseMetrics?, Optional($0.metrics), $0.nc4) }
func layers(_ m: NeuralCollapseMeasurement) -> [ReferenceLayer] {
  m.layers.map { (Optional($0.metrics), nil, $0.nc4) }
}
print(
  "agreement, new (Float32) vs old (Float64): \(agreement(new, oldLayers)); accuracy "
    + "\(format(new.accuracy, 4)) vs \(format(old.accuracy, 4))")
print("agreement, new Float32 vs new Float64: \(agreement(new, layers(doubleTwo)))")
print(
  "agreement, Float32 kept vs Float32 two passes: "
    + (new == singleTwo ? "bit for bit" : agreement(new, layers(singleTwo))))

print("")
for (name, pick) in [("wall", \(wall: Double, cpu: Double).wall), ("CPU", \.cpu)] {
  let (l, r, o, n) = (
    load[keyPath: pick], ra[keyPath: pick], oldTime[keyPath: pick], newTime[keyPath: pick]
  )
  let (f64, f32) = (forward[keyPath: pick], forward32[keyPath: pick])
  let (s2, d2) = (singleTwoTime[keyPath: pick], doubleTwoTime[keyPath: pick])
  print(
    "\(name) seconds: measure (load + RA + NC) old \(format(o + l + r)), new \(format(n + l + r)): "
      + "\(format((o + l + r) / (n + l + r))) × (target ≥ 5×); NC alone old \(format(o)), new "
      + "\(format(n)): \(format(o / n)) × (Float32 two passes \(format(s2)): \(format(o / s2)) ×; "
      + "Float64 two passes \(format(d2)): \(format(o / d2)) ×). Forward passes: Float64 "
      + "\(format(f64)), Float32 \(format(f32)) (\(format(f64 / f32)) ×); the new NC beyond its one "
      + "Float32 pass \(format(n - f32)); load + RA \(format(l + r)). With NC free of all but one "
      + "Float32 forward pass, measure could reach at most \(format((o + l + r) / (f32 + l + r))) ×"
  )
}

// Memory at convolutional widths: Type 2 (16 blocks at 64 × 16 × 16 = 16,384; NC at h₁…h₁₇),
// the accumulators and one update, without the network and its representations.
let d2 = 16_384
let type2Layers = [Int](repeating: d2, count: 17)
let span = LayerwiseNeuralCollapse.accumulatorBytes(
  dimensions: type2Layers, classes: 10, batch: 500, covariance: .spanOfMeans)
let full = LayerwiseNeuralCollapse.accumulatorBytes(
  dimensions: type2Layers, classes: 10, batch: 500, covariance: .full)
let legacy = 8.0 * Double(type2Layers.count) * Double(d2) * Double(d2)
print("")
print(
  "Type 2 conv net (17 layers at D = 16,384, C = 10, batches of 500), NC accumulators and one "
    + "update: span of means \(gib(Double(span))); full Σ_W \(gib(Double(full))); "
    + "the old path's D×D moments alone \(gib(legacy))")
print("BLAS core \(blas.core), \(blas.threads) threads; load average \(loadAverage())")
