// Goals, in order of priority: where a training step's time goes, pass by pass (issue 21's
// profile), at no cost when nobody asks (one nil check per pass).

/// The passes of a training step that `PassProfile` times separately.
public enum TrainingPass: String, Sendable, CaseIterable {
  /// The forward convolutions' sgemm calls.
  case convolutionForwardGEMM = "conv forward (sgemm)"
  /// ∂input of the convolutions: the sgemm calls.
  case convolutionDataGEMM = "conv backward data (sgemm)"
  /// ∂W of the convolutions: the sgemm calls.
  case convolutionWeightGEMM = "conv backward weights (sgemm)"
  /// im2col, forward and for ∂W.
  case im2col = "im2col"
  /// col2im (∂input), with the zeroing it needs.
  case col2im = "col2im"
  /// BatchNorm statistics, normalisation and ReLU, forward (with the residual copy
  /// h_{i+1} ← h_i of an identity skip, which BN1's pass writes).
  case batchNormReLUForward = "BatchNorm+ReLU forward"
  /// BatchNorm and ReLU backward.
  case batchNormReLUBackward = "BatchNorm+ReLU backward"
  /// The residual copy h_{i+1} ← h_i of a block that stochastic depth drops (an identity
  /// skip's copy is part of BN1's forward pass).
  case residual = "residual copy"
  /// Pooling, the classifier (forward and backward), the loss.
  case head = "pool + classifier + loss"
  /// BatchNorm running statistics.
  case runningStatistics = "running statistics"
  /// SGD with momentum and weight decay.
  case update = "SGD update"
  /// Loading the batch into the input buffer.
  case input = "input gather"
}

/// Accumulated seconds and floating-point operations per pass.
public final class PassProfile: @unchecked Sendable {
  public private(set) var seconds: [TrainingPass: Double] = [:]
  public private(set) var flops: [TrainingPass: Double] = [:]
  private let clock = ContinuousClock()

  public init() {}

  /// Runs `body`, adding its time (and `flops`) to `pass`.
  @inline(__always)
  func time<R>(_ pass: TrainingPass, flops count: Double = 0, _ body: () -> R) -> R {
    let start = clock.now
    let result = body()
    let elapsed = clock.now - start
    let c = elapsed.components
    seconds[pass, default: 0] += Double(c.seconds) + Double(c.attoseconds) * 1e-18
    if count > 0 { flops[pass, default: 0] += count }
    return result
  }

  /// Adds the time since `start` to `pass`.
  func add(_ pass: TrainingPass, since start: ContinuousClock.Instant) {
    let c = (clock.now - start).components
    seconds[pass, default: 0] += Double(c.seconds) + Double(c.attoseconds) * 1e-18
  }

  /// Clears every total.
  public func reset() {
    seconds = [:]
    flops = [:]
  }
}

extension Optional where Wrapped == PassProfile {
  /// `body` timed under `pass` when profiling, else just `body`.
  @inline(__always)
  func time<R>(_ pass: TrainingPass, flops: Double = 0, _ body: () -> R) -> R {
    switch self {
    case .some(let p): p.time(pass, flops: flops, body)
    case .none: body()
    }
  }
}
