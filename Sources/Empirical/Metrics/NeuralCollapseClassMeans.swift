// Goals, in order of priority: the class means of Neural Collapse from batches of
// representations of any network (a D×b matrix and its labels); one GEMM per batch; memory
// O(D·C), so that it fits at convolutional widths (D = 16,384).

import LinearAlgebra

/// Class counts and class sums of features h ∈ ℝᴰ with labels in 0..<C: the first pass of
/// Neural Collapse, enough for the class means μ_c, the global mean μ_G, NC2 and NC3.
///
/// Paper: Figure 7, after Papyan, Han & Donoho (PNAS 2020): μ_c = (1/n_c)·Σ_{yᵢ = c} hᵢ. Each
/// batch H (D×b) adds H·E to the sums, E the b×C class indicator (one GEMM).
public struct NeuralCollapseClassMeans: Sendable, Equatable {
  /// C, the number of classes.
  public let classes: Int
  /// D, the feature dimension.
  public let dimension: Int
  /// Samples per class.
  public private(set) var counts: [Int]
  /// Σ over samples of class c of hᵢ, as the columns of a D×C matrix.
  public private(set) var classSums: Matrix<Double>

  public init(classes: Int, dimension: Int) {
    precondition(classes >= 2 && dimension >= 1, "need C ≥ 2 classes and D ≥ 1")
    self.classes = classes
    self.dimension = dimension
    counts = [Int](repeating: 0, count: classes)
    classSums = Matrix(rows: dimension, columns: classes)
  }

  /// N, the samples seen.
  public var sampleCount: Int { counts.reduce(0, +) }

  /// Whether every class has at least one sample (the means exist).
  public var everyClassSeen: Bool { counts.allSatisfy { $0 > 0 } }

  /// Adds the features in the columns of `batch` (D×b) with their labels.
  public mutating func add(batch: Matrix<Double>, labels: [Int]) {
    precondition(batch.rows == dimension && labels.count == batch.columns, "batch shape")
    if batch.columns == 0 { return }
    let e = Matrix.classIndicator(labels, classes: classes)
    classSums.addProduct(batch, e)
    for c in labels { counts[c] += 1 }
  }

  /// Adds Float32 features (D×b) with their labels, each summed in Float64: one pass over the
  /// batch, no widened copy, no GEMM (for the Float32 forward passes of Neural Collapse).
  public mutating func add(batch: Matrix<Float>, labels: [Int]) {
    precondition(batch.rows == dimension && labels.count == batch.columns, "batch shape")
    let d = dimension
    batch.withUnsafeBufferPointer { h in
      classSums.withUnsafeMutableBufferPointer { sums in
        for (j, c) in labels.enumerated() {
          let target = sums.baseAddress! + c * d
          let source = h.baseAddress! + j * d
          for i in 0..<d { target[i] += Double(source[i]) }
        }
      }
    }
    for c in labels { counts[c] += 1 }
  }

  /// The class means μ_c as the columns of a D×C matrix (requires every class seen).
  public var classMeans: Matrix<Double> {
    precondition(everyClassSeen, "every class needs at least one sample")
    var m = classSums
    for c in 0..<classes {
      let factor = 1 / Double(counts[c])
      for i in 0..<dimension { m[i, c] *= factor }
    }
    return m
  }
}
