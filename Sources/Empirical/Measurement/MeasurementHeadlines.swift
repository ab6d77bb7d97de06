/// The headline numbers of a `ujm measure --json` report, decoded as typed values (a sweep reads
/// them back from its runs): RA1–RA4 medians over the inputs, RA4's fit, and Neural Collapse at
/// the classifier's input. Every field the report may write as null (a non-finite number, a fit
/// that could not be made, NC skipped) is optional. `MeasurementHeadlines.table` is the one list
/// of the headline names and where each sits.
public struct MeasurementHeadlines: Decodable, Sendable, Equatable {
  /// `{median, min, max}` over the inputs; only the median is a headline.
  public struct Spread: Decodable, Sendable, Equatable {
    public var median: Double?
  }
  public struct RA1: Decodable, Sendable, Equatable {
    public var pc1VarianceFraction: Spread?
    public var stepCos: Spread?
    enum CodingKeys: String, CodingKey {
      case pc1VarianceFraction = "pc1_variance_fraction"
      case stepCos = "step_cos"
    }
  }
  public struct RA2: Decodable, Sendable, Equatable {
    public var diagFraction: Spread?
    public var transposedDiagFraction: Spread?
    public var randomBaseline: Spread?
    enum CodingKeys: String, CodingKey {
      case diagFraction = "diag_fraction"
      case transposedDiagFraction = "transposed_diag_fraction"
      case randomBaseline = "random_baseline"
    }
  }
  public struct RA3: Decodable, Sendable, Equatable {
    public var gap: Spread?
    public var numericalRank: Spread?
    enum CodingKeys: String, CodingKey {
      case gap
      case numericalRank = "numerical_rank"
    }
  }
  public struct RA4: Decodable, Sendable, Equatable {
    public var slope: Double?
    public var r2: Double?
    public var deadBlocks: [Int]?
    enum CodingKeys: String, CodingKey {
      case slope, r2
      case deadBlocks = "dead_blocks"
    }
  }
  public struct ClassifierCollapse: Decodable, Sendable, Equatable {
    public var nc1: Double?
    public var nc2Means: Double?
    public var nc2Classifier: Double?
    public var nc3: Double?
    public var nc4: Double?
    enum CodingKeys: String, CodingKey {
      case nc1, nc3, nc4
      case nc2Means = "nc2_means"
      case nc2Classifier = "nc2_classifier"
    }
  }
  public struct Collapse: Decodable, Sendable, Equatable {
    public var trainAccuracy: Double?
    public var classifier: ClassifierCollapse?
    enum CodingKeys: String, CodingKey {
      case classifier
      case trainAccuracy = "train_accuracy"
    }
  }

  public var ra1: RA1?
  public var ra2: RA2?
  public var ra3: RA3?
  public var ra4: RA4?
  public var nc: Collapse?

  /// The headline names, in the order tables show them, with how each is read from a report.
  public static let table: [(name: String, value: @Sendable (MeasurementHeadlines) -> Double?)] = [
    ("ra1_pc1_variance_fraction", { $0.ra1?.pc1VarianceFraction?.median }),
    ("ra1_step_cos", { $0.ra1?.stepCos?.median }),
    ("ra2_diag_fraction", { $0.ra2?.diagFraction?.median }),
    ("ra2_transposed_diag_fraction", { $0.ra2?.transposedDiagFraction?.median }),
    ("ra2_random_baseline", { $0.ra2?.randomBaseline?.median }),
    ("ra3_gap", { $0.ra3?.gap?.median }),
    ("ra3_numerical_rank", { $0.ra3?.numericalRank?.median }),
    ("ra4_slope", { $0.ra4?.slope }),
    ("ra4_r2", { $0.ra4?.r2 }),
    ("ra4_dead_blocks", { $0.ra4?.deadBlocks.map { Double($0.count) } }),
    ("nc_train_accuracy", { $0.nc?.trainAccuracy }),
    ("nc1", { $0.nc?.classifier?.nc1 }),
    ("nc2_means", { $0.nc?.classifier?.nc2Means }),
    ("nc2_classifier", { $0.nc?.classifier?.nc2Classifier }),
    ("nc3", { $0.nc?.classifier?.nc3 }),
    ("nc4", { $0.nc?.classifier?.nc4 }),
  ]

  /// Every headline the report holds, by name.
  public var values: [String: Double] {
    var out = [String: Double]()
    for (name, value) in Self.table {
      if let x = value(self) { out[name] = x }
    }
    return out
  }
}
