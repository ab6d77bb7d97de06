// Goals, in order of priority: NC1–NC4 at the classifier and at every layer (layer-wise
// Neural Collapse, Figure 7) from two passes (class means, then Σ_W on their span and NC4),
// accumulators of O(L·D·C), never a D×D matrix; one forward pass when pass 1's representations
// fit in a stated memory budget (the forward passes dominate the time), two otherwise; forward
// passes in Float32 or Float64, statistics in Float64; progress after every batch.

import LinearAlgebra

/// Neural Collapse of a network's representations over a labelled data set, layer by layer.
///
/// Paper: Figure 7 (NC1–NC4 during training) and the layer-wise Neural Collapse noted in
/// Figure 1's caption. Layers 1…L+1 are the representations h₁…h_{L+1}; layer L+2 is the
/// classifier's input ReLU(BN_f(h_{L+1})), the only layer with a classifier, hence the only one
/// with the classifier's NC2 and NC3. NC4 at every layer is the fraction of samples whose
/// nearest class centre at that layer disagrees with the network's prediction.
public struct NeuralCollapseMeasurement: Sendable, Equatable {
  /// NC metrics at one layer.
  public struct Layer: Sendable, Equatable, Codable {
    /// 1…L+1 for h_i, L+2 for the classifier's input.
    public var layer: Int
    public var metrics: NeuralCollapseMetrics
    /// Fraction of samples whose nearest class centre differs from the network's prediction.
    public var nc4: Double
  }

  /// Where a measurement stands, for progress reports: `pass` 1 (class means) or 2 (Σ_W on
  /// their span, NC4), and the samples of that pass done so far (0 as the pass begins).
  public struct Progress: Sendable, Equatable {
    public var pass: Int
    public var samples: Int
    /// Whether pass 2 reads the representations that pass 1 kept in memory (no second forward
    /// pass); false in pass 1.
    public var fromMemory = false
  }

  /// The arithmetic of the forward passes; the statistics are accumulated in Float64 either way.
  public enum Precision: String, Sendable, Equatable, CaseIterable, Codable {
    /// Float32 on sgemm, the checkpoint's own precision (`singlePrecisionForward()`).
    case single
    /// Float64 on dgemm from the Float32 weights, as the Jacobians are computed.
    case double
  }

  /// Why a measurement cannot be made.
  public enum Failure: Error, Sendable, Equatable {
    /// The batches held no sample.
    case noSamples
    /// These classes have no sample among the batches (every class mean is needed).
    case classesWithoutSamples([Int])
    /// LAPACK failed on the SVD of the centred class means.
    case lapack(LAPACKError)
  }

  /// Every layer, h₁ first, the classifier's input last.
  public var layers: [Layer]
  /// The samples used.
  public var samples: Int
  /// Fraction of samples the network classifies correctly.
  public var accuracy: Double
  /// The number of classes C.
  public var classes: Int

  /// The classifier's layer (L+2).
  public var last: Layer { layers[layers.count - 1] }

  /// Measures NC on the batches produced by `batches()` (inputs n₀×b with their labels), with
  /// forward passes at `precision`. Pass 2 reads the representations that pass 1 kept while
  /// they fit in `representationBudget` bytes; past it they are dropped and `batches()` is
  /// called a second time (it must then produce the same data). Reports `progress` as each pass
  /// begins and after every batch.
  public static func measure<N: MeasurableResidualNetwork>(
    network: N, covariance: LayerwiseNeuralCollapse.Covariance = .spanOfMeans,
    precision: Precision = .double, representationBudget: Int = 0,
    batches: () -> AnySequence<(inputs: Matrix<Double>, labels: [Int])>,
    progress: (Progress) -> Void = { _ in }
  ) throws(Failure) -> NeuralCollapseMeasurement {
    let classifier = (network.depth + 2, network.classifierWeights)
    switch precision {
    case .double:
      return try measure(
        classes: network.classCount, classifier: classifier, covariance: covariance,
        representationBudget: representationBudget, batches: batches,
        forward: { x, visit in network.forward(batch: x, visit: visit) }, progress: progress)
    case .single:
      let forward = network.singlePrecisionForward()
      return try measure(
        classes: network.classCount, classifier: classifier, covariance: covariance,
        representationBudget: representationBudget,
        batches: {
          AnySequence(
            batches().lazy.map { (inputs: $0.inputs.converted(to: Float.self), labels: $0.labels) })
        }, forward: forward, progress: progress)
    }
  }

  /// The same for any network: `forward(x, visit)` runs the batch x through it in evaluation
  /// mode (in Float32 or Float64), calls `visit(layer, H)` with the D×b representations of every
  /// measured layer (D may differ between layers), and returns the C×b logits. `classifier` (its
  /// layer and the C×D weights at that layer) adds NC3 and the classifier's NC2 there. The
  /// statistics are accumulated in Float64.
  public static func measure<Scalar: BLASScalar>(
    classes: Int, classifier: (layer: Int, weights: Matrix<Double>)?,
    covariance: LayerwiseNeuralCollapse.Covariance = .spanOfMeans, representationBudget: Int = 0,
    batches: () -> AnySequence<(inputs: Matrix<Scalar>, labels: [Int])>,
    forward: (Matrix<Scalar>, (Int, Matrix<Scalar>) -> Void) -> Matrix<Scalar>,
    progress: (Progress) -> Void = { _ in }
  ) throws(Failure) -> NeuralCollapseMeasurement {
    var nc = LayerwiseNeuralCollapse(classes: classes, covariance: covariance)
    var predictions = [Int]()
    var correct = 0
    // Pass 1's representations, per batch, while they fit in the budget.
    var kept: [(labels: [Int], layers: [(Int, Matrix<Scalar>)])]? = []
    var keptBytes = 0
    progress(Progress(pass: 1, samples: 0))
    for (x, labels) in batches() {
      var layers = [(Int, Matrix<Scalar>)]()
      let logits = forward(x) { layer, h in
        if let h = h as? Matrix<Float> {
          nc.addFirstPass(layer: layer, batch: h, labels: labels)
        } else {
          nc.addFirstPass(layer: layer, batch: widened(h), labels: labels)
        }
        guard kept != nil else { return }
        let (bytes, overflow) = keptBytes.addingReportingOverflow(
          h.rows * h.columns * MemoryLayout<Scalar>.stride)
        if overflow || bytes > representationBudget {
          kept = nil
          layers = []
        } else {
          keptBytes = bytes
          layers.append((layer, h))
        }
      }
      kept?.append((labels, layers))
      let predicted = predictionsOf(logits)
      correct += zip(predicted, labels).filter { $0 == $1 }.count
      predictions += predicted
      progress(Progress(pass: 1, samples: predictions.count))
    }
    guard !predictions.isEmpty else { throw .noSamples }
    let missing = nc.beginSecondPass()
    guard missing.isEmpty else { throw .classesWithoutSamples(missing) }
    var done = 0
    let fromMemory = kept != nil
    progress(Progress(pass: 2, samples: 0, fromMemory: fromMemory))
    func secondPass(_ layer: Int, _ h: Matrix<Scalar>, _ labels: [Int]) {
      let references = Array(predictions[done..<(done + labels.count)])
      nc.addSecondPass(layer: layer, batch: widened(h), labels: labels, references: references)
    }
    if var stored = kept {
      kept = nil
      for k in stored.indices {
        let (labels, layers) = stored[k]
        stored[k].layers = []  // freed as it is used
        for (layer, h) in layers { secondPass(layer, h, labels) }
        done += labels.count
        progress(Progress(pass: 2, samples: done, fromMemory: true))
      }
    } else {
      for (x, labels) in batches() {
        _ = forward(x) { layer, h in secondPass(layer, h, labels) }
        done += labels.count
        progress(Progress(pass: 2, samples: done))
      }
    }
    precondition(done == predictions.count, "the two passes saw different data")
    var layers = [Layer]()
    do {
      for k in nc.layers {
        let (metrics, nc4) = try nc.metrics(
          layer: k, classifier: k == classifier?.layer ? classifier?.weights : nil)
        layers.append(Layer(layer: k, metrics: metrics, nc4: nc4))
      }
    } catch {
      throw .lapack(error)
    }
    return NeuralCollapseMeasurement(
      layers: layers, samples: predictions.count,
      accuracy: Double(correct) / Double(predictions.count), classes: classes)
  }

  /// Representations in Float64 for the accumulators (no copy when they already are).
  private static func widened<Scalar: BLASScalar>(_ h: Matrix<Scalar>) -> Matrix<Double> {
    if let h = h as? Matrix<Double> { return h }
    guard let h = h as? Matrix<Float> else { return h.converted(to: Double.self) }
    let n = h.storage.count
    let wide = [Double](unsafeUninitializedCapacity: n) { out, count in
      h.storage.withUnsafeBufferPointer { source in
        for k in 0..<n { out.initializeElement(at: k, to: Double(source[k])) }
      }
      count = n
    }
    return Matrix(rows: h.rows, columns: h.columns, storage: wide)
  }

  /// The predicted class (argmax of the logits, the first on a tie) of each column.
  static func predictionsOf<Scalar: BLASScalar>(_ logits: Matrix<Scalar>) -> [Int] {
    (0..<logits.columns).map { j in
      var best = 0
      for c in 1..<max(1, logits.rows) where logits[c, j] > logits[best, j] { best = c }
      return best
    }
  }

  /// Bytes of the representations of `samples` examples at layers of sizes `dimensions` in
  /// `precision`: what pass 1 keeps for pass 2 when they fit in the representation budget.
  public static func representationBytes(
    samples: Int, dimensions: [Int], precision: Precision
  ) -> Int {
    let perSample = dimensions.reduce(0, +) * (precision == .single ? 4 : 8)
    let (bytes, overflow) = samples.multipliedReportingOverflow(by: perSample)
    return overflow ? .max : bytes
  }

  /// The smallest N such that the first N of `labels` hold every class in 0..<`classes`, or
  /// nil when some class never occurs.
  public static func examplesNeeded(labels: some Sequence<Int>, classes: Int) -> Int? {
    var seen = Set<Int>()
    var n = 0
    for label in labels {
      n += 1
      if label >= 0 && label < classes { seen.insert(label) }
      if seen.count == classes { return n }
    }
    return nil
  }
}
