// Goals, in order of priority: the fully-connected evaluation-mode forward pass in Float32 on
// sgemm (the checkpoint's own precision, as in training) for the streaming passes of Neural
// Collapse, which are dominated by the forward pass; the same formula as the Float64 pass.

import LinearAlgebra

/// `EvaluationNetwork` with every weight, BatchNorm scale and shift rounded to Float32 (exact for
/// the weights of a Float32 checkpoint; s and t are rounded once from their Float64 values):
///
///     h₁ = ReLU(s₀∘(W₀·x) + t₀),   h_{i+1} = h_i + c·W₂ᵢ·ReLU(s₂∘(W₁ᵢ·ReLU(s₁∘h_i + t₁)) + t₂)
///
/// Paper: section 2.1 (Type 1 and Type 4 models). Float32 rounding gives each representation a
/// relative error of order 1e-7 per layer, against Float64 arithmetic on the same weights.
struct SinglePrecisionEvaluationNetwork: Sendable {
  struct Branch: Sendable {
    var w1: Matrix<Float>, scale1: [Float], shift1: [Float]
    var w2: Matrix<Float>, scale2: [Float], shift2: [Float]
    var branchScale: Float
  }

  var stem: Matrix<Float>
  var stemScale: [Float], stemShift: [Float]
  var branches: [Branch]
  var skips: Bool
  var finalScale: [Float], finalShift: [Float]
  var classifier: Matrix<Float>
  var classifierBias: [Float]

  init(_ n: EvaluationNetwork) {
    func f(_ v: [Double]) -> [Float] { v.map(Float.init) }
    stem = n.stem.converted(to: Float.self)
    stemScale = f(n.stemScale)
    stemShift = f(n.stemShift)
    branches = n.branches.map {
      Branch(
        w1: $0.w1.converted(to: Float.self), scale1: f($0.scale1), shift1: f($0.shift1),
        w2: $0.w2.converted(to: Float.self), scale2: f($0.scale2), shift2: f($0.shift2),
        branchScale: Float($0.branchScale))
    }
    skips = n.skips
    finalScale = f(n.finalScale)
    finalShift = f(n.finalShift)
    classifier = n.classifier.converted(to: Float.self)
    classifierBias = f(n.classifierBias)
  }

  /// `EvaluationNetwork.forward(batch:visit:)` in Float32: visits h₁…h_{L+1} and the features
  /// (layer L+2), returns the C×b logits.
  func forward(batch x: Matrix<Float>, visit: (Int, Matrix<Float>) -> Void) -> Matrix<Float> {
    var h = stem * x
    Self.affineReLU(&h, scale: stemScale, shift: stemShift)
    visit(1, h)
    for (i, branch) in branches.enumerated() {
      let a = Self.affineReLU(h, scale: branch.scale1, shift: branch.shift1)
      var z = branch.w1 * a
      Self.affineReLU(&z, scale: branch.scale2, shift: branch.shift2)
      if skips {
        h.addProduct(branch.w2, z, scaledBy: branch.branchScale)
      } else {
        h = branch.w2 * z
        if branch.branchScale != 1 { h.scale(by: branch.branchScale) }
      }
      visit(i + 2, h)
    }
    let features = Self.affineReLU(h, scale: finalScale, shift: finalShift)
    visit(branches.count + 2, features)
    var logits = classifier * features
    let c = logits.rows
    logits.withUnsafeMutableBufferPointer { l in
      for j in 0..<features.columns {
        for k in 0..<c { l[j * c + k] += classifierBias[k] }
      }
    }
    return logits
  }

  /// ReLU(s∘H + t), row-wise, in a new matrix (one pass, no copy first).
  static func affineReLU(_ h: Matrix<Float>, scale: [Float], shift: [Float]) -> Matrix<Float> {
    let d = h.rows
    let n = h.storage.count
    let storage = [Float](unsafeUninitializedCapacity: n) { out, count in
      scale.withUnsafeBufferPointer { s in
        shift.withUnsafeBufferPointer { t in
          h.storage.withUnsafeBufferPointer { x in
            for j in 0..<h.columns {
              let base = j * d
              for i in 0..<d {
                out.initializeElement(at: base + i, to: max(s[i] * x[base + i] + t[i], 0))
              }
            }
          }
        }
      }
      count = n
    }
    return Matrix(rows: d, columns: h.columns, storage: storage)
  }

  /// H ← ReLU(s∘H + t), row-wise.
  static func affineReLU(_ h: inout Matrix<Float>, scale: [Float], shift: [Float]) {
    let d = h.rows
    let columns = h.columns
    scale.withUnsafeBufferPointer { s in
      shift.withUnsafeBufferPointer { t in
        h.withUnsafeMutableBufferPointer { p in
          for j in 0..<columns {
            let base = j * d
            for i in 0..<d { p[base + i] = max(s[i] * p[base + i] + t[i], 0) }
          }
        }
      }
    }
  }
}

extension EvaluationNetwork {
  /// The Float32 forward pass on sgemm (`SinglePrecisionEvaluationNetwork`), its weights rounded
  /// once here.
  public func singlePrecisionForward() -> SinglePrecisionForward {
    let single = SinglePrecisionEvaluationNetwork(self)
    return { x, visit in single.forward(batch: x, visit: visit) }
  }
}
