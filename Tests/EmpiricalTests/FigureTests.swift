import Empirical
import Foundation
import LinearAlgebra
import TestSupport
import Testing

/// Whether every tag of `svg` is closed in order (a small well-formedness check: elements
/// balance, attributes are quoted, no stray '<').
func isWellFormedXML(_ svg: String) -> Bool {
  var stack = [Substring]()
  var rest = Substring(svg)
  while let open = rest.firstIndex(of: "<") {
    guard let close = rest[open...].firstIndex(of: ">") else { return false }
    let tag = rest[rest.index(after: open)..<close]
    rest = rest[rest.index(after: close)...]
    if tag.contains("<") || tag.filter({ $0 == "\"" }).count % 2 != 0 { return false }
    if tag.hasPrefix("/") {
      guard stack.popLast() == tag.dropFirst() else { return false }
    } else if !tag.hasSuffix("/") {
      stack.append(tag.prefix { $0 != " " && $0 != "\n" })
    }
  }
  return stack.isEmpty
}

@Suite("Figures: SVG documents of the measurement", .serialized)
struct FigureTests {
  @Test func figuresAreWellFormedAndShowEveryBlock() throws {
    var rng = testGenerator(80)
    let net = randomNetwork(inputSize: 12, width: 32, blocks: 4, classes: 3, using: &rng)
    let inputs: [[Double]] = (0..<3).map { _ in Gaussian.sample(12, using: &rng) }
    let m = try ResidualAlignmentMeasurement.measure(
      network: net, inputs: inputs, rank: 3, bootstrapResamples: 20, using: &rng)
    let fig1 = try ResidualAlignmentFigures.trajectories(
      m.trajectories, labels: [0, 1, 2], using: &rng)
    let fig2 = ResidualAlignmentFigures.alignmentGrid(
      m.alignmentMatrices, pairFractions: m.pairDiagonalFractions)
    let fig4 = ResidualAlignmentFigures.singularValues(m)
    let x: Matrix<Double> = Gaussian.matrix(rows: 12, columns: 30, using: &rng)
    let nc = try NeuralCollapseMeasurement.measure(network: net) {
      AnySequence([(inputs: x, labels: (0..<30).map { $0 % 3 })])
    }
    let fig7 = ResidualAlignmentFigures.neuralCollapse(nc)
    for (name, svg) in [("1", fig1), ("2", fig2), ("4", fig4), ("7", fig7)] {
      #expect(isWellFormedXML(svg), "figure \(name) is not well-formed XML")
      #expect(!svg.contains("nan") && !svg.contains("inf"), "figure \(name) has non-finite values")
    }
    // Figure 2: one frame per panel (L² of them) plus the background; every nonzero cell drawn.
    let frames = fig2.components(separatedBy: "<rect").count - 1
    #expect(frames == 4 * 4 + 1, "figure 2 has \(frames) rectangles")
    let cells = fig2.components(separatedBy: "h-").count - 1
    #expect(cells > 4 * 4 * 3 && cells <= 4 * 4 * 3 * 3, "figure 2 has \(cells) cells")
  }

  @Test func aBrokenDocumentIsRejected() {
    #expect(!isWellFormedXML("<svg><g></svg>"))
    #expect(!isWellFormedXML("<svg><rect x=\"1/></svg>"))
    #expect(isWellFormedXML("<svg><g><rect x=\"1\"/></g></svg>"))
  }
}
