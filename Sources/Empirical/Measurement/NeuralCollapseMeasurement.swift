// Goals, in order of priority: NC1–NC4 at the classifier and at every layer (layer-wise
// Neural Collapse, Figure 7) from two streaming passes (class means, then Σ_W on their span and
// NC4), memory O(L·D·C), never the whole feature set nor a D×D matrix; progress after every
// batch for the caller to show.

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

  /// Measures NC on the batches produced by `batches()` (inputs n₀×b with their labels); the
  /// closure is called twice (two passes) and must produce the same data both times. Reports
  /// `progress` as each pass begins and after every batch.
  public static func measure(
    network: EvaluationNetwork, covariance: LayerwiseNeuralCollapse.Covariance = .spanOfMeans,
    batches: () -> AnySequence<(inputs: Matrix<Double>, labels: [Int])>,
    progress: (Progress) -> Void = { _ in }
  ) throws(Failure) -> NeuralCollapseMeasurement {
    try measure(
      classes: network.classCount, classifier: (network.depth + 2, network.classifier),
      covariance: covariance, batches: batches,
      forward: { x, visit in network.forward(batch: x, visit: visit) }, progress: progress)
  }

  /// The same for any network: `forward(x, visit)` runs the batch x through it in evaluation
  /// mode, calls `visit(layer, H)` with the D×b representations of every measured layer (D may
  /// differ between layers), and returns the C×b logits. `classifier` (its layer and the C×D
  /// weights at that layer) adds NC3 and the classifier's NC2 there.
  public static func measure(
    classes: Int, classifier: (layer: Int, weights: Matrix<Double>)?,
    covariance: LayerwiseNeuralCollapse.Covariance = .spanOfMeans,
    batches: () -> AnySequence<(inputs: Matrix<Double>, labels: [Int])>,
    forward: (Matrix<Double>, (Int, Matrix<Double>) -> Void) -> Matrix<Double>,
    progress: (Progress) -> Void = { _ in }
  ) throws(Failure) -> NeuralCollapseMeasurement {
    var nc = LayerwiseNeuralCollapse(classes: classes, covariance: covariance)
    var predictions = [Int]()
    var correct = 0
    progress(Progress(pass: 1, samples: 0))
    for (x, labels) in batches() {
      let logits = forward(x) { layer, h in
        nc.addFirstPass(layer: layer, batch: h, labels: labels)
      }
      let predicted = EvaluationNetwork.predictions(logits)
      correct += zip(predicted, labels).filter { $0 == $1 }.count
      predictions += predicted
      progress(Progress(pass: 1, samples: predictions.count))
    }
    guard !predictions.isEmpty else { throw .noSamples }
    let missing = nc.beginSecondPass()
    guard missing.isEmpty else { throw .classesWithoutSamples(missing) }
    var done = 0
    progress(Progress(pass: 2, samples: 0))
    for (x, labels) in batches() {
      let references = Array(predictions[done..<(done + labels.count)])
      _ = forward(x) { layer, h in
        nc.addSecondPass(layer: layer, batch: h, labels: labels, references: references)
      }
      done += labels.count
      progress(Progress(pass: 2, samples: done))
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
