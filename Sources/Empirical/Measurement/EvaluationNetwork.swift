// Goals, in order of priority: the forward pass of a fully-connected residual network in
// evaluation mode, in Float64, exactly as the measurements need it (the trajectory h₁…h_{L+1}
// of an input, the features of every layer for Neural Collapse, the predictions); batched on
// gemm for the streaming pass over a training set.

import LinearAlgebra

/// A fully-connected pre-activation ResNet in evaluation mode, in Float64:
///
///     h₁ = ReLU(s₀∘(W₀·x) + t₀)
///     h_{i+1} = h_i + F_i(h_i)   (F_i(h_i) without skip connections),   i = 1…L
///     features = ReLU(s_f∘h_{L+1} + t_f),   logits = W_c·features + b_c
///
/// Paper: section 2.1 (Type 1 and Type 4 models); BatchNorm in evaluation mode is the affine
/// map s∘x + t (see `ResidualBranch`). The trajectory h₁…h_{L+1} is what Figure 1 draws and RA1
/// measures.
public struct EvaluationNetwork: Sendable, Equatable {
  /// W₀ (D×n₀).
  public var stem: Matrix<Double>
  /// s₀, t₀.
  public var stemScale: [Double]
  public var stemShift: [Double]
  /// F₁…F_L.
  public var branches: [ResidualBranch]
  /// Whether h_{i+1} = h_i + F_i(h_i).
  public var skips: Bool
  /// s_f, t_f (BatchNorm before the classifier).
  public var finalScale: [Double]
  public var finalShift: [Double]
  /// W_c (C×D).
  public var classifier: Matrix<Double>
  /// b_c.
  public var classifierBias: [Double]

  public init(
    stem: Matrix<Double>, stemScale: [Double], stemShift: [Double], branches: [ResidualBranch],
    skips: Bool, finalScale: [Double], finalShift: [Double], classifier: Matrix<Double>,
    classifierBias: [Double]
  ) {
    let d = stem.rows
    precondition(
      stemScale.count == d && stemShift.count == d && finalScale.count == d
        && finalShift.count == d && classifier.columns == d
        && classifierBias.count == classifier.rows
        && branches.allSatisfy { $0.dimension == d }, "network shapes do not match")
    self.stem = stem
    self.stemScale = stemScale
    self.stemShift = stemShift
    self.branches = branches
    self.skips = skips
    self.finalScale = finalScale
    self.finalShift = finalShift
    self.classifier = classifier
    self.classifierBias = classifierBias
  }

  /// D.
  public var width: Int { stem.rows }
  /// L.
  public var depth: Int { branches.count }
  /// C.
  public var classCount: Int { classifier.rows }
  /// n₀.
  public var inputSize: Int { stem.columns }

  /// h₁, …, h_{L+1} for one input x.
  public func trajectory(_ x: [Double]) -> [[Double]] {
    var points = [[Double]]()
    forward(batch: Matrix(rows: x.count, columns: 1, storage: x)) { layer, h in
      if layer <= depth + 1 { points.append(h.storage) }
    }
    return points
  }

  /// Runs a batch (the columns of `x`, n₀×b) through the network, calling `visit(i, H_i)` with
  /// the D×b representations h_i for i = 1…L+1 and then `visit(L + 2, features)`; returns the
  /// C×b logits.
  @discardableResult
  public func forward(batch x: Matrix<Double>, visit: (Int, Matrix<Double>) -> Void = { _, _ in })
    -> Matrix<Double>
  {
    precondition(x.rows == inputSize, "inputs have \(x.rows) entries, expected \(inputSize)")
    var h = stem * x
    Self.affineReLU(&h, scale: stemScale, shift: stemShift)
    visit(1, h)
    for (i, branch) in branches.enumerated() {
      let f = branch.apply(batch: h)
      if skips { h.add(f) } else { h = f }
      visit(i + 2, h)
    }
    var features = h
    Self.affineReLU(&features, scale: finalScale, shift: finalShift)
    visit(depth + 2, features)
    var logits = classifier * features
    for j in 0..<logits.columns {
      for c in 0..<logits.rows { logits[c, j] += classifierBias[c] }
    }
    return logits
  }

  /// The predicted class (argmax of the logits) of each column.
  public static func predictions(_ logits: Matrix<Double>) -> [Int] {
    (0..<logits.columns).map { j in
      var best = 0
      for c in 1..<max(1, logits.rows) where logits[c, j] > logits[best, j] { best = c }
      return best
    }
  }

  /// H ← ReLU(s∘H + t), row-wise.
  static func affineReLU(_ h: inout Matrix<Double>, scale: [Double], shift: [Double]) {
    let d = h.rows
    for j in 0..<h.columns {
      let base = j * d
      for i in 0..<d {
        h.mutableStorage[base + i] = max(scale[i] * h.storage[base + i] + shift[i], 0)
      }
    }
  }
}

extension ResidualBranch {
  /// F applied to every column of the D×b matrix `h`.
  public func apply(batch h: Matrix<Double>) -> Matrix<Double> {
    var a = h
    EvaluationNetwork.affineReLU(&a, scale: scale1, shift: shift1)
    var z = w1 * a
    EvaluationNetwork.affineReLU(&z, scale: scale2, shift: shift2)
    var f = w2 * z
    if branchScale != 1 { f.scale(by: branchScale) }
    return f
  }
}
