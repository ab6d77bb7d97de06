// Goals, in order of priority: the exact gradient of the multi-class model (the same formulas as
// the generic path that the Hessian uses, to rounding); every product over all N inputs at once
// as one `dgemm` (3·L + 2 calls per evaluation); one allocation per evaluation (the workspace),
// none that scales with the parameter count; x and ∇F read and written in place.

import LinearAlgebra

extension MulticlassUnconstrainedJacobiansModel {
  /// F(x) and ∇F(x) over `Double` (formulas in the type's documentation), with matrix products.
  ///
  /// Forward: Aᵢ = Aᵢ₋₁ + Jᵢ·Aᵢ₋₁ (D×D times D×N), Z = W·A_L; G = (softmax(Z) − Y)/N.
  /// Backward: ∂F/∂W = λW + G·A_Lᵀ, B_L = Wᵀ·G; then for i = L…1, ∂F/∂Jᵢ = λJᵢ + Bᵢ·Aᵢ₋₁ᵀ and
  /// Bᵢ₋₁ = Bᵢ + Jᵢᵀ·Bᵢ. Each product is one `dgemm` over all N inputs.
  public func valueAndGradient(at x: Span<Double>, gradient g: inout MutableSpan<Double>) -> Double
  {
    x.withUnsafeBufferPointer { x in
      g.withUnsafeMutableBufferPointer { g in valueAndGradient(contiguous: x, gradient: g) }
    }
  }

  /// The same on the storage of x and ∇F (the kernels' form).
  func valueAndGradient(
    contiguous x: UnsafeBufferPointer<Double>, gradient g: UnsafeMutableBufferPointer<Double>
  ) -> Double {
    precondition(x.count == parameterCount && g.count == parameterCount, "shape mismatch")
    let d = dimension
    let n = examples
    let c = classes
    let blockSize = d * d
    let lam = lambda
    let xp = x.baseAddress!
    let gp = g.baseAddress!
    // Workspace: A₀…A_L (D×N each), B and its successor (D×N each), G (C×N), and a transposed
    // copy of Jᵢ or W (D×D): OpenBLAS refuses its small-matrix kernel to Aᵀ·B with an inner
    // dimension below 32 and packs instead, which costs more than the copy at these sizes.
    let capacity = (depth + 3) * d * n + c * n + max(d, c) * d
    let workspace = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
    defer { workspace.deallocate() }
    let forward = workspace
    inputs.storage.withUnsafeBufferPointer { forward.update(from: $0.baseAddress!, count: d * n) }
    var regularizer = 0.0
    for i in 0..<depth {
      let j = xp + i * blockSize
      let input = forward + i * d * n
      let output = input + d * n
      output.update(from: input, count: d * n)
      BLASKernels.gemm(
        transA: false, transB: false, m: d, n: n, k: d, alpha: 1.0, a: j, lda: d, b: input,
        ldb: d, beta: 1.0, c: output, ldc: d)
      regularizer += VectorKernels.dot(j, j, count: blockSize)
    }
    let w = xp + depth * blockSize
    regularizer += VectorKernels.dot(w, w, count: c * d)
    let last = forward + depth * d * n
    // Logits Z = W·A_L (C×N, in G's storage), then G = (softmax(Z) − Y)/N column by column.
    let lossGradients = workspace + (depth + 3) * d * n
    BLASKernels.gemm(
      transA: false, transB: false, m: c, n: n, k: d, alpha: 1.0, a: w, lda: c, b: last, ldb: d,
      beta: 0.0, c: lossGradients, ldc: c)
    let inverseN = 1 / Double(n)
    var loss = 0.0
    for e in 0..<n {
      let z = lossGradients + e * c
      var top = 0
      for k in 1..<c where z[k] > z[top] { top = k }
      let m = z[top]
      let label = labels[e]
      let zLabel = z[label]
      var sum = 0.0
      for k in 0..<c {
        let p = Double.exp(z[k] - m)
        z[k] = p
        sum += p
      }
      loss += m + Double.log(sum) - zLabel
      let scale = inverseN / sum
      for k in 0..<c { z[k] *= scale }
      z[label] -= inverseN
    }
    // ∂F/∂W = λW + G·A_Lᵀ and B_L = Wᵀ·G.
    let gw = gp + depth * blockSize
    for k in 0..<(c * d) { gw[k] = lam * w[k] }
    BLASKernels.gemm(
      transA: false, transB: true, m: c, n: d, k: n, alpha: 1.0, a: lossGradients, lda: c,
      b: last, ldb: d, beta: 1.0, c: gw, ldc: c)
    var b = workspace + (depth + 1) * d * n
    var next = workspace + (depth + 2) * d * n
    let transposed = lossGradients + c * n
    Self.transpose(w, rows: c, columns: d, into: transposed)
    BLASKernels.gemm(
      transA: false, transB: false, m: d, n: n, k: c, alpha: 1.0, a: transposed, lda: d,
      b: lossGradients, ldb: c, beta: 0.0, c: b, ldc: d)
    // Backward: ∂F/∂Jᵢ = λJᵢ + BᵢAᵢ₋₁ᵀ, Bᵢ₋₁ = Bᵢ + JᵢᵀBᵢ.
    for i in stride(from: depth - 1, through: 0, by: -1) {
      let j = xp + i * blockSize
      let gj = gp + i * blockSize
      for k in 0..<blockSize { gj[k] = lam * j[k] }
      BLASKernels.gemm(
        transA: false, transB: true, m: d, n: d, k: n, alpha: 1.0, a: b, lda: d,
        b: forward + i * d * n, ldb: d, beta: 1.0, c: gj, ldc: d)
      if i > 0 {
        next.update(from: b, count: d * n)
        Self.transpose(j, rows: d, columns: d, into: transposed)
        BLASKernels.gemm(
          transA: false, transB: false, m: d, n: n, k: d, alpha: 1.0, a: transposed, lda: d,
          b: b, ldb: d, beta: 1.0, c: next, ldc: d)
        swap(&b, &next)
      }
    }
    return loss * inverseN + lam / 2 * regularizer
  }

  /// out ← aᵀ for the column-major rows×columns a (out is columns×rows, column-major).
  private static func transpose(
    _ a: UnsafePointer<Double>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Double>
  ) {
    // Wrapping arithmetic: the indices are below rows·columns, and checked arithmetic made this
    // loop a third of the evaluation's own time.
    var source = a
    for col in 0..<columns {
      var target = out + col
      for row in 0..<rows {
        target.pointee = source[row]
        target += columns
      }
      source += rows
    }
  }
}
