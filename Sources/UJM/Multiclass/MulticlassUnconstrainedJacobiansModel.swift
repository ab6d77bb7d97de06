// Goals, in order of priority: the exact gradient of the multi-class objective; one generic code
// path for values, gradients and (over `Dual`) exact Hessian-vector products, so the three cannot
// drift apart; O(L·D²·N) work per evaluation, which is all the model needs at the sizes of the
// atlas (D ≤ 64, N ≤ 50). The solvers call the `Double` evaluation of
// MulticlassUnconstrainedJacobiansModel+Gradient.swift (the same formulas as matrix products,
// `dgemm`), which a test holds to this generic path at 1e-13.

import LinearAlgebra

/// The multi-class, multi-example Unconstrained Jacobians Model: Definition 3.2 of Li & Papyan
/// (2023) with N inputs, C classes and the Jacobians shared by all inputs.
///
/// Given inputs Δx₁…Δx_N ∈ ℝᴰ with labels yₙ ∈ {0…C−1}, minimise over J₁…J_L ∈ ℝᴰˣᴰ and
/// W ∈ ℝᶜˣᴰ (no bias)
///
///     F(J₁…J_L, W) = (1/N)·Σₙ CE(W·(I+J_L)⋯(I+J₁)Δxₙ, yₙ) + λ/2·Σᵢ‖Jᵢ‖²_F + λ/2·‖W‖²_F,
///
/// with CE(z, y) = log Σ_k e^{z_k} − z_y. Variables are stored flat: J₁ … J_L column-major (D²
/// each), then W column-major (C·D): L·D² + C·D entries.
///
/// Gradient (reverse mode): A₀ = X = [Δx₁…Δx_N], Aᵢ = (I+Jᵢ)Aᵢ₋₁, Z = W·A_L,
/// G = (softmax(Z) − Y)/N (column n is the gradient of the n-th loss term), B_L = WᵀG,
/// Bᵢ₋₁ = (I+Jᵢ)ᵀBᵢ; then ∂F/∂Jᵢ = BᵢAᵢ₋₁ᵀ + λJᵢ and ∂F/∂W = G·A_Lᵀ + λW.
///
/// Every column of G sums to zero (softmax sums to one, so does a one-hot vector): 1ᵀG = 0. At a
/// stationary point λW = −G·A_Lᵀ, so 1ᵀW = 0; and λJᵢ = −(I+J_{i+1})ᵀ⋯(I+J_L)ᵀ·WᵀG·Aᵢ₋₁ᵀ, whose
/// rank is at most rank G ≤ C − 1. `ujm verify --theorem multiclass` checks these two steps in
/// exact arithmetic.
///
/// At C = 2, N = 1 the model is Definition 3.2 with a rescaled classifier decay: with
/// w = W₁ − W₀ (the logit difference) and W₀ + W₁ = 0 at every stationary point, ‖W‖²_F = ‖w‖²/2,
/// so F = ℓ(wᵀ(I+J_L)⋯(I+J₁)Δx, y) + λ/2·Σᵢ‖Jᵢ‖² + (λ/2)/2·‖w‖² with y = +1 for class 1 and −1 for
/// class 0 (`binaryCorrespondence`).
public struct MulticlassUnconstrainedJacobiansModel: SecondOrderObjective, Sendable, Equatable {
  /// The inputs, D×N, one column per example.
  public let inputs: Matrix<Double>
  /// The label of each input, in 0..<classes.
  public let labels: [Int]
  /// The number of classes C ≥ 2.
  public let classes: Int
  /// The weight decay λ > 0.
  public let lambda: Double
  /// The number of residual blocks L ≥ 1.
  public let depth: Int

  public init(inputs: Matrix<Double>, labels: [Int], classes: Int, lambda: Double, depth: Int) {
    precondition(classes >= 2, "at least two classes")
    precondition(inputs.columns == labels.count && !labels.isEmpty, "one label per input")
    precondition(labels.allSatisfy { (0..<classes).contains($0) }, "labels must be in 0..<C")
    precondition(lambda > 0 && lambda.isFinite, "λ must be positive and finite")
    precondition(depth >= 1 && inputs.rows >= 1, "depth and D must be at least 1")
    self.inputs = inputs
    self.labels = labels
    self.classes = classes
    self.lambda = lambda
    self.depth = depth
  }

  /// The width D.
  public var dimension: Int { inputs.rows }
  /// The number of examples N.
  public var examples: Int { inputs.columns }
  /// L·D² + C·D.
  public var parameterCount: Int { depth * dimension * dimension + classes * dimension }

  /// The flat parameter vector of (J₁…J_L, W).
  public func flatten(_ point: MulticlassPoint) -> [Double] {
    precondition(point.jacobians.count == depth, "shape mismatch")
    precondition(point.classifier.rows == classes && point.classifier.columns == dimension)
    var x = [Double]()
    x.reserveCapacity(parameterCount)
    for j in point.jacobians {
      precondition(j.rows == dimension && j.columns == dimension, "Jacobian shape mismatch")
      x.append(contentsOf: j.storage)
    }
    x.append(contentsOf: point.classifier.storage)
    return x
  }

  /// The point (J₁…J_L, W) of a flat parameter vector.
  public func point(from x: [Double]) -> MulticlassPoint {
    precondition(x.count == parameterCount, "x has \(x.count) entries, expected \(parameterCount)")
    let d = dimension
    let jacobians = (0..<depth).map { i in
      Matrix<Double>(rows: d, columns: d, storage: Array(x[(i * d * d)..<((i + 1) * d * d)]))
    }
    return MulticlassPoint(
      jacobians: jacobians,
      classifier: Matrix(rows: classes, columns: d, storage: Array(x[(depth * d * d)...])))
  }

  /// ∇²F(x)·v: the ε-part of ∇F(x + ε·v) over dual numbers.
  public func hessianVectorProduct(at x: [Double], along v: [Double]) -> [Double] {
    precondition(x.count == parameterCount && v.count == parameterCount, "shape mismatch")
    let point = (0..<parameterCount).map { Dual(x[$0], tangent: v[$0]) }
    var gradient = [Dual](repeating: Dual(0), count: parameterCount)
    _ = evaluate(point, gradient: &gradient)
    return gradient.map(\.tangent)
  }

  /// The matrix G = (softmax(Z) − Y)/N at x (C×N), the per-example loss gradients.
  public func lossGradients(at x: [Double]) -> Matrix<Double> {
    var scratch = [Double](repeating: 0, count: parameterCount)
    var g = [Double]()
    _ = evaluate(x, gradient: &scratch, lossGradients: &g)
    return Matrix(rows: classes, columns: examples, storage: g)
  }

  /// F(x), and ∇F(x) in `gradient`, over any `GradientScalar` (formulas in the type's
  /// documentation).
  func evaluate<T: GradientScalar>(_ x: [T], gradient: inout [T]) -> T {
    var unused = [T]()
    return evaluate(x, gradient: &gradient, lossGradients: &unused)
  }

  func evaluate<T: GradientScalar>(_ x: [T], gradient: inout [T], lossGradients: inout [T]) -> T {
    precondition(x.count == parameterCount && gradient.count == parameterCount, "shape mismatch")
    var g = [T](repeating: T(0), count: classes * examples)
    let f = x.withUnsafeBufferPointer { xb in
      gradient.withUnsafeMutableBufferPointer { gb in
        g.withUnsafeMutableBufferPointer { lb in
          evaluate(x: xb.baseAddress!, gradient: gb.baseAddress!, lossGradients: lb.baseAddress!)
        }
      }
    }
    lossGradients = g
    return f
  }

  /// The evaluation over raw storage (the loops of the type's documentation; one workspace of
  /// (L+1)·D·N + 2·D·N + C numbers, no other allocation).
  private func evaluate<T: GradientScalar>(
    x: UnsafePointer<T>, gradient: UnsafeMutablePointer<T>, lossGradients g: UnsafeMutablePointer<T>
  ) -> T {
    let d = dimension
    let n = examples
    let c = classes
    let blockSize = d * d
    let lam = T(lambda)
    let zero = T(0)
    let workspace = UnsafeMutablePointer<T>.allocate(capacity: (depth + 3) * d * n + c)
    defer { workspace.deallocate() }
    workspace.initialize(repeating: zero, count: (depth + 3) * d * n + c)
    defer { workspace.deinitialize(count: (depth + 3) * d * n + c) }
    // Forward: A₀…A_L, each D×N column-major.
    let forward = workspace
    inputs.storage.withUnsafeBufferPointer { ib in
      for k in 0..<(d * n) { forward[k] = T(ib[k]) }
    }
    var regularizer = zero
    for i in 0..<depth {
      let j = x + i * blockSize
      let input = forward + i * d * n
      let output = forward + (i + 1) * d * n
      for k in 0..<(d * n) { output[k] = input[k] }
      for e in 0..<n {
        let out = output + e * d
        for col in 0..<d {
          let a = input[col + e * d]
          let column = j + col * d
          for row in 0..<d { out[row] = out[row] + column[row] * a }
        }
      }
      for k in 0..<blockSize { regularizer = regularizer + j[k] * j[k] }
    }
    let w = x + depth * blockSize
    for k in 0..<(c * d) { regularizer = regularizer + w[k] * w[k] }
    let last = forward + depth * d * n
    // Logits Z = W·A_L and G = (softmax(Z) − Y)/N.
    let z = workspace + (depth + 3) * d * n
    var loss = zero
    let inverseN = T(1 / Double(n))
    for e in 0..<n {
      for k in 0..<c { z[k] = zero }
      for col in 0..<d {
        let a = last[col + e * d]
        let column = w + col * c
        for k in 0..<c { z[k] = z[k] + column[k] * a }
      }
      var top = 0
      for k in 1..<c where z[k].primal > z[top].primal { top = k }
      let m = z[top]
      var sum = zero
      let ge = g + e * c
      for k in 0..<c {
        let p = T.exponential(z[k] - m)
        ge[k] = p
        sum = sum + p
      }
      loss = loss + (m + T.logarithm(sum) - z[labels[e]])
      for k in 0..<c {
        let onehot = T(k == labels[e] ? 1 : 0)
        ge[k] = (ge[k] / sum - onehot) * inverseN
      }
    }
    // ∂F/∂W = G·A_Lᵀ + λW and B_L = WᵀG.
    let gw = gradient + depth * blockSize
    for k in 0..<(c * d) { gw[k] = lam * w[k] }
    var b = workspace + (depth + 1) * d * n
    var next = workspace + (depth + 2) * d * n
    for e in 0..<n {
      let ge = g + e * c
      for col in 0..<d {
        let a = last[col + e * d]
        let column = w + col * c
        let gcol = gw + col * c
        var s = zero
        for k in 0..<c {
          gcol[k] = gcol[k] + ge[k] * a
          s = s + column[k] * ge[k]
        }
        b[col + e * d] = s
      }
    }
    // Backward: ∂F/∂Jᵢ = BᵢAᵢ₋₁ᵀ + λJᵢ, Bᵢ₋₁ = Bᵢ + JᵢᵀBᵢ.
    for i in stride(from: depth - 1, through: 0, by: -1) {
      let j = x + i * blockSize
      let gj = gradient + i * blockSize
      let input = forward + i * d * n
      for k in 0..<blockSize { gj[k] = lam * j[k] }
      for e in 0..<n {
        let be = b + e * d
        let ne = next + e * d
        for col in 0..<d {
          let a = input[col + e * d]
          let column = j + col * d
          let gcol = gj + col * d
          var s = be[col]
          for row in 0..<d {
            gcol[row] = gcol[row] + be[row] * a
            s = s + column[row] * be[row]
          }
          ne[col] = s
        }
      }
      swap(&b, &next)
    }
    return loss * inverseN + T(lambda / 2) * regularizer
  }

  /// F at a point given as matrices (the reference evaluation, straight from the definition).
  public func objective(at point: MulticlassPoint) -> Double {
    var total = 0.0
    for e in 0..<examples {
      var a = inputs.column(e)
      for j in point.jacobians { a.add(j * a) }
      let z = (0..<classes).map { point.classifier.row($0).dot(a) }
      let m = z.max()!
      let lse = m + Double.log(z.map { Double.exp($0 - m) }.reduce(0, +))
      total += lse - z[labels[e]]
    }
    var reg = point.classifier.storage.dot(point.classifier.storage)
    for j in point.jacobians { reg += j.storage.dot(j.storage) }
    return total / Double(examples) + lambda / 2 * reg
  }

  /// The binary model (Definition 3.2) that this model is at C = 2, N = 1.
  ///
  /// CE(z, 1) = log(1 + e^{−(z₁−z₀)}) = ℓ(z₁ − z₀, +1) and CE(z, 0) = ℓ(z₁ − z₀, −1), so the loss
  /// depends on W only through w = W₁ − W₀. Writing W = [−w̃/√2; w̃/√2] (rows sum to zero, as
  /// at every stationary point), z₁ − z₀ = w̃ᵀ(I+J_L)⋯(I+J₁)(√2·Δx) and ‖W‖²_F = ‖w̃‖², so
  ///
  ///     F_C=2(J, [−w̃/√2; w̃/√2]) = F_Def3.2(J, w̃; √2·Δx, y = ±1, λ)
  ///
  /// exactly: the two-class model is the binary one with the input scaled by √2 (equivalently,
  /// the classifier's decay halved), and its optimum is the reduced problem's at ‖Δx‖·√2.
  public func binaryCorrespondence() -> UnconstrainedJacobiansModel? {
    guard classes == 2, examples == 1 else { return nil }
    return UnconstrainedJacobiansModel(
      dx: inputs.column(0).scaled(by: 2.0.squareRoot()), label: labels[0] == 1 ? 1 : -1,
      lambda: lambda, depth: depth)
  }

  /// The point of this (C = 2) model that corresponds to a point of the binary model
  /// (`binaryCorrespondence`): the same Jacobians and W = [−w̃/√2; w̃/√2].
  public func point(fromBinary point: UJMPoint) -> MulticlassPoint {
    precondition(classes == 2, "the correspondence needs C = 2")
    let r = 1 / 2.0.squareRoot()
    let d = dimension
    var w = Matrix<Double>(rows: 2, columns: d)
    for k in 0..<d {
      w[0, k] = -r * point.w[k]
      w[1, k] = r * point.w[k]
    }
    return MulticlassPoint(jacobians: point.jacobians, classifier: w)
  }
}

/// A point of the multi-class UJM: the Residual Jacobians J₁…J_L and the classifier W (C×D).
public struct MulticlassPoint: Sendable, Equatable {
  public var jacobians: [Matrix<Double>]
  public var classifier: Matrix<Double>

  public init(jacobians: [Matrix<Double>], classifier: Matrix<Double>) {
    self.jacobians = jacobians
    self.classifier = classifier
  }
}
