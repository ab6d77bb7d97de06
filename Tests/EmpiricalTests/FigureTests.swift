import Foundation
import LinearAlgebra
import TestSupport
import Testing

@testable import Empirical

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
    // Figure 2: one frame per panel (L² of them); every nonzero cell drawn.
    let frames = fig2.components(separatedBy: "stroke=\"#ccc\"").count - 1
    #expect(frames == 4 * 4, "figure 2 has \(frames) panel frames")
    let cells = fig2.components(separatedBy: "h-").count - 1
    #expect(cells > 4 * 4 * 3 && cells <= 4 * 4 * 3 * 3, "figure 2 has \(cells) cells")
  }

  @Test func aLegendBelowThePlotAreaClearsEveryPointAndTheAxisLabel() throws {
    // Points fill the top-right corner, where the inside legend used to go.
    let corner = SVGPlot.Series(
      points: (0..<20).map { (Double($0), 10 + Double($0)) }, color: "#1f77b4", markers: true,
      label: "a label long enough to need its own row of the legend below")
    let plot = SVGPlot(
      title: "t", xLabel: "x", yLabel: "y",
      series: [corner, SVGPlot.Series(points: [(0, 0)], color: "#d62728", label: "b")],
      legend: .below, notes: ["a note"], shadedX: [3], shadedLabel: "shaded")
    let svg = SVGPlot.document([plot], columns: 1, panelWidth: 400, panelHeight: 360)
    #expect(isWellFormedXML(svg))
    func numbers(_ attribute: String, in element: String) -> [Double] {
      svg.components(separatedBy: "<\(element) ").dropFirst().compactMap { tag in
        tag.components(separatedBy: "\(attribute)=\"").dropFirst().first
          .flatMap { Double($0.prefix { $0 != "\"" }) }
      }
    }
    // The frame is the second <rect> (after the background).
    let frameY = numbers("y", in: "rect")[1]
    let frameHeight = numbers("height", in: "rect")[1]
    let lowestPoint = numbers("cy", in: "circle").max()!
    let texts = svg.components(separatedBy: "<text ").dropFirst()
    func baseline(of text: String) -> Double {
      let tag = texts.first { $0.contains(">\(text)<") }!
      return Double(tag.components(separatedBy: "y=\"")[1].prefix { $0 != "\"" })!
    }
    let axisLabel = baseline(of: "x")
    let legend = [
      "a label long enough to need its own row of the legend below", "b", "shaded", "a note",
    ].map(baseline)
    print(
      "frame bottom \(frameY + frameHeight), lowest point \(lowestPoint), x label at "
        + "\(axisLabel), legend rows at \(legend) (each ≥ 12 below the one before)")
    #expect(lowestPoint <= frameY + frameHeight && axisLabel > frameY + frameHeight)
    #expect(legend.allSatisfy { $0 >= axisLabel + 12 })
    #expect(legend[3] >= legend[2] + 12 && legend[1] >= legend[0] + 12)
    #expect(legend.max()! <= 360, "the legend fits in the panel")
  }

  @Test func figure4bLeavesOutAndShadesDeadBlocks() throws {
    var rng = testGenerator(81)
    var net = randomNetwork(inputSize: 12, width: 32, blocks: 5, classes: 3, using: &rng)
    net.branches[1].w2 = net.branches[1].w2.scaled(by: 0)
    let inputs: [[Double]] = (0..<3).map { _ in Gaussian.sample(12, using: &rng) }
    let m = try ResidualAlignmentMeasurement.measure(
      network: net, inputs: inputs, rank: 3, bootstrapResamples: 20, using: &rng)
    #expect(m.ra4.deadBlocks == [2])
    let fig4 = ResidualAlignmentFigures.singularValues(m)
    #expect(isWellFormedXML(fig4) && !fig4.contains("nan") && !fig4.contains("inf"))
    #expect(fig4.contains("dead blocks 2 omitted") && fig4.contains("dead block (omitted)"))
    // One shaded column (fill #e8e8e8) in the plot and one swatch in the legend.
    #expect(fig4.components(separatedBy: "fill=\"#e8e8e8\"").count - 1 == 2)
  }

  @Test func axesOfHugeNearlyEqualValuesGetTicksOrNoneButAlwaysEnd() {
    // 1/σ₁ of a nearly dead block (σ₁ ≈ 6e-111): a y-range far narrower than the values' ulp
    // once made the tick loop run forever (t + step == t) until an allocation failed.
    for values in [[1.6e110], [1.6e110, 1.6e110.nextUp], [1.6e110, 1.6e110 * (1 + 1e-12)]] {
      let plot = SVGPlot(
        title: "t", xLabel: "x", yLabel: "y",
        series: [
          SVGPlot.Series(
            points: values.enumerated().map { (Double($0), $1) }, color: "#000", markers: true)
        ])
      let svg = SVGPlot.document([plot], columns: 1)
      #expect(isWellFormedXML(svg) && !svg.contains("nan") && !svg.contains("inf"))
    }
    #expect(SVGPlot.ticks(1.6e110, 1.6e110.nextUp).isEmpty)
    #expect(SVGPlot.ticks(0, 1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
  }

  @Test func aBrokenDocumentIsRejected() {
    #expect(!isWellFormedXML("<svg><g></svg>"))
    #expect(!isWellFormedXML("<svg><rect x=\"1/></svg>"))
    #expect(isWellFormedXML("<svg><g><rect x=\"1\"/></g></svg>"))
  }
}
