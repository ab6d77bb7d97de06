import LinearAlgebra
import RealModule

// Goals, in order of priority: the global minimum of the reduced problem to near machine precision
// (it is the oracle the full solve is judged against); robustness for any L ≥ 1, λ > 0, ‖Δx‖ > 0;
// an explanation of every step.

/// The UJM restricted to the family in which Theorem 3.3 places a global optimum.
///
/// With u = Δx/‖Δx‖, r = ‖Δx‖, Jᵢ = s·uuᵀ and w = y·t·u (s, t ≥ 0), the logit is y·t·r·(1+s)ᴸ
/// and Definition 3.2's objective becomes
///
///     g(s, t) = ℓ(t·r·(1+s)ᴸ, +1) + λ/2·(L·s² + t²).
///
/// Minimisation: for fixed s, ∂g/∂t = 0 reads λt = c/(1 + e^{ct}) with c = r(1+s)ᴸ, whose left side
/// increases and right side decreases in t, so it has exactly one root t(s) ∈ (0, c/λ), found by
/// bisection to adjacent doubles. Then h(s) = g(s, t(s)) has h′(s) = ∂g/∂s(s, t(s)) (envelope
/// theorem). Every minimiser satisfies λ/2·L·s² ≤ g(0, 0) = log 2, so s ∈ [0, √(2·log 2/(λL))];
/// h′(0) < 0, so s = 0 is never optimal. A grid of that interval brackets every sign change of h′
/// from − to +; each is bisected to adjacent doubles and the smallest h wins.
public struct ReducedProblem: Sendable, Equatable {
  public let depth: Int
  public let lambda: Double
  /// r = ‖Δx‖.
  public let dxNorm: Double

  public init(depth: Int, lambda: Double, dxNorm: Double) {
    precondition(depth >= 1 && lambda > 0 && dxNorm > 0, "need L ≥ 1, λ > 0, ‖Δx‖ > 0")
    self.depth = depth
    self.lambda = lambda
    self.dxNorm = dxNorm
  }

  /// g(s, t).
  public func value(s: Double, t: Double) -> Double {
    let z = t * dxNorm * Double.pow(1 + s, depth)
    return BinaryCrossEntropy.loss(logit: z, label: 1)
      + lambda / 2 * (Double(depth) * s * s + t * t)
  }

  /// (∂g/∂s, ∂g/∂t).
  public func gradient(s: Double, t: Double) -> (ds: Double, dt: Double) {
    let l = Double(depth)
    let p = Double.pow(1 + s, depth - 1)
    let c = dxNorm * p * (1 + s)
    let lPrime = BinaryCrossEntropy.derivative(logit: t * c, label: 1)
    return (lPrime * t * dxNorm * l * p + lambda * l * s, lPrime * c + lambda * t)
  }

  /// The optimal t for a given s: the root of λt = c/(1 + e^{ct}).
  public func optimalT(s: Double) -> Double {
    let c = dxNorm * Double.pow(1 + s, depth)
    var lo = 0.0
    var hi = c / lambda
    while true {
      let mid = lo + (hi - lo) / 2
      if mid <= lo || mid >= hi { break }
      let phi = lambda * mid + BinaryCrossEntropy.derivative(logit: c * mid, label: 1) * c
      if phi < 0 { lo = mid } else { hi = mid }
    }
    return lo + (hi - lo) / 2
  }

  /// h′(s) = ∂g/∂s at (s, t(s)).
  public func reducedDerivative(s: Double) -> Double {
    gradient(s: s, t: optimalT(s: s)).ds
  }

  /// The upper bound on s* from λ/2·L·s² ≤ log 2.
  public var sBound: Double { (2 * Double.log(2) / (lambda * Double(depth))).squareRoot() }

  /// A tighter bound on s* for small λ: every minimiser has λ/2·L·s*² ≤ f* ≤ g(s₀, t(s₀)) for
  /// any s₀, so s* ≤ √(2·g(s₀, t(s₀))/(λL)). With s₀ ∈ {½, 1, 2} this is O(√log(1/λ)) where
  /// `sBound` is O(λ^{−½}) (1e150 at λ = 1e-300, where (1 + s)ᴸ overflows every grid point).
  public var searchBound: Double {
    var best = Double.log(2)
    for s0 in [0.5, 1.0, 2.0] {
      let f = value(s: s0, t: optimalT(s: s0))
      if f.isFinite { best = Swift.min(best, f) }
    }
    return Swift.min(sBound, (2 * best / (lambda * Double(depth))).squareRoot())
  }

  /// The global minimum: f*, s*, t* and ‖∇g‖ there.
  public func minimize(gridPoints: Int = 4000) -> ReducedOptimum {
    let upper = searchBound
    var candidates = [Double]()
    var previousS = 0.0
    var previousD = reducedDerivative(s: 0)
    for k in 1...gridPoints {
      let s = upper * Double(k) / Double(gridPoints)
      let d = reducedDerivative(s: s)
      if previousD < 0 && d >= 0 {
        candidates.append(bisectDerivativeRoot(lo: previousS, hi: s))
      }
      previousS = s
      previousD = d
    }
    if previousD < 0 { candidates.append(upper) }
    var best = ReducedOptimum(objective: .infinity, s: 0, t: 0, gradientNorm: .infinity)
    for s in candidates {
      let t = optimalT(s: s)
      let f = value(s: s, t: t)
      if f < best.objective {
        let g = gradient(s: s, t: t)
        best = ReducedOptimum(
          objective: f, s: s, t: t, gradientNorm: (g.ds * g.ds + g.dt * g.dt).squareRoot())
      }
    }
    return best
  }

  private func bisectDerivativeRoot(lo: Double, hi: Double) -> Double {
    var lo = lo
    var hi = hi
    while true {
      let mid = lo + (hi - lo) / 2
      if mid <= lo || mid >= hi { break }
      if reducedDerivative(s: mid) < 0 { lo = mid } else { hi = mid }
    }
    // Of the two adjacent doubles, the one with the smaller |h′|.
    return abs(reducedDerivative(s: lo)) <= abs(reducedDerivative(s: hi)) ? lo : hi
  }
}

/// The reduced problem's global minimum.
public struct ReducedOptimum: Sendable, Equatable, Codable {
  /// f* = g(s*, t*), the optimal value of the UJM (Theorem 3.3).
  public var objective: Double
  /// s*: the common top singular value of the Jacobians.
  public var s: Double
  /// t*: ‖w‖ at the optimum.
  public var t: Double
  /// ‖∇g(s*, t*)‖.
  public var gradientNorm: Double

  public init(objective: Double, s: Double, t: Double, gradientNorm: Double) {
    self.objective = objective
    self.s = s
    self.t = t
    self.gradientNorm = gradientNorm
  }

  /// The optimum of the full UJM built from it: Jᵢ = s*·uuᵀ, w = y·t*·u, u = Δx/‖Δx‖.
  public func point(dx: [Double], label: Double, depth: Int) -> UJMPoint {
    let u = dx.normalized
    let j = Matrix<Double>.outer(u, u).scaled(by: s)
    return UJMPoint(jacobians: Array(repeating: j, count: depth), w: u.scaled(by: label * t))
  }
}
