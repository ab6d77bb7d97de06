import LinearAlgebra

extension ResidualBranch {
  /// The branch of `block` in evaluation mode, every Float32 weight and statistic widened to
  /// Float64 before any arithmetic; `dropPath` p gives the branch scale 1 − p.
  public init(_ block: ResidualBlock<Float>, dropPath: Double = 0) {
    let (s1, t1) = Self.evaluationAffine(block.bn1)
    let (s2, t2) = Self.evaluationAffine(block.bn2)
    self.init(
      w1: block.fc1.converted(to: Double.self), scale1: s1, shift1: t1,
      w2: block.fc2.converted(to: Double.self), scale2: s2, shift2: t2,
      branchScale: 1 - dropPath)
  }

  /// s = γ/√(v + ε), t = β − m∘s in Float64 (ε = 1e-5, as PyTorch's BatchNorm1d).
  static func evaluationAffine(_ bn: BatchNorm<Float>) -> (scale: [Double], shift: [Double]) {
    var scale = [Double](repeating: 0, count: bn.features)
    var shift = [Double](repeating: 0, count: bn.features)
    for k in 0..<bn.features {
      scale[k] = Double(bn.weight[k]) / (Double(bn.runningVariance[k]) + 1e-5).squareRoot()
      shift[k] = Double(bn.bias[k]) - Double(bn.runningMean[k]) * scale[k]
    }
    return (scale, shift)
  }
}

extension EvaluationNetwork {
  /// The evaluation-mode network of a trained (Float32) `ResidualNetwork`, in Float64.
  public init(_ model: ResidualNetwork<Float>) {
    let (s0, t0) = ResidualBranch.evaluationAffine(model.bn0)
    let (sf, tf) = ResidualBranch.evaluationAffine(model.bnf)
    self.init(
      stem: model.fc0.converted(to: Double.self), stemScale: s0, stemShift: t0,
      branches: model.blocks.map { ResidualBranch($0, dropPath: model.dropPath) },
      skips: model.skips, finalScale: sf, finalShift: tf,
      classifier: model.cls.converted(to: Double.self),
      classifierBias: model.clsBias.map(Double.init))
  }
}
