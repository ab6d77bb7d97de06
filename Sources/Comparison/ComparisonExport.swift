// Goals, in order of priority: the trained network's own Δx in a form `ujm solve --dx` reads
// (1-D float64 .npy), so the UJM can be solved on it; the boundary quantities (t, w, spectra)
// beside it as JSON; file names that say which pair and which endpoint.

import Foundation
import LinearAlgebra

/// The files `ujm compare --export DIR` writes, as (name, bytes).
///
/// Per pair with a boundary point: `pair-<a>-<b>-dx-b.npy` (δ₁ = h₁(x_b) − h₁(x_mid), the UJM's
/// Δx for label y = +1), `pair-<a>-<b>-dx-a.npy` (at x_a, y = −1), both 1-D float64, and
/// `pair-<a>-<b>.json` with t, z at t, w = ∂z/∂h_{L+1} at x_mid and σ₁…σ_rank of every J_i.
public enum ComparisonExport {
  public static func files(_ comparison: TheoryComparison) throws -> [(name: String, data: Data)] {
    var out = [(name: String, data: Data)]()
    for p in comparison.pairs {
      guard let point = p.boundaryPoint, let b = p.boundary else { continue }
      let stem = "pair-\(p.a)-\(p.b)"
      for e in p.endpoints {
        out.append(
          ("\(stem)-dx-\(e.position).npy", NumPyArray(vector: e.deltas[0]).npyData))
      }
      let entry = PairExport(
        a: p.a, b: p.b, t: point.t, zAtT: point.z, classifierJacobian: b.classifierJacobian,
        singularValues: b.singularValues, liveBlocks: comparison.liveBlocks)
      out.append(("\(stem).json", try ReportJSON.encode(entry)))
    }
    return out
  }

  struct PairExport: Encodable {
    var a: Int
    var b: Int
    var t: Double
    var zAtT: Double
    var classifierJacobian: [Double]
    var singularValues: [[Double]]
    var liveBlocks: [Int]

    enum CodingKeys: String, CodingKey {
      case a, b, t
      case zAtT = "z_at_t"
      case classifierJacobian = "w"
      case singularValues = "singular_values"
      case liveBlocks = "live_blocks"
    }

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(a, forKey: .a)
      try c.encode(b, forKey: .b)
      try c.encodeFinite(t, forKey: .t)
      try c.encodeFinite(zAtT, forKey: .zAtT)
      try c.encodeFinite(classifierJacobian, forKey: .classifierJacobian)
      try c.encodeFinite(singularValues, forKey: .singularValues)
      try c.encode(liveBlocks, forKey: .liveBlocks)
    }
  }
}
