import LinearAlgebra

extension ResidualBranch {
  /// The branch of `block` in evaluation mode, every Float32 weight and statistic widened to
  /// Float64 before any arithmetic; `dropPath` p gives the branch scale 1 − p.
  public init(_ block: ResidualBlock<Float>, dropPath: Double = 0) {
    let (s1, t1) = evaluationAffine(block.bn1)
    let (s2, t2) = evaluationAffine(block.bn2)
    self.init(
      w1: block.fc1.converted(to: Double.self), scale1: s1, shift1: t1,
      w2: block.fc2.converted(to: Double.self), scale2: s2, shift2: t2,
      branchScale: 1 - dropPath)
  }
}

extension EvaluationNetwork {
  /// The evaluation-mode network of a trained (Float32) `ResidualNetwork`, in Float64.
  public init(_ model: ResidualNetwork<Float>) {
    let (s0, t0) = evaluationAffine(model.bn0)
    let (sf, tf) = evaluationAffine(model.bnf)
    self.init(
      stem: model.fc0.converted(to: Double.self), stemScale: s0, stemShift: t0,
      branches: model.blocks.map { ResidualBranch($0, dropPath: model.dropPath) },
      skips: model.skips, finalScale: sf, finalShift: tf,
      classifier: model.cls.converted(to: Double.self),
      classifierBias: model.clsBias.map(Double.init))
  }
}

extension EvaluationNetwork: MeasurableResidualNetwork {
  public func representationSize(at layer: Int) -> Int { width }
  public var classifierWeights: Matrix<Double> { classifier }

  /// J_i at h_i in closed form (`ResidualBranch.jacobian(at:)`).
  public func residualJacobian(block: Int, at h: [Double]) -> ResidualJacobian {
    branches[block].jacobian(at: h)
  }

  /// The fully-connected fast path: the SVD of the Jacobian's nonzero columns only
  /// (`ResidualJacobian.topSingularTriplets`), dense when that is cheaper.
  public func topSingularTriplets<G: RandomNumberGenerator>(
    of jacobian: ResidualJacobian, rank: Int, powerIterations: Int, using generator: inout G
  ) throws(LAPACKError) -> RandomizedSVDResult<Double> {
    try jacobian.topSingularTriplets(
      rank: rank, powerIterations: powerIterations, errorEstimateIterations: 0,
      using: &generator)
  }
}
