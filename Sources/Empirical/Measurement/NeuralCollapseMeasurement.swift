// Goals, in order of priority: NC1–NC4 at the classifier and at every layer (layer-wise
// Neural Collapse, Figure 7), from one streaming pass for NC1–NC3 and a second for NC4 (which
// needs the class means); memory O(L·D²), never the whole feature set.

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
  /// closure is called twice (two passes) and must produce the same data both times.
  public static func measure(
    network: EvaluationNetwork,
    batches: () -> AnySequence<(inputs: Matrix<Double>, labels: [Int])>
  ) throws(LAPACKError) -> NeuralCollapseMeasurement {
    let c = network.classCount
    let d = network.width
    let layerCount = network.depth + 2
    var accumulators = [NeuralCollapseAccumulator](
      repeating: NeuralCollapseAccumulator(classes: c, dimension: d), count: layerCount)
    var correct = 0
    var samples = 0
    for (x, labels) in batches() {
      let logits = network.forward(batch: x) { layer, h in
        accumulators[layer - 1].add(batch: h, labels: labels)
      }
      let predicted = EvaluationNetwork.predictions(logits)
      correct += zip(predicted, labels).filter { $0 == $1 }.count
      samples += labels.count
    }
    precondition(samples > 0, "no samples")
    precondition(
      accumulators[0].counts.allSatisfy { $0 > 0 }, "every class needs at least one sample")
    var centres = accumulators.map { NearestClassCenterAgreement(means: $0.classMeans) }
    for (x, _) in batches() {
      // The predictions come last, so the batch's representations are kept until then.
      var representations = [Matrix<Double>]()
      let logits = network.forward(batch: x) { _, h in representations.append(h) }
      let predicted = EvaluationNetwork.predictions(logits)
      for (k, h) in representations.enumerated() {
        centres[k].add(batch: h, references: predicted)
      }
    }
    var layers = [Layer]()
    for k in 0..<layerCount {
      let classifier = k == layerCount - 1 ? network.classifier : nil
      layers.append(
        Layer(
          layer: k + 1, metrics: try accumulators[k].metrics(classifier: classifier),
          nc4: centres[k].mismatchFraction))
    }
    return NeuralCollapseMeasurement(
      layers: layers, samples: samples, accuracy: Double(correct) / Double(samples),
      classes: c)
  }
}
