// Goals, in order of priority: evaluate Definition 3.2's objective and gradient exactly (to
// rounding) at points stored in compressed form; never form a D×D matrix other than the starting
// Jacobians, which are only read; O(L·D·(D + M)) work per evaluation with two passes over the
// starting Jacobians; inner products in O(M) through Gram matrices.
import LinearAlgebra

/// The subspace in which every iterate of a gradient method on the UJM lies, and the UJM's
/// objective evaluated in it.
///
/// Definition 3.2's gradient is ∂F/∂Jᵢ = λJᵢ + ℓ′·bᵢaᵢ₋₁ᵀ. So if each Jᵢ is a combination of the
/// starting Jᵢ⁰ and of rank-one terms from earlier evaluations, its gradient is too, with the same
/// coefficients in every block i. Evaluation m of the objective contributes one *bundle*
/// Eₘ = (b₁,ₘa₀,ₘᵀ, …, b_L,ₘa_{L−1},ₘᵀ), and every point a method builds from gradients is
///
///     Jᵢ = c₀·Jᵢ⁰ + Σₘ cₘ·bᵢ,ₘaᵢ₋₁,ₘᵀ  (i = 1…L),   w dense,
///
/// stored as the coefficients c = (c₀, c₁, …, c_M) and w: M + 1 + D numbers instead of L·D² + D.
/// With E₀ = (J₁⁰, …, J_L⁰), the inner product of two such points is cᵀGc′ + wᵀw′ with the Gram
/// matrix G₀₀ = Σᵢ‖Jᵢ⁰‖²_F, G₀ₘ = Σᵢ bᵢ,ₘᵀJᵢ⁰aᵢ₋₁,ₘ, Gₘₙ = Σᵢ (bᵢ,ₘ·bᵢ,ₙ)(aᵢ₋₁,ₘ·aᵢ₋₁,ₙ).
///
/// One evaluation runs the forward pass aᵢ = aᵢ₋₁ + c₀Jᵢ⁰aᵢ₋₁ + Bᵢ(c ∘ Aᵢᵀaᵢ₋₁) and the backward
/// pass bᵢ₋₁ = bᵢ + c₀Jᵢ⁰ᵀbᵢ + Aᵢ(c ∘ Bᵢᵀbᵢ), where Aᵢ, Bᵢ hold the stored aᵢ₋₁,ₘ, bᵢ,ₘ as columns;
/// the products Aᵢᵀaᵢ₋₁, Bᵢᵀbᵢ and Jᵢ⁰aᵢ₋₁ it computes anyway give the new bundle's Gram row at
/// no extra pass. ‖J‖²_F = cᵀGc, so F needs no pass over the parameters either.
///
/// Caveat: cᵀGc′ carries rounding errors of order ε·(Σ|cₖ|‖Eₖ‖)(Σ|c′ₖ|‖Eₖ‖), so a small
/// quantity that is a difference of large terms (‖∇F‖ near a minimum, where λJᵢ ≈ −ℓ′bᵢaᵢ₋₁ᵀ)
/// is less accurate than in dense form; callers confirm convergence with a dense evaluation of the
/// materialised point.
struct RankOneBundleBasis {
  let model: UnconstrainedJacobiansModel
  /// The starting point, whose Jacobians are E₀ (read only).
  let start: [Double]
  /// The largest number of bundles kept.
  let capacity: Int
  /// The number of bundles M.
  private(set) var count = 0
  /// Per block i: the aᵢ₋₁,ₘ, then the bᵢ,ₘ, each a D×capacity column-major matrix.
  private var forwardInputs: [[Double]]
  private var backwardOutputs: [[Double]]
  /// G, (capacity+1)×(capacity+1), column-major; index 0 is E₀.
  private(set) var gram: [Double]

  var dimension: Int { model.dimension }
  var depth: Int { model.depth }
  /// Coordinates in use: E₀ and the M bundles.
  var activeCount: Int { count + 1 }
  /// Length of every coefficient vector.
  var coefficientLength: Int { capacity + 1 }
  var isFull: Bool { count == capacity }

  init(model: UnconstrainedJacobiansModel, start: [Double], capacity: Int) {
    precondition(start.count == model.parameterCount, "start has the wrong length")
    precondition(capacity >= 1, "capacity must be at least 1")
    self.model = model
    self.start = start
    self.capacity = capacity
    let d = model.dimension
    let l = model.depth
    // Reserved, not touched: pages become resident only as bundles are appended.
    forwardInputs = (0..<l).map { _ in
      var a = [Double]()
      a.reserveCapacity(d * capacity)
      return a
    }
    backwardOutputs = (0..<l).map { _ in
      var a = [Double]()
      a.reserveCapacity(d * capacity)
      return a
    }
    gram = [Double](repeating: 0, count: (capacity + 1) * (capacity + 1))
    gram[0] = start.withUnsafeBufferPointer { s in
      VectorKernels.dot(s.baseAddress!, s.baseAddress!, count: l * d * d)
    }
  }

  /// One evaluation of the objective, with the bundle it contributes.
  struct Evaluation {
    /// The logit z, the loss ℓ(z, y) and ℓ′(z, y).
    var logit: Double
    var loss: Double
    var lossDerivative: Double
    /// a_L: ∂F/∂w = ℓ′·a_L + λw.
    var output: [Double]
    /// aᵢ₋₁ and bᵢ of each block i, one after the other (L·D each).
    var forward: [Double]
    var backward: [Double]
    /// ⟨E_new, Eₖ⟩ for k = 0…M, then ‖E_new‖² (M + 2 entries).
    var gramRow: [Double]
  }

  /// Evaluates the forward and backward passes at Jᵢ = Σₖ cₖEₖ, w. The point's gradient is
  /// λ·(c, w) + ℓ′·(E_new, a_L), E_new the returned bundle.
  func evaluate(coefficients c: [Double], w: [Double]) -> Evaluation {
    let d = dimension
    let l = depth
    let m = count
    let block = d * d
    var forward = [Double](repeating: 0, count: l * d)
    var backward = [Double](repeating: 0, count: l * d)
    var startProducts = [Double](repeating: 0, count: l * d)
    var projections = [Double](repeating: 0, count: l * max(m, 1))
    var a = model.dx
    var next = [Double](repeating: 0, count: d)
    var scaled = [Double](repeating: 0, count: max(m, 1))
    var projection = [Double](repeating: 0, count: max(m, 1))
    var row = [Double](repeating: 0, count: m + 2)
    let c0 = c[0]
    let ai = forwardInputs
    let bo = backwardOutputs
    start.withUnsafeBufferPointer { j0 in
      // Forward: aᵢ = aᵢ₋₁ + c₀Jᵢ⁰aᵢ₋₁ + Bᵢ(c ∘ Aᵢᵀaᵢ₋₁).
      for i in 0..<l {
        a.withUnsafeBufferPointer { ab in
          forward.withUnsafeMutableBufferPointer { f in
            (f.baseAddress! + i * d).update(from: ab.baseAddress!, count: d)
          }
          startProducts.withUnsafeMutableBufferPointer { sp in
            BLASKernels.gemv(
              trans: false, m: d, n: d, alpha: 1, a: j0.baseAddress! + i * block, lda: d,
              x: ab.baseAddress!, beta: 0, y: sp.baseAddress! + i * d)
            for k in 0..<d { next[k] = ab[k] + c0 * sp[i * d + k] }
          }
          if m > 0 {
            projections.withUnsafeMutableBufferPointer { pr in
              ai[i].withUnsafeBufferPointer { aa in
                BLASKernels.gemv(
                  trans: true, m: d, n: m, alpha: 1, a: aa.baseAddress!, lda: d,
                  x: ab.baseAddress!, beta: 0, y: pr.baseAddress! + i * m)
              }
              for k in 0..<m { scaled[k] = c[k + 1] * pr[i * m + k] }
            }
            bo[i].withUnsafeBufferPointer { bb in
              scaled.withUnsafeBufferPointer { sb in
                next.withUnsafeMutableBufferPointer { nb in
                  BLASKernels.gemv(
                    trans: false, m: d, n: m, alpha: 1, a: bb.baseAddress!, lda: d,
                    x: sb.baseAddress!, beta: 1, y: nb.baseAddress!)
                }
              }
            }
          }
        }
        swap(&a, &next)
      }
    }
    let z = VectorKernels.dot(w, a)
    let loss = BinaryCrossEntropy.loss(logit: z, label: model.label)
    let lPrime = BinaryCrossEntropy.derivative(logit: z, label: model.label)
    let output = a

    // Backward: bᵢ₋₁ = bᵢ + c₀Jᵢ⁰ᵀbᵢ + Aᵢ(c ∘ Bᵢᵀbᵢ); and the new bundle's Gram row.
    var b = w
    start.withUnsafeBufferPointer { j0 in
      for i in stride(from: l - 1, through: 0, by: -1) {
        b.withUnsafeBufferPointer { bb in
          let bp = bb.baseAddress!
          backward.withUnsafeMutableBufferPointer { bw in
            (bw.baseAddress! + i * d).update(from: bp, count: d)
          }
          forward.withUnsafeBufferPointer { f in
            let aIn = f.baseAddress! + i * d
            row[m + 1] +=
              VectorKernels.dot(bp, bp, count: d) * VectorKernels.dot(aIn, aIn, count: d)
          }
          startProducts.withUnsafeBufferPointer { sp in
            row[0] += VectorKernels.dot(bp, sp.baseAddress! + i * d, count: d)
          }
          next.withUnsafeMutableBufferPointer { nb in
            BLASKernels.gemv(
              trans: true, m: d, n: d, alpha: c0, a: j0.baseAddress! + i * block, lda: d,
              x: bp, beta: 0, y: nb.baseAddress!)
            for k in 0..<d { nb[k] += bp[k] }
          }
          if m > 0 {
            projection.withUnsafeMutableBufferPointer { pr in
              bo[i].withUnsafeBufferPointer { bb2 in
                BLASKernels.gemv(
                  trans: true, m: d, n: m, alpha: 1, a: bb2.baseAddress!, lda: d,
                  x: bp, beta: 0, y: pr.baseAddress!)
              }
            }
            for k in 0..<m {
              row[k + 1] += projection[k] * projections[i * m + k]
              scaled[k] = c[k + 1] * projection[k]
            }
            ai[i].withUnsafeBufferPointer { aa in
              scaled.withUnsafeBufferPointer { sb in
                next.withUnsafeMutableBufferPointer { nb in
                  BLASKernels.gemv(
                    trans: false, m: d, n: m, alpha: 1, a: aa.baseAddress!, lda: d,
                    x: sb.baseAddress!, beta: 1, y: nb.baseAddress!)
                }
              }
            }
          }
        }
        swap(&b, &next)
      }
    }
    return Evaluation(
      logit: z, loss: loss, lossDerivative: lPrime, output: output, forward: forward,
      backward: backward, gramRow: row)
  }

  /// Appends an evaluation's bundle as bundle M + 1; its Gram row becomes G's row and column.
  mutating func commit(_ evaluation: Evaluation) {
    precondition(!isFull, "the basis is full")
    precondition(evaluation.gramRow.count == count + 2, "the evaluation is not of this basis")
    let d = dimension
    for i in 0..<depth {
      forwardInputs[i].append(contentsOf: evaluation.forward[(i * d)..<((i + 1) * d)])
      backwardOutputs[i].append(contentsOf: evaluation.backward[(i * d)..<((i + 1) * d)])
    }
    count += 1
    let n = count
    let ld = capacity + 1
    for k in 0...n {
      gram[n * ld + k] = evaluation.gramRow[k]
      gram[k * ld + n] = evaluation.gramRow[k]
    }
  }

  /// Σₖ G[row, k]·c[k] over k ≤ `row`: coordinate `row` of G·c for a vector with no coefficient
  /// beyond it.
  func gramRowProduct(_ row: Int, _ c: [Double]) -> Double {
    let ld = capacity + 1
    var s = 0.0
    for k in 0...row { s += gram[row * ld + k] * c[k] }
    return s
  }

  /// The dense flat parameter vector of the point (c, w): Jᵢ = c₀Jᵢ⁰ + Bᵢ·diag(c₁…c_M)·Aᵢᵀ.
  func materialize(coefficients c: [Double], w: [Double]) -> [Double] {
    let d = dimension
    let block = d * d
    let m = count
    var x = [Double](repeating: 0, count: model.parameterCount)
    var scaledB = [Double](repeating: 0, count: d * max(m, 1))
    x.withUnsafeMutableBufferPointer { xb in
      start.withUnsafeBufferPointer { s in
        for k in 0..<(depth * block) { xb[k] = c[0] * s[k] }
      }
      for i in 0..<depth where m > 0 {
        backwardOutputs[i].withUnsafeBufferPointer { bi in
          for col in 0..<m {
            for r in 0..<d { scaledB[col * d + r] = c[col + 1] * bi[col * d + r] }
          }
        }
        forwardInputs[i].withUnsafeBufferPointer { ai in
          scaledB.withUnsafeBufferPointer { sb in
            BLASKernels.gemm(
              transA: false, transB: true, m: d, n: d, k: m, alpha: 1, a: sb.baseAddress!,
              lda: d, b: ai.baseAddress!, ldb: d, beta: 1, c: xb.baseAddress! + i * block,
              ldc: d)
          }
        }
      }
      for k in 0..<d { xb[depth * block + k] = w[k] }
    }
    return x
  }
}
