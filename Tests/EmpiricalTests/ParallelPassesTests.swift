import Foundation
import LinearAlgebra
import Synchronization
import TestSupport
import Testing

@testable import Empirical

/// A pool of its own, so that these tests exercise the workers even while other suites hold
/// the shared pool (a busy pool runs the parts on the caller).
private let pool = WorkerPool(workers: 3)

/// The bit patterns of `values`, for exact comparison (NaN included).
private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// The training forward pass a = ReLU(BN(x)) and its backward pass from `da` into dx (which
/// starts at `dx`, accumulated into when `accumulate`), ∂γ and ∂β, with the statistics.
private func batchNormReLUPasses(
  x: [Float], da: [Float], gamma: [Float], beta: [Float], features d: Int, count: Int,
  parallelism: Parallelism, dx initial: Float, accumulate: Bool
) -> (a: [Float], dx: [Float], dGamma: [Float], dBeta: [Float], stats: BatchStatistics<Float>) {
  let stats = BatchStatistics<Float>(features: d, columns: count)
  var a = [Float](repeating: 0, count: d * count)
  var dx = [Float](repeating: initial, count: d * count)
  var dGamma = [Float](repeating: 0, count: d)
  var dBeta = [Float](repeating: 0, count: d)
  x.withUnsafeBufferPointer { x in
    a.withUnsafeMutableBufferPointer { a in
      batchNormReLUTraining(
        x.baseAddress!, into: a.baseAddress!, features: d, count: count, weight: gamma,
        bias: beta, stats: stats, parallelism: parallelism)
    }
    da.withUnsafeBufferPointer { da in
      dx.withUnsafeMutableBufferPointer { dx in
        batchNormReLUBackward(
          x: x.baseAddress!, da: da.baseAddress!, dx: dx.baseAddress!, accumulate: accumulate,
          features: d, count: count, weight: gamma, stats: stats, weightGradient: &dGamma,
          biasGradient: &dBeta, parallelism: parallelism)
      }
    }
  }
  return (a, dx, dGamma, dBeta, stats)
}

@Suite("Issue 21: the passes split across threads give the serial result bit for bit")
struct ParallelPassesTests {
  /// 300 columns: the sums split by features; 2,500 and 4,096: by the fixed parts of 1,024
  /// columns (a convolutional layer's W·H·B).
  @Test(arguments: [(64, 300), (20, 300), (5, 300), (64, 2500), (20, 2500), (16, 4096)])
  func batchNormReLUForwardAndBackwardAreTheSerialResult(features d: Int, count: Int) {
    var rng = testGenerator(21)
    let x = (0..<(d * count)).map { _ in Float(uniform(2, &rng)) }
    let da = (0..<(d * count)).map { _ in Float(uniform(1, &rng)) }
    let gamma = (0..<d).map { _ in 1 + Float(uniform(0.5, &rng)) }
    let beta = (0..<d).map { _ in Float(uniform(0.5, &rng)) }
    func run(_ parts: Int) -> [[UInt32]] {
      let r = batchNormReLUPasses(
        x: x, da: da, gamma: gamma, beta: beta, features: d, count: count,
        parallelism: Parallelism(parts: parts, pool: pool, minimumPooledValues: 0), dx: 0.25,
        accumulate: true)
      let mean = Array(UnsafeBufferPointer(start: r.stats.mean.pointer, count: d))
      let variance = Array(UnsafeBufferPointer(start: r.stats.variance.pointer, count: d))
      return [r.a, r.dx, r.dGamma, r.dBeta, mean, variance].map(bits)
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
        model: model, capacity: count,
        parallelism: Parallelism(parts: parts, pool: pool, minimumPooledValues: 0),
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

  @Test(arguments: [300, 2500])
  func theBatchStatisticsAreTheMeanAndVarianceInDouble(count: Int) {
    var rng = testGenerator(2122)
    let d = 24
    let x = (0..<(d * count)).map { _ in Float(3 + uniform(2, &rng)) }
    let stats = batchNormReLUPasses(
      x: x, da: [Float](repeating: 0, count: d * count),
      gamma: [Float](repeating: 1, count: d), beta: [Float](repeating: 0, count: d),
      features: d, count: count,
      parallelism: Parallelism(parts: 3, pool: pool, minimumPooledValues: 0), dx: 0,
      accumulate: false
    ).stats
    var worst = 0.0
    for f in 0..<d {
      let column = stride(from: f, to: d * count, by: d).map { Double(x[$0]) }
      let mean = column.reduce(0, +) / Double(count)
      let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)
      worst = Swift.max(
        worst, abs(Double(stats.mean.pointer[f]) - mean) / abs(mean),
        abs(Double(stats.variance.pointer[f]) - variance) / variance)
    }
    print("batch statistics over \(count) columns: worst relative error \(worst) (tolerance 1e-5)")
    #expect(worst < 1e-5)
  }

  /// The backward pass with its sums split into fixed parts of columns against the formulas in
  /// Double: ∂β = Σ dy, ∂γ = Σ dy·x̂, ∂x = γ/√(σ²+ε)·(dy − ∂β/B − x̂·∂γ/B), dy = da·[a > 0]
  /// with a the forward pass's output (the kernel recomputes the gate from x: one decision
  /// taken otherwise would cost a whole da, far above the tolerance).
  @Test(arguments: [300, 2500])
  func theBackwardSumsAreTheFormulasInDouble(count: Int) {
    var rng = testGenerator(2127)
    let d = 8
    let x = (0..<(d * count)).map { _ in Float(uniform(2, &rng)) }
    let da = (0..<(d * count)).map { _ in Float(uniform(1, &rng)) }
    let gamma = (0..<d).map { _ in 1 + Float(uniform(0.5, &rng)) }
    let beta = (0..<d).map { _ in Float(uniform(0.5, &rng)) }
    let (a, dx, dGamma, dBeta, _) = batchNormReLUPasses(
      x: x, da: da, gamma: gamma, beta: beta, features: d, count: count,
      parallelism: Parallelism(parts: 2, pool: pool, minimumPooledValues: 0), dx: 0,
      accumulate: false)
    var worst = 0.0
    for f in 0..<d {
      let indices = Array(stride(from: f, to: d * count, by: d))
      let column = indices.map { Double(x[$0]) }
      let mean = column.reduce(0, +) / Double(count)
      let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)
      let inverseStd = 1 / (variance + 1e-5).squareRoot()
      let xHat = column.map { ($0 - mean) * inverseStd }
      let dy = indices.map { a[$0] > 0 ? Double(da[$0]) : 0 }
      let sumDy = dy.reduce(0, +)
      let sumDyXHat = zip(dy, xHat).map { $0 * $1 }.reduce(0, +)
      let reference = (0..<count).map {
        Double(gamma[f]) * inverseStd
          * (dy[$0] - sumDy / Double(count) - xHat[$0] * sumDyXHat / Double(count))
      }
      let scale = reference.map(abs).max()!
      for (k, i) in indices.enumerated() {
        worst = Swift.max(worst, abs(Double(dx[i]) - reference[k]) / scale)
      }
      worst = Swift.max(
        worst, abs(Double(dBeta[f]) - sumDy) / Double(count),
        abs(Double(dGamma[f]) - sumDyXHat) / Double(count))
    }
    print("BatchNorm+ReLU backward over \(count) columns: worst error \(worst) (tolerance 1e-5)")
    #expect(worst < 1e-5)
  }

  /// The counterexample the bitwise checks are there to catch: column sums split by the number
  /// of threads (parts of count/threads columns, added in order) differ between 2 and 3 threads.
  @Test func sumsSplitByTheThreadCountDependOnIt() {
    var rng = testGenerator(2123)
    let (d, count) = (16, 3000)
    let x = (0..<(d * count)).map { _ in Float(uniform(2, &rng)) }
    func mean(threads: Int) -> [UInt32] {
      var partial = [Float](repeating: 0, count: d)
      var total = [Float](repeating: 0, count: d)
      x.withUnsafeBufferPointer { x in
        for p in 0..<threads {
          featureSums(
            x.baseAddress!, features: 0..<d, stride: d,
            columns: (count * p / threads)..<(count * (p + 1) / threads), into: &partial)
          for f in 0..<d { total[f] += partial[f] }
        }
      }
      return bits(total)
    }
    let differing = zip(mean(threads: 2), mean(threads: 3)).filter { $0 != $1 }.count
    print("features whose sum differs between 2 and 3 thread-sized parts: \(differing) of \(d)")
    #expect(differing > 0)
  }

  @Test(arguments: [300, 2500])
  func theResidualCopyInBatchNormsPassIsTheInput(count: Int) {
    var rng = testGenerator(2124)
    let d = 32
    let x = (0..<(d * count)).map { _ in Float(uniform(2, &rng)) }
    let gamma = (0..<d).map { _ in 1 + Float(uniform(0.5, &rng)) }
    let beta = (0..<d).map { _ in Float(uniform(0.5, &rng)) }
    func run(parts: Int, copying: Bool) -> (a: [UInt32], copy: [UInt32]) {
      let stats = BatchStatistics<Float>(features: d, columns: count)
      var a = [Float](repeating: 0, count: d * count)
      var copy = [Float](repeating: .nan, count: d * count)
      x.withUnsafeBufferPointer { x in
        a.withUnsafeMutableBufferPointer { a in
          copy.withUnsafeMutableBufferPointer { c in
            batchNormReLUTraining(
              x.baseAddress!, into: a.baseAddress!, features: d, count: count, weight: gamma,
              bias: beta, stats: stats,
              parallelism: Parallelism(parts: parts, pool: pool, minimumPooledValues: 0),
              copy: copying ? c.baseAddress! : nil)
          }
        }
      }
      return (bits(a), bits(copy))
    }
    let plain = run(parts: 1, copying: false)
    for parts in [1, 2, 3] {
      let fused = run(parts: parts, copying: true)
      #expect(fused.a == plain.a, "parts \(parts): a changed by the copy")
      #expect(fused.copy == bits(x), "parts \(parts): the copy is not x")
    }
    // Counterexample: without the copy the target keeps what it held.
    #expect(plain.copy != bits(x))
  }

  @Test func theSplitMomentumUpdateIsTheSerialUpdate() {
    var rng = testGenerator(2125)
    // 256 × 256 weights: four ranges of 16,384 entries at two or three parts.
    let model = ResidualNetwork<Float>(
      architecture: Architecture(blocks: 1, width: 256, skips: true), inputSize: 20,
      classCount: 3, using: &rng)
    var gradients = model
    var momentum = model
    var noise = testGenerator(2126)
    gradients.forEachParameter(model, &momentum) { g, _, v in
      for k in g.indices {
        g[k] = Float(uniform(1, &noise))
        v[k] = Float(uniform(1, &noise))
      }
    }
    let optimizer = StochasticGradientDescent(momentum: 0.9, weightDecay: 5e-4)
    func step(parts: Int) -> [[UInt32]] {
      var network = model.erased
      var buffers = momentum.erased
      optimizer.update(
        &network, gradients: gradients.erased, momentumBuffers: &buffers, learningRate: 0.1,
        parallelism: Parallelism(parts: parts, pool: pool, minimumPooledValues: 0))
      var result: [[UInt32]] = []
      network.forEachParameter(buffers, &buffers) { p, v, _ in result += [bits(p), bits(v)] }
      return result
    }
    let serial = step(parts: 1)
    for parts in [2, 3] { #expect(step(parts: parts) == serial, "parts \(parts)") }
    // Counterexample: a step at another learning rate differs (the comparison sees it).
    var network = model.erased
    var buffers = momentum.erased
    optimizer.update(
      &network, gradients: gradients.erased, momentumBuffers: &buffers, learningRate: 0.05)
    var other: [[UInt32]] = []
    network.forEachParameter(buffers, &buffers) { p, v, _ in other += [bits(p), bits(v)] }
    #expect(other != serial)
  }

  @Test(arguments: [1, 2, 4])
  func rangesAndPartsCoverEveryIndexOnceOnAtMostTheirThreads(parts: Int) {
    let parallelism = Parallelism(parts: parts, pool: pool, minimumPooledValues: 0)
    for (count, granule, minimum) in [(1000, 1, 1), (1000, 16, 64), (37, 8, 16), (5, 1, 1)] {
      var counts = [Int](repeating: 0, count: count)
      counts.withUnsafeMutableBufferPointer { c in
        let c = c.baseAddress!
        parallelism.forEachRange(count, granule: granule, minimumPerPart: minimum) { r in
          for k in r { c[k] += 1 }
        }
      }
      #expect(counts.allSatisfy { $0 == 1 }, "count \(count), granule \(granule)")
    }
    var runs = [Int](repeating: 0, count: 50)
    let threads = Mutex<Set<ObjectIdentifier>>([])
    runs.withUnsafeMutableBufferPointer { c in
      let c = c.baseAddress!
      parallelism.forEachPart(50) { k in
        c[k] += 1
        let current = ObjectIdentifier(Thread.current)
        threads.withLock { _ = $0.insert(current) }
        usleep(200)
      }
    }
    let used = threads.withLock { $0.count }
    print("50 parts at \(parts) threads ran on \(used) threads")
    #expect(runs.allSatisfy { $0 == 1 })
    #expect(used <= parts)
  }

  /// The thread that `run(parts:threads:)` names for each part is below min(parts, threads):
  /// the index of the scratch buffer it may use alone.
  @Test(arguments: [(50, 2), (50, 3), (3, 8), (1, 2)])
  func thePoolNamesEachPartsThreadBelowItsThreadCount(parts: Int, threads: Int) {
    var slots = [Int](repeating: -1, count: parts)
    slots.withUnsafeMutableBufferPointer { s in
      let s = s.baseAddress!
      pool.run(parts: parts, threads: threads) { p, thread in
        s[p] = thread
        usleep(100)
      }
    }
    let limit = Swift.min(parts, threads)
    print("\(parts) parts, \(threads) threads: threads named \(Set(slots).sorted())")
    #expect(slots.allSatisfy { $0 >= 0 && $0 < limit })
  }

  /// A pass over fewer than `minimumPooledValues` values runs in one part; one over at least
  /// that many keeps every part; a serial parallelism stays serial at any size.
  @Test func passesBelowTheMinimumRunInOnePart() {
    let split = Parallelism(parts: 2, pool: pool)
    let minimum = Parallelism.defaultMinimumPooledValues
    let fullyConnected = 128 * 512  // one Type 1 BatchNorm pass
    let convolutional = 128 * 64 * 28 * 28  // one Type 5a BatchNorm pass
    print(
      "minimum \(minimum) values: FC pass \(split.for(values: fullyConnected).parts) part(s), "
        + "conv pass \(split.for(values: convolutional).parts), at the minimum "
        + "\(split.for(values: minimum).parts), one below \(split.for(values: minimum - 1).parts)")
    #expect(split.for(values: fullyConnected).parts == 1)
    #expect(split.for(values: convolutional).parts == 2)
    #expect(split.for(values: minimum).parts == 2)
    #expect(split.for(values: minimum - 1).parts == 1)
    #expect(Parallelism.serial.for(values: convolutional).parts == 1)
    #expect(Parallelism(parts: 2, pool: pool, minimumPooledValues: 0).for(values: 1).parts == 2)
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
