import Empirical
import Foundation
import LinearAlgebra
import TestSupport
import Testing

/// rsvg-convert (Debian's librsvg2-bin, installed by scripts/ensure-system-packages), if present.
let rsvgConvert = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first {
  FileManager.default.isExecutableFile(atPath: $0)
}

/// Renders `svg` to PNG with rsvg-convert and returns the PNG's bytes (empty on failure), with
/// rsvg-convert's stderr. The PNG is also kept in `$UJM_FIGURES_OUT` when that is set.
func renderedPNG(_ svg: String, name: String) throws -> (png: Data, errors: String) {
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("ujm-figures-\(ProcessInfo.processInfo.processIdentifier)")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  let input = directory.appendingPathComponent("\(name).svg")
  let output = directory.appendingPathComponent("\(name).png")
  try Data(svg.utf8).write(to: input)
  let process = Process()
  process.executableURL = URL(fileURLWithPath: rsvgConvert!)
  process.arguments = ["-o", output.path, input.path]
  let errors = Pipe()
  process.standardError = errors
  try process.run()
  process.waitUntilExit()  // rsvg-convert on a small local file: bounded by its own work
  let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  let png = (try? Data(contentsOf: output)) ?? Data()
  if let keep = ProcessInfo.processInfo.environment["UJM_FIGURES_OUT"], !png.isEmpty {
    try png.write(to: URL(fileURLWithPath: keep).appendingPathComponent("\(name).png"))
  }
  return (png, message)
}

/// The width and height in a PNG's IHDR chunk (nil when `png` is not a PNG).
func pngSize(_ png: Data) -> (width: Int, height: Int)? {
  let bytes = [UInt8](png)
  guard bytes.count > 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
  else { return nil }
  func word(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
  return (word(16), word(20))
}

/// The SVG document's width and height attributes.
func svgSize(_ svg: String) -> (width: Int, height: Int) {
  func attribute(_ name: String) -> Int {
    let value = svg.components(separatedBy: " \(name)=\"")[1].prefix { $0 != "\"" }
    return Int(Double(value)!.rounded())
  }
  return (attribute("width"), attribute("height"))
}

/// A network, inputs and measurements as `ujm measure` makes them, small; block 3 dead.
func syntheticMeasurements(classes: Int) throws -> (
  ra: ResidualAlignmentMeasurement, nc: NeuralCollapseMeasurement, labels: [Int]
) {
  var rng = testGenerator(90 + UInt64(classes))
  var net = randomNetwork(inputSize: 12, width: 32, blocks: 5, classes: classes, using: &rng)
  net.branches[2].w2 = net.branches[2].w2.scaled(by: 0)
  let labels = (0..<6).map { $0 % classes }
  let inputs: [[Double]] = labels.map { _ in Gaussian.sample(12, using: &rng) }
  let ra = try ResidualAlignmentMeasurement.measure(
    network: net, inputs: inputs, rank: 3, bootstrapResamples: 20, using: &rng)
  let x: Matrix<Double> = Gaussian.matrix(rows: 12, columns: 40, using: &rng)
  let nc = try NeuralCollapseMeasurement.measure(network: net) {
    AnySequence([(inputs: x, labels: (0..<40).map { $0 % classes })])
  }
  return (ra, nc, labels)
}

@Suite(
  "Figures render to PNG with a legend for every colour",
  .serialized,
  .enabled(if: rsvgConvert != nil, "rsvg-convert not installed (Debian package librsvg2-bin)"))
struct FigureRenderingTests {
  /// Renders `svg` and checks the PNG: a PNG of the SVG's size, well above the size of a blank
  /// page of that size (so something is drawn), and rsvg-convert had nothing to say.
  func expectRenders(_ svg: String, name: String) throws {
    let (png, errors) = try renderedPNG(svg, name: name)
    let size = svgSize(svg)
    let blank = try renderedPNG(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(size.width)\" "
        + "height=\"\(size.height)\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/></svg>",
      name: "\(name)-blank"
    ).png
    print("figure \(name): PNG \(png.count) bytes, blank page of its size \(blank.count) bytes")
    #expect(errors.isEmpty, "rsvg-convert: \(errors)")
    let rendered = pngSize(png)
    #expect(rendered?.width == size.width && rendered?.height == size.height)
    #expect(png.count > 10 * max(blank.count, 100), "figure \(name) renders as a blank page")
  }

  @Test func everyFigureRendersAndNamesEveryColour() throws {
    let (ra, nc, labels) = try syntheticMeasurements(classes: 3)
    var rng = testGenerator(95)
    let fig1 = try ResidualAlignmentFigures.trajectories(
      ra.trajectories, labels: labels, using: &rng)
    let fig2 = ResidualAlignmentFigures.alignmentGrid(
      ra.alignmentMatrices, pairFractions: ra.pairDiagonalFractions,
      input: "training example 17 (label 2)")
    let fig4 = ResidualAlignmentFigures.singularValues(ra)
    let fig7 = ResidualAlignmentFigures.neuralCollapse(nc)
    for (name, svg) in [("1", fig1), ("2", fig2), ("4", fig4), ("7", fig7)] {
      #expect(isWellFormedXML(svg), "figure \(name) is not well-formed XML")
      try expectRenders(svg, name: "figure\(name)-c3")
    }
    // Figure 1: one legend entry per class and one for the rings at h₁.
    for text in [">class 0<", ">class 1<", ">class 2<", ">h₁<"] {
      #expect(fig1.contains(text), "figure 1 lacks legend entry \(text)")
    }
    // Figure 2: the grey scale, its caption and the input it shows.
    #expect(fig2.contains("largest |entry|") && fig2.contains("training example 17 (label 2)"))
    #expect(fig2.components(separatedBy: "fill=\"rgb(").count - 1 >= 16)
    // Figure 4a: every live block named, the dead one (3) left out and noted; log ticks read as
    // powers of ten.
    #expect(ra.ra4.deadBlocks == [3])
    for block in [1, 2, 4, 5] { #expect(fig4.contains(">block \(block)<")) }
    #expect(!fig4.contains(">block 3<") && fig4.contains("dead blocks 3 not drawn"))
    #expect(fig4.contains(">10⁻") || fig4.contains(">1<"))
    for svg in [fig4, fig7] { #expect(!svg.contains(">1e")) }
    // Figure 7 with 3 classes plots NC2 and the equinorm CV, and titles say what is plotted.
    #expect(!fig7.contains("not plotted") && fig7.contains("Figure 7d: equinorm"))
    #expect(fig7.components(separatedBy: "<polyline").count - 1 == 4)
  }

  @Test func figure7SaysNC2IsTrivialForTwoClassesInsteadOfPlottingIt() throws {
    let (ra, nc, labels) = try syntheticMeasurements(classes: 2)
    // The measured NC2 of two balanced classes is rounding noise: the figure must not plot it.
    let nc2 = nc.layers.map(\.metrics.nc2Means).max()!
    print("two classes: largest NC2 over layers \(nc2) (rounding level)")
    #expect(nc2 < 1e-12)
    let fig7 = ResidualAlignmentFigures.neuralCollapse(nc)
    try expectRenders(fig7, name: "figure7-c2")
    #expect(fig7.components(separatedBy: "not plotted: with C = 2").count - 1 == 2)
    #expect(fig7.components(separatedBy: "<polyline").count - 1 == 2, "NC1 and NC4 only")
    var rng = testGenerator(96)
    let fig1 = try ResidualAlignmentFigures.trajectories(
      ra.trajectories, labels: labels, classNames: ["T-shirt/top", "Trouser"], using: &rng)
    #expect(fig1.contains(">T-shirt/top<") && fig1.contains(">Trouser<"))
  }

  @Test func logAxesAreTickedAtPowersOfTenOrRoundValues() {
    // Many decades: labelled powers of ten. Less than one decade: 1, 2, 5 × 10^k as decimals.
    func yLabels(_ values: [Double]) -> [String] {
      let plot = SVGPlot(
        title: "t", xLabel: "x", yLabel: "y", logY: true,
        series: [
          SVGPlot.Series(points: values.enumerated().map { (Double($0), $1) }, color: "#000")
        ])
      let svg = SVGPlot.document([plot], columns: 1)
      return svg.components(separatedBy: "text-anchor=\"end\">").dropFirst().map {
        String($0.prefix { $0 != "<" })
      }
    }
    let wide = yLabels([1e-5, 3e-2, 4])
    let narrow = yLabels([0.13, 0.4, 0.97])
    print("ticks over 1e-5…4: \(wide); over 0.13…0.97: \(narrow)")
    #expect(wide == ["10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "1"])
    #expect(narrow == ["0.2", "0.5"] || narrow == ["0.2", "0.5", "1"])
  }
}
