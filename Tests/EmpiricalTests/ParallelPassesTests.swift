import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

/// A pool of its own, so that these tests exercise the workers even while other suites hold
/// the shared pool (a busy pool runs the parts on the caller).
private let pool = WorkerPool(workers: 3)

/// The bit patterns of `values`, for exact comparison (NaN included).
private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

@Suite("Issue 21: the passes split across threads give the serial result bit for bit")
struct ParallelPassesTests {
  @Test(arguments: [64, 20, 5])
  func batchNormReLUForwardAndBackwardAreTheSerialResult(features d: Int) {
    var rng = testGenerator(21)
    let count = 300
    let x = (0..<(d * count)).map { _ in Float(uniform(2, &rng)) }
    let da = (0..<(d * count)).map { _ in Float(uniform(1, &rng)) }
    let gamma = (0..<d).map { _ in 1 + Float(uniform(0.5, &rng)) }
    let beta = (0..<d).map { _ in Float(uniform(0.5, &rng)) }
    func run(_ parts: Int) -> [[UInt32]] {
      let parallelism = Parallelism(parts: parts, pool: pool)
      let stats = BatchStatistics<Float>(features: d)
      var a = [Float](repeating: 0, count: d * count)
      var dx = [Float](repeating: 0.25, count: d * count)
      var dGamma = [Float](repeating: 0, count: d)
      var dBeta = [Float](repeating: 0, count: d)
      x.withUnsafeBufferPointer { x in
        a.withUnsafeMutableBufferPointer { a in
          batchNormReLUTraining(
            x.baseAddress!, into: a.baseAddress!, features: d, count: count,
            weight: gamma, bias: beta, stats: stats, parallelism: parallelism)
        }
      }
      x.withUnsafeBufferPointer { x in
        a.withUnsafeBufferPointer { a in
          da.withUnsafeBufferPointer { da in
            dx.withUnsafeMutableBufferPointer { dx in
              batchNormReLUBackward(
                x: x.baseAddress!, a: a.baseAddress!, da: da.baseAddress!, dx: dx.baseAddress!,
                accumulate: true, features: d, count: count, weight: gamma, stats: stats,
                weightGradient: &dGamma, biasGradient: &dBeta, parallelism: parallelism)
            }
          }
        }
      }
      let mean = Array(UnsafeBufferPointer(start: stats.mean.pointer, count: d))
      let variance = Array(UnsafeBufferPointer(start: stats.variance.pointer, count: d))
      return [a, dx, dGamma, dBeta, mean, variance].map(bits)
    }
    let serial = run(1)
    for parts in [2, 3, 4] { #expect(run(parts) == serial, "parts \(parts)") }
  }

  @Test func aTrainingStepIsTheSerialStep() {
    var rng = testGenerator(2121)
    let model = ConvolutionalNetwork<Float>(
      architecture: ConvolutionalArchitecture(
        stages: [.init(blocks: 2, channels: 32), .init(blocks: 1, channels: 48)], skips: true),
      image: ConvolutionalInput(channels: 1, side: 14, padding: 1), classCount: 4, using: &rng)
    let count = 6
    let input = (0..<(196 * count)).map { _ in Float(uniform(2, &rng)) }
    let labels = (0..<count).map { Int32($0 % 4) }
    func step(_ parts: Int) -> [[UInt32]] {
      let workspace = ConvolutionalWorkspace(
        model: model, capacity: count, parallelism: Parallelism(parts: parts, pool: pool),
        chunkCapacity: 1)
      input.withUnsafeBufferPointer { workspace.loadInput($0.baseAddress!, count: count) }
      workspace.forward(model, training: true)
      let loss = labels.withUnsafeBufferPointer {
        workspace.loss(labels: $0.baseAddress!, withGradient: true).loss
      }
      workspace.backward(model)
      var result = [[Float(loss)]]
      var scratch = model
      var other = model
      scratch.forEachParameter(workspace.gradients, &other) { _, g, _ in result.append(g) }
      for h in workspace.hidden {
        result.append(Array(UnsafeBufferPointer(start: h.pointer, count: h.count)))
      }
      return result.map(bits)
    }
    let serial = step(1)
    for parts in [2, 3] {
      let split = step(parts)
      // Which arrays differ: 0 the loss, then the gradients in parameter order, then h₁…h_{L+1}.
      let differing = serial.indices.filter { serial[$0] != split[$0] }
      #expect(differing.isEmpty, "parts \(parts): arrays \(differing) of \(serial.count) differ")
    }
  }

  @Test func thePoolRunsEveryPartOnce() {
    var counts = [Int](repeating: 0, count: 1000)
    counts.withUnsafeMutableBufferPointer { c in
      let c = c.baseAddress!
      for parts in [1, 2, 3, 4, 7] {
        pool.run(parts: parts) { p in
          for k in stride(from: p, to: 1000, by: parts) { c[k] += 1 }
        }
      }
    }
    #expect(counts.allSatisfy { $0 == 5 })
  }
}
