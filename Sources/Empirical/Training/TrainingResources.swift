// Goals, in order of priority: refuse, before anything is allocated, a training run that cannot
// fit in memory or has a loop count no one means (a typo's extra zeros), naming the option and
// the figure it would need; estimates that are honest upper bounds of what `Trainer` allocates;
// never a trap on overflow (every product is checked).

import Foundation
import LinearAlgebra

/// What a training run of a fully-connected residual network needs: parameters, the bytes of
/// parameters, optimiser state and activations, checked against the machine's memory.
///
/// Counted in Float32 values (`Trainer`'s arithmetic):
/// - parameters P = D·n₀ + 2L·D² + C·D + C, plus 4D per BatchNorm (γ, β, running μ and σ²) of
///   which there are 2L + 2;
/// - `parameterCopies` copies of them: the model, its momentum buffers, its gradients, and the
///   checkpoint's tensors and bytes while it is written;
/// - activations of one batch B (`NetworkWorkspace`): (4L + 6)·D·B + n₀·B + 2C·B;
/// - the data set, N examples of n₀ features.
public struct TrainingResources: Sendable, Equatable {
  /// Copies of the parameters alive at the peak (model, momentum, gradients, two while saving).
  public static let parameterCopies = 5
  /// The largest L accepted: the paper's deepest network has 16 blocks, PyTorch's ResNet-152 50;
  /// a bigger count is a typo that would run for days (or not fit).
  public static let maximumBlocks = 10_000
  /// The fraction of physical memory a run may plan to use.
  public static let memoryFraction = 0.8

  /// P, the number of parameters, or nil when it overflows `Int`.
  public var parameters: Int?
  /// The bytes needed at the peak, or nil when the count overflows `Int`.
  public var bytes: Int?

  /// The estimate for `architecture` on n₀ = `inputSize` features, C = `classCount` classes,
  /// batches of B = `batchSize` and N = `examples` examples held in memory.
  public init(
    architecture a: Architecture, inputSize: Int, classCount: Int, batchSize: Int,
    examples: Int = 0
  ) {
    let (l, d, n0, c, b) = (a.blocks, a.width, inputSize, classCount, batchSize)
    func sum(_ terms: Int?...) -> Int? {
      var total = 0
      for term in terms {
        guard let term else { return nil }
        let (s, overflow) = total.addingReportingOverflow(term)
        if overflow { return nil }
        total = s
      }
      return total
    }
    let norms = [2, l].checkedProduct.flatMap { sum($0, 2) }
    parameters = sum(
      [d, n0].checkedProduct, [2, l, d, d].checkedProduct, [c, d].checkedProduct, c,
      norms.flatMap { [4, d, $0].checkedProduct })
    let activations = sum(
      [4, l].checkedProduct.flatMap { sum($0, 6) }.flatMap { [$0, d, b].checkedProduct },
      [n0, b].checkedProduct, [2, c, b].checkedProduct)
    let values = sum(
      parameters.flatMap { [Self.parameterCopies, $0].checkedProduct }, activations,
      [examples, n0].checkedProduct)
    bytes = values.flatMap { [$0, MemoryLayout<Float>.size].checkedProduct }
  }

  /// Why a run was refused; `description` is one line for the CLI (the option is named by the
  /// caller).
  public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// The run needs more memory than `memoryFraction` of the machine's.
    case memory(parameters: Int?, bytes: Int?, available: UInt64)
    /// More blocks than `maximumBlocks`.
    case blocks(Int)

    public var description: String {
      switch self {
      case .memory(let parameters, let bytes, let available):
        "\(parameters.map { "\(formatCount(Double($0))) parameters" } ?? "more than 2^63 parameters"); "
          + "training needs about \(formatBytes(bytes)) (\(TrainingResources.parameterCopies) "
          + "copies of the Float32 parameters, the activations of a batch and the data) but this "
          + "machine has \(formatBytes(Int(clamping: available)))"
      case .blocks(let blocks):
        "\(blocks) blocks is more than the \(TrainingResources.maximumBlocks) accepted (the "
          + "paper's deepest network has 16); each step runs every block"
      }
    }
  }

  /// Throws when the run cannot fit in `memoryFraction` of `physicalMemory` (default: this
  /// machine's), or has more than `maximumBlocks` blocks.
  public func check(
    blocks: Int, physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory
  ) throws(Refusal) {
    guard blocks <= Self.maximumBlocks else { throw .blocks(blocks) }
    guard let bytes, Double(bytes) <= Double(physicalMemory) * Self.memoryFraction else {
      throw .memory(parameters: parameters, bytes: bytes, available: physicalMemory)
    }
  }
}

/// Bytes in GiB or MiB; nil (an overflowing count) reads "more than 2^63 bytes".
func formatBytes(_ bytes: Int?) -> String {
  guard let bytes else { return "more than 2^63 bytes" }
  let gib = Double(bytes) / 1_073_741_824
  if gib >= 10_000 { return String(format: "%.3g GiB", gib) }
  return gib >= 1
    ? String(format: "%.1f GiB", gib) : String(format: "%.1f MiB", Double(bytes) / 1_048_576)
}

/// A count with three significant digits (`1.23e+07`).
func formatCount(_ count: Double) -> String { String(format: "%.3g", count) }
