import Empirical

/// The JSON form of `MeasureReport`, written by the one encoder (`jsonLine`: sorted keys,
/// non-finite numbers as null). Absent values the schema keeps are written as explicit nulls:
/// the RA4 fit with fewer than 2 live blocks, `ci95` (with `ci95_note`) below 5 inputs, `onset`,
/// `from_onset`, `nc` when skipped, and the stages that did not run. Only the classifier's layer
/// has `nc2_classifier`, `classifier_norm_cv` and `nc3`.
struct MeasureJSON: Encodable {
  struct StageSeconds: Encodable {
    var load: Double
    var residualAlignment: Double
    var neuralCollapse: Double?
    var figures: Double?

    enum CodingKeys: String, CodingKey {
      case load, figures
      case residualAlignment = "residual_alignment"
      case neuralCollapse = "neural_collapse"
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(load, forKey: .load)
      try c.encode(residualAlignment, forKey: .residualAlignment)
      try c.encode(neuralCollapse, forKey: .neuralCollapse)
      try c.encode(figures, forKey: .figures)
    }
  }

  struct Block: Encodable {
    var index: Int
    var topSingularValues: [Double]
    var sigma1PerInput: [Double]
    var dead: Bool

    enum CodingKeys: String, CodingKey {
      case index, dead
      case topSingularValues = "top_singular_values"
      case sigma1PerInput = "sigma1_per_input"
    }
  }

  struct RA1: Encodable {
    var pc1VarianceFraction: Spread
    var stepCV: Spread
    var stepCos: Spread

    enum CodingKeys: String, CodingKey {
      case pc1VarianceFraction = "pc1_variance_fraction"
      case stepCV = "step_cv"
      case stepCos = "step_cos"
    }
  }

  struct RA2: Encodable {
    var rank: Int
    var diagFraction: Spread
    var transposedDiagFraction: Spread
    var randomBaseline: Spread
    var leftSubspaceCosine: Spread
    var rightSubspaceCosine: Spread

    enum CodingKeys: String, CodingKey {
      case rank
      case diagFraction = "diag_fraction"
      case transposedDiagFraction = "transposed_diag_fraction"
      case randomBaseline = "random_baseline"
      case leftSubspaceCosine = "left_subspace_cosine"
      case rightSubspaceCosine = "right_subspace_cosine"
    }
  }

  struct RA3: Encodable {
    var classes: Int
    var threshold: Double
    var gap: Spread
    var numericalRank: Spread
    var gapPerBlock: [Spread]
    var numericalRankPerBlock: [Spread]

    enum CodingKeys: String, CodingKey {
      case classes, threshold, gap
      case numericalRank = "numerical_rank"
      case gapPerBlock = "gap_per_block"
      case numericalRankPerBlock = "numerical_rank_per_block"
    }
  }

  /// A line fit of RA4.
  struct Fit: Encodable {
    var slope: Double
    var intercept: Double
    var r2: Double
    var firstBlock: Int
    var lastBlock: Int

    init(_ f: InverseDepthScaling.Fit) {
      (slope, intercept, r2, firstBlock, lastBlock) =
        (f.slope, f.intercept, f.r2, f.firstBlock, f.lastBlock)
    }

    enum CodingKeys: String, CodingKey {
      case slope, intercept, r2
      case firstBlock = "first_block"
      case lastBlock = "last_block"
    }
  }

  struct RA4: Encodable {
    var fit: Fit?
    var ci95: [Double]?
    var ci95Note: String?
    var onset: Int?
    var fromOnset: Fit?
    var bootstrapResamples: Int
    var liveBlocks: [Int]
    var deadBlocks: [Int]
    var deadThreshold: Double
    var deadRelativeThreshold: Double
    var deadJacobians: Int

    enum CodingKeys: String, CodingKey {
      case slope, intercept, r2, onset, ci95
      case firstBlock = "first_block"
      case lastBlock = "last_block"
      case ci95Note = "ci95_note"
      case fromOnset = "from_onset"
      case bootstrapResamples = "bootstrap_resamples"
      case liveBlocks = "live_blocks"
      case deadBlocks = "dead_blocks"
      case deadThreshold = "dead_threshold"
      case deadRelativeThreshold = "dead_relative_threshold"
      case deadJacobians = "dead_jacobians"
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(fit?.slope, forKey: .slope)
      try c.encode(fit?.intercept, forKey: .intercept)
      try c.encode(fit?.r2, forKey: .r2)
      try c.encode(fit?.firstBlock, forKey: .firstBlock)
      try c.encode(fit?.lastBlock, forKey: .lastBlock)
      try c.encode(ci95, forKey: .ci95)
      try c.encode(ci95Note, forKey: .ci95Note)
      try c.encode(onset, forKey: .onset)
      try c.encode(fromOnset, forKey: .fromOnset)
      try c.encode(bootstrapResamples, forKey: .bootstrapResamples)
      try c.encode(liveBlocks, forKey: .liveBlocks)
      try c.encode(deadBlocks, forKey: .deadBlocks)
      try c.encode(deadThreshold, forKey: .deadThreshold)
      try c.encode(deadRelativeThreshold, forKey: .deadRelativeThreshold)
      try c.encode(deadJacobians, forKey: .deadJacobians)
    }
  }

  struct SVD: Encodable {
    var method = "Algorithm 971"
    var powerIterations = RandomizedSVD.defaultPowerIterations
    var oversampling = RandomizedSVD.defaultOversampling
    var tripletsPerJacobian: Int
    var largestTripletResidual: Double
    var largestTopKTripletResidual: Double

    enum CodingKeys: String, CodingKey {
      case method, oversampling
      case powerIterations = "power_iterations"
      case tripletsPerJacobian = "triplets_per_jacobian"
      case largestTripletResidual = "largest_triplet_residual"
      case largestTopKTripletResidual = "largest_top_k_triplet_residual"
    }
  }

  /// NC at one layer: the classifier's metrics only where there is a classifier.
  struct NCLayer: Encodable {
    var layer: Int
    var nc1: Double
    var nc2Means: Double
    var meansNormCV: Double
    var nc4: Double
    var nc2Classifier: Double?
    var classifierNormCV: Double?
    var nc3: Double?

    init(_ l: NeuralCollapseMeasurement.Layer) {
      (layer, nc1, nc2Means, meansNormCV, nc4) =
        (l.layer, l.metrics.nc1, l.metrics.nc2Means, l.metrics.meansNormCV, l.nc4)
      (nc2Classifier, classifierNormCV, nc3) =
        (l.metrics.nc2Classifier, l.metrics.classifierNormCV, l.metrics.nc3)
    }

    enum CodingKeys: String, CodingKey {
      case layer, nc1, nc4, nc3
      case nc2Means = "nc2_means"
      case meansNormCV = "means_norm_cv"
      case nc2Classifier = "nc2_classifier"
      case classifierNormCV = "classifier_norm_cv"
    }
  }

  struct NC: Encodable {
    var samples: Int
    var trainAccuracy: Double
    var classifier: NCLayer
    var layers: [NCLayer]

    enum CodingKeys: String, CodingKey {
      case samples, classifier, layers
      case trainAccuracy = "train_accuracy"
    }
  }

  var checkpoint: String
  var seed: UInt64
  var inputs: [Int]
  var seconds: Double
  var stageSeconds: StageSeconds
  var blocks: [Block]
  var ra1: RA1
  var ra2: RA2
  var ra3: RA3
  var ra4: RA4
  var svd: SVD
  var nc: NC?

  enum CodingKeys: String, CodingKey {
    case checkpoint, seed, inputs, seconds, blocks, ra1, ra2, ra3, ra4, svd, nc
    case stageSeconds = "stage_seconds"
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(checkpoint, forKey: .checkpoint)
    try c.encode(seed, forKey: .seed)
    try c.encode(inputs, forKey: .inputs)
    try c.encode(seconds, forKey: .seconds)
    try c.encode(stageSeconds, forKey: .stageSeconds)
    try c.encode(blocks, forKey: .blocks)
    try c.encode(ra1, forKey: .ra1)
    try c.encode(ra2, forKey: .ra2)
    try c.encode(ra3, forKey: .ra3)
    try c.encode(ra4, forKey: .ra4)
    try c.encode(svd, forKey: .svd)
    try c.encode(nc, forKey: .nc)
  }

  init(_ r: MeasureReport) {
    let m = r.measurement
    (checkpoint, seed, inputs, seconds) = (r.checkpoint, r.seed, r.inputs, r.seconds)
    let st = r.stageSeconds
    stageSeconds = StageSeconds(
      load: st.load, residualAlignment: st.residualAlignment, neuralCollapse: st.neuralCollapse,
      figures: st.figures)
    blocks = m.blocks.map {
      Block(
        index: $0.index, topSingularValues: $0.topSingularValues,
        sigma1PerInput: $0.sigma1PerInput, dead: $0.dead)
    }
    ra1 = RA1(
      pc1VarianceFraction: m.ra1.pc1VarianceFraction, stepCV: m.ra1.stepCV,
      stepCos: m.ra1.stepCos)
    ra2 = RA2(
      rank: m.ra2.rank, diagFraction: m.ra2.diagFraction,
      transposedDiagFraction: m.ra2.transposedDiagFraction,
      randomBaseline: m.ra2.randomBaseline, leftSubspaceCosine: m.ra2.leftSubspaceCosine,
      rightSubspaceCosine: m.ra2.rightSubspaceCosine)
    ra3 = RA3(
      classes: m.ra3.classes, threshold: m.ra3.threshold, gap: m.ra3.gap,
      numericalRank: m.ra3.numericalRank, gapPerBlock: m.blocks.map(\.gap),
      numericalRankPerBlock: m.blocks.map(\.numericalRank))
    ra4 = RA4(
      fit: m.ra4.all.map(Fit.init), ci95: r.ci95,
      ci95Note: r.ci95 == nil && m.ra4.all != nil ? r.noCIReason : nil, onset: m.ra4.onset,
      fromOnset: m.ra4.fromOnset.map(Fit.init), bootstrapResamples: m.ra4.resamples,
      liveBlocks: m.ra4.liveBlocks, deadBlocks: m.ra4.deadBlocks,
      deadThreshold: m.ra4.deadThreshold,
      deadRelativeThreshold: InverseDepthScaling.deadRelativeThreshold,
      deadJacobians: m.ra4.deadJacobians)
    svd = SVD(
      tripletsPerJacobian: m.tripletsPerJacobian,
      largestTripletResidual: m.largestTripletResidual,
      largestTopKTripletResidual: m.largestTopKTripletResidual)
    nc = r.neuralCollapse.map {
      NC(
        samples: $0.samples, trainAccuracy: $0.accuracy, classifier: NCLayer($0.last),
        layers: $0.layers.map(NCLayer.init))
    }
  }
}
