// Goals, in order of priority: layer-wise Neural Collapse from batches of representations of
// any network (per layer a D×b matrix and its labels; D may differ between layers); memory
// O(D·C) per layer by default, never a D×D matrix unless asked for; two passes, the second
// once the class means are known.

import LinearAlgebra

/// NC1–NC4 at every layer of a network, fed layer by layer with batches of representations.
///
/// Paper: Figure 7 and the layer-wise Neural Collapse of Figure 1's caption. Pass 1 adds every
/// batch with its labels (class means; with `.full`, also Σ_W); `beginSecondPass()` fixes the
/// means; pass 2 adds the same batches again with the network's predictions (Σ_W on the span of
/// the means with `.spanOfMeans`; NC4 in both cases). Both passes must see the same samples.
public struct LayerwiseNeuralCollapse: Sendable {
  /// How Σ_W is accumulated.
  public enum Covariance: String, Sendable, Equatable, CaseIterable {
    /// Mᵀ·Σ_W·M (C×C) in pass 2: memory O(D·C), work O(D·C) per sample.
    case spanOfMeans = "span-of-means"
    /// Σ_W (D×D) in pass 1: memory O(D²), work O(D²) per sample; the reference.
    case full
  }

  /// C.
  public let classes: Int
  public let covariance: Covariance
  private var means: [Int: NeuralCollapseClassMeans] = [:]
  private var full: [Int: NeuralCollapseAccumulator] = [:]
  private var spans: [Int: NeuralCollapseSpanOfMeans] = [:]
  /// Whether pass 2 has begun.
  public private(set) var inSecondPass = false

  public init(classes: Int, covariance: Covariance = .spanOfMeans) {
    precondition(classes >= 2, "need C ≥ 2 classes")
    self.classes = classes
    self.covariance = covariance
  }

  /// The layers seen, in increasing order.
  public var layers: [Int] { means.keys.sorted() }

  /// Pass 1: adds the representations at `layer` (D×b, one sample per column) with labels.
  public mutating func addFirstPass(layer: Int, batch: Matrix<Double>, labels: [Int]) {
    precondition(!inSecondPass, "pass 1 is over")
    if means[layer] == nil {
      means[layer] = NeuralCollapseClassMeans(classes: classes, dimension: batch.rows)
      if covariance == .full {
        full[layer] = NeuralCollapseAccumulator(classes: classes, dimension: batch.rows)
      }
    }
    means[layer]!.add(batch: batch, labels: labels)
    full[layer]?.add(batch: batch, labels: labels)
  }

  /// Pass 1 for Float32 representations: the class sums straight from them, in Float64 (Σ_W
  /// of `.full` from their Float64 copy).
  public mutating func addFirstPass(layer: Int, batch: Matrix<Float>, labels: [Int]) {
    precondition(!inSecondPass, "pass 1 is over")
    if covariance == .full {
      addFirstPass(layer: layer, batch: batch.converted(to: Double.self), labels: labels)
      return
    }
    if means[layer] == nil {
      means[layer] = NeuralCollapseClassMeans(classes: classes, dimension: batch.rows)
    }
    means[layer]!.add(batch: batch, labels: labels)
  }

  /// Ends pass 1. Returns the classes without a sample (then there is no pass 2), or [] when
  /// pass 2 may begin.
  public mutating func beginSecondPass() -> [Int] {
    precondition(!inSecondPass, "pass 2 has begun")
    guard let counts = means.values.first?.counts else { return Array(0..<classes) }
    let missing = (0..<classes).filter { counts[$0] == 0 }
    if !missing.isEmpty { return missing }
    spans = means.mapValues { NeuralCollapseSpanOfMeans($0) }
    inSecondPass = true
    return []
  }

  /// Pass 2: adds the representations at `layer` again, with labels and the reference labels of
  /// NC4 (the network's predictions).
  public mutating func addSecondPass(
    layer: Int, batch: Matrix<Double>, labels: [Int], references: [Int]
  ) {
    precondition(inSecondPass, "call beginSecondPass() first")
    precondition(spans[layer] != nil, "layer \(layer) was not seen in pass 1")
    if covariance == .spanOfMeans {
      spans[layer]!.add(batch: batch, labels: labels, references: references)
    } else {
      spans[layer]!.addNearestCentres(batch: batch, references: references)  // Σ_W: pass 1
    }
  }

  /// NC1–NC4 at `layer` after pass 2; `classifier` (C×D) adds NC3 and the classifier's NC2.
  public func metrics(layer: Int, classifier: Matrix<Double>? = nil) throws(LAPACKError)
    -> (metrics: NeuralCollapseMetrics, nc4: Double)
  {
    guard let span = spans[layer] else { preconditionFailure("layer \(layer): no pass 2") }
    let metrics: NeuralCollapseMetrics
    if let full = full[layer] {
      metrics = try full.metrics(classifier: classifier)
    } else {
      metrics = try span.metrics(classifier: classifier)
    }
    return (metrics, span.nearestCentre.mismatchFraction)
  }

  /// Bytes of the accumulators of layers of widths `dimensions` with C classes (8-byte
  /// entries), plus what one layer's update of a batch of `batch` samples allocates; excludes
  /// the network and its representations.
  public static func accumulatorBytes(
    dimensions: [Int], classes: Int, batch: Int, covariance: Covariance
  ) -> Int {
    let accumulators = dimensions.reduce(0) { total, d in
      // Pass 1: D×C sums (+ D×D moment, D×C shifted sums); pass 2: means, centred means,
      // NC4's means (3·D×C) and C×C.
      let full = covariance == .full ? d * d + d * classes + d : 0
      return total + 4 * d * classes + classes * classes + full
    }
    // One update: a D×b copy of the batch (residuals or shifted features), b×C indicator,
    // projections and inner products; `.full` also forms the D×D Σ_W once at the end.
    let d = dimensions.max() ?? 0
    let update = d * batch + 3 * batch * classes + (covariance == .full ? 2 * d * d : 0)
    return 8 * (accumulators + update)
  }
}
