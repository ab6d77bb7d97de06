// Goals, in order of priority: the elementwise and reduction passes of a training step (BatchNorm,
// ReLU, im2col/col2im, pooling, the residual copy, the SGD update) on every core without a
// thread spawned per call; results that do not depend on the number of threads (every caller
// splits its work so that each output is computed by exactly one part, in the serial order);
// no allocation per call beyond one small job record.

import Foundation
import LinearAlgebra
import Synchronization

/// A persistent pool of worker threads that runs the parts of one job at a time.
///
/// `run(parts:_:)` calls `body(p)` once for every p in 0..<parts, on the calling thread and the
/// workers, and returns when all have returned. Callers make each part write its own outputs
/// in the serial order, so the result is the serial result, bit for bit, at any thread count.
/// A caller that finds the pool busy (another thread's job, e.g. tests run in parallel) runs
/// its parts itself.
///
/// The workers spin briefly after each job (the next pass usually follows within
/// microseconds), then sleep on a condition variable.
final class WorkerPool: @unchecked Sendable {
  /// A job: its body and counters. A worker that wakes late holds the record, finds no part
  /// left and lets go; the body has been dropped by then.
  private final class Job: @unchecked Sendable {
    /// body(part, thread): the thread is 0 for the caller, 1… for the workers.
    var body: ((Int, Int) -> Void)?
    let parts: Int
    /// The threads that take parts (the caller and threads − 1 workers).
    let threads: Int
    let next = Atomic<Int>(0)
    let done = Atomic<Int>(0)
    init(parts: Int, threads: Int, body: @escaping (Int, Int) -> Void) {
      self.parts = parts
      self.threads = threads
      self.body = body
    }

    /// Runs parts on thread `thread` until none is left.
    func work(thread: Int) {
      while true {
        let p = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard p < parts else { return }
        body!(p, thread)
        done.wrappingAdd(1, ordering: .releasing)
      }
    }
  }

  /// The pool every workspace shares: one worker per core beyond the caller's.
  static let shared = WorkerPool(
    workers: Swift.max(0, Swift.min(ProcessInfo.processInfo.activeProcessorCount, 16) - 1))

  /// Threads that run parts besides the caller.
  let workers: Int
  private let condition = NSCondition()
  private let generation = Atomic<Int>(0)
  private let busy = Atomic<Bool>(false)
  private var job: Job?

  init(workers: Int) {
    self.workers = workers
    for index in 0..<workers {
      let thread = Thread { [unowned self] in self.workerLoop(index) }
      thread.name = "ujm-worker"
      thread.start()
    }
  }

  /// Worker `index` takes parts of jobs of more than index + 1 parts and threads (the caller
  /// takes part in every job), and spins after a job only if it took part in it.
  private func workerLoop(_ index: Int) {
    var seen = 0
    var spinLimit = 0
    while true {
      var spins = 0
      while generation.load(ordering: .acquiring) == seen && spins < spinLimit {
        spins += 1
        if spins % 64 == 0 { sched_yield() }
      }
      condition.lock()
      while generation.load(ordering: .acquiring) == seen { condition.wait() }
      seen = generation.load(ordering: .acquiring)
      let current = job
      condition.unlock()
      if let current, index + 1 < Swift.min(current.parts, current.threads) {
        current.work(thread: index + 1)
        spinLimit = 2_000
      } else {
        spinLimit = 0
      }
    }
  }

  /// Calls `body(p)` for p in 0..<parts across the caller and up to min(parts, threads) − 1
  /// workers, each thread taking the next part left when it finishes one (so that a thread
  /// that the machine's load holds back takes fewer); returns when every part has returned.
  func run(parts: Int, threads: Int? = nil, _ body: @escaping (Int) -> Void) {
    run(parts: parts, threads: threads) { p, _ in body(p) }
  }

  /// The same with `body(p, thread)`: `thread` (< min(parts, threads)) names the thread that
  /// runs part p, 0 for the caller, so that each thread can own a scratch buffer while the
  /// parts go to whichever thread is free.
  func run(parts: Int, threads: Int? = nil, _ body: @escaping (Int, Int) -> Void) {
    let threads = threads ?? parts
    guard parts > 1, threads > 1, workers > 0,
      busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    else {
      for p in 0..<parts { body(p, 0) }
      return
    }
    let current = Job(parts: parts, threads: threads, body: body)
    condition.lock()
    job = current
    generation.wrappingAdd(1, ordering: .releasing)
    condition.broadcast()
    condition.unlock()
    current.work(thread: 0)
    var spins = 0
    while current.done.load(ordering: .acquiring) < parts {
      spins += 1
      if spins % 16 == 0 { sched_yield() }
    }
    current.body = nil
    condition.lock()
    job = nil
    condition.unlock()
    busy.store(false, ordering: .releasing)
  }
}

/// How a pass splits its work: the number of parts (the BLAS thread count, so that a run with
/// one BLAS thread uses one core throughout) and the pool that runs them.
struct Parallelism: Sendable {
  let parts: Int
  let pool: WorkerPool
  /// Whether the convolutions run image-parallel on the pool with single-threaded sgemm
  /// calls; otherwise OpenBLAS's threads split each product of a large chunk (before issue 21).
  let pooledConvolutions: Bool
  /// The fewest values a BatchNorm pass or an SGD update must touch to be split (`for(values:)`).
  let minimumPooledValues: Int

  /// The default `minimumPooledValues`: 2¹⁷ values. Measured (issue 21, `TrainBenchmark
  /// --pass-threads`, Cooperlake, 2 threads): a fully-connected BatchNorm pass of 128 × 512
  /// values takes ~50 µs, comparable to waking a worker while OpenBLAS's own threads still spin
  /// after the last sgemm, and the SGD update is bound by memory bandwidth, so that splitting
  /// either made Type 1's step slower (79% of its GEMM ceiling against 85% serial); conv
  /// BatchNorm passes (millions of values) gain.
  static let defaultMinimumPooledValues = 1 << 17

  init(
    parts: Int, pool: WorkerPool = .shared, pooledConvolutions: Bool = true,
    minimumPooledValues: Int = Parallelism.defaultMinimumPooledValues
  ) {
    self.parts = parts
    self.pool = pool
    self.pooledConvolutions = pooledConvolutions
    self.minimumPooledValues = minimumPooledValues
  }

  static var serial: Parallelism { Parallelism(parts: 1) }

  /// This parallelism for a pass over `values` values, or one part when there are fewer than
  /// `minimumPooledValues`. Every split gives the serial bits, so this changes only the time.
  func `for`(values: Int) -> Parallelism {
    guard parts > 1, values < minimumPooledValues else { return self }
    return Parallelism(
      parts: 1, pool: pool, pooledConvolutions: pooledConvolutions,
      minimumPooledValues: minimumPooledValues)
  }

  /// As many parts as OpenBLAS has threads.
  static var matchingBLAS: Parallelism {
    Parallelism(parts: Swift.max(1, BLASEnvironment.current.threads))
  }

  /// Ranges per thread of `forEachRange`: more than one, so that a thread that the machine's
  /// load holds back leaves its share to the others.
  static let rangesPerThread = 4

  /// Runs `body(range)` on a split of 0..<count into contiguous ranges whose bounds are
  /// multiples of `granule` (except the end), at most `rangesPerThread` per part, run by at
  /// most `parts` threads.
  func forEachRange(
    _ count: Int, granule: Int = 1, minimumPerPart: Int = 1,
    _ body: @escaping (Range<Int>) -> Void
  ) {
    let units = (count + granule - 1) / granule
    let most = parts > 1 ? parts * Self.rangesPerThread : 1
    let n = Swift.max(1, Swift.min(most, units / Swift.max(1, minimumPerPart / granule)))
    if n == 1 {
      body(0..<count)
      return
    }
    pool.run(parts: n, threads: parts) { p in
      let lower = Swift.min(count, units * p / n * granule)
      let upper = Swift.min(count, units * (p + 1) / n * granule)
      if lower < upper { body(lower..<upper) }
    }
  }

  /// Calls `body(k)` for every fixed part k in 0..<count (each part's output its own, so the
  /// result does not depend on the thread count), on at most `parts` threads.
  func forEachPart(_ count: Int, _ body: @escaping (Int) -> Void) {
    if parts == 1 || count == 1 {
      for k in 0..<count { body(k) }
      return
    }
    pool.run(parts: count, threads: parts, body)
  }
}
