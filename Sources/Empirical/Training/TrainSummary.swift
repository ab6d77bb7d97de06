/// What a training run reports when it ends (`ujm train --json`, a sweep run's `train.json`).
public struct TrainSummary: Codable, Sendable, Equatable {
  public var type: String
  public var epochs: Int
  public var steps: Int
  public var seconds: Double
  public var samplesPerSecond: Double
  public var testAccuracy: Double
  public var testLoss: Double
  public var checkpoint: String
  public var weightDecayScope: String
  /// Hyper-parameters changed on purpose at a resume (`--allow-change`), as "name old → new".
  public var changedHyperparameters: [String]

  public init(
    type: String, epochs: Int, steps: Int, seconds: Double, samplesPerSecond: Double,
    testAccuracy: Double, testLoss: Double, checkpoint: String, weightDecayScope: String,
    changedHyperparameters: [String]
  ) {
    self.type = type
    self.epochs = epochs
    self.steps = steps
    self.seconds = seconds
    self.samplesPerSecond = samplesPerSecond
    self.testAccuracy = testAccuracy
    self.testLoss = testLoss
    self.checkpoint = checkpoint
    self.weightDecayScope = weightDecayScope
    self.changedHyperparameters = changedHyperparameters
  }

  enum CodingKeys: String, CodingKey {
    case type, epochs, steps, seconds, checkpoint
    case weightDecayScope = "weight_decay_scope"
    case changedHyperparameters = "changed_hyperparameters"
    case samplesPerSecond = "samples_per_second"
    case testAccuracy = "test_accuracy"
    case testLoss = "test_loss"
  }

  /// Decodes non-finite numbers, which the report writes as null, as NaN.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func number(_ key: CodingKeys) throws -> Double {
      try c.decodeIfPresent(Double.self, forKey: key) ?? .nan
    }
    type = try c.decode(String.self, forKey: .type)
    epochs = try c.decode(Int.self, forKey: .epochs)
    steps = try c.decode(Int.self, forKey: .steps)
    seconds = try number(.seconds)
    samplesPerSecond = try number(.samplesPerSecond)
    testAccuracy = try number(.testAccuracy)
    testLoss = try number(.testLoss)
    checkpoint = try c.decode(String.self, forKey: .checkpoint)
    weightDecayScope = try c.decode(String.self, forKey: .weightDecayScope)
    changedHyperparameters = try c.decode([String].self, forKey: .changedHyperparameters)
  }
}
