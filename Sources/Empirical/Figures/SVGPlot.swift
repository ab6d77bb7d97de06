// Goals, in order of priority: figures a reader can trust (axes with ticks and labels, log
// scales marked); plain SVG text with no dependencies; small.

import Foundation

/// A minimal SVG line/scatter plot panel with axes, ticks, labels and an optional log-y scale.
public struct SVGPlot: Sendable {
  /// One polyline (and/or markers) in a colour.
  public struct Series: Sendable {
    public var points: [(x: Double, y: Double)]
    public var color: String
    public var lines: Bool
    public var markers: Bool
    public var label: String?
    /// Whether the first point gets a ring (where a trajectory starts).
    public var ringsStart: Bool

    public init(
      points: [(x: Double, y: Double)], color: String, lines: Bool = true, markers: Bool = false,
      label: String? = nil, ringsStart: Bool = false
    ) {
      self.points = points
      self.color = color
      self.lines = lines
      self.markers = markers
      self.label = label
      self.ringsStart = ringsStart
    }
  }

  /// Where the labels of the series go.
  public enum LegendPlacement: Sendable {
    /// Stacked in the plot area's top-right corner (may cover points there).
    case insideTopRight
    /// In rows under the x-axis label, outside the plot area: never covers a point.
    case below
  }

  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var logY: Bool
  public var series: [Series]
  public var legend: LegendPlacement
  /// Lines of grey text after a `.below` legend, wrapped to the plot area's width (not drawn
  /// with `.insideTopRight`).
  public var notes: [String]
  /// x values whose column (x ± 0.5) is shaded light grey behind the data, e.g. omitted blocks.
  public var shadedX: [Double]
  /// The label of the shaded columns in the legend (none when nil).
  public var shadedLabel: String?
  /// The x range to show (nil: the data's), e.g. every block even where no point is drawn.
  public var xDomain: ClosedRange<Double>?
  /// The legend's text for the rings of `Series.ringsStart` (no entry when nil).
  public var ringLabel: String?
  /// Text centred in the plot area, e.g. why nothing is plotted.
  public var message: String?

  public init(
    title: String, xLabel: String, yLabel: String, logY: Bool = false, series: [Series],
    legend: LegendPlacement = .insideTopRight, notes: [String] = [], shadedX: [Double] = [],
    shadedLabel: String? = nil, xDomain: ClosedRange<Double>? = nil, ringLabel: String? = nil,
    message: String? = nil
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.logY = logY
    self.series = series
    self.legend = legend
    self.notes = notes
    self.shadedX = shadedX
    self.shadedLabel = shadedLabel
    self.xDomain = xDomain
    self.ringLabel = ringLabel
    self.message = message
  }

  /// Approximate advance of one character at font size 11 (sans-serif), for laying out text.
  static let characterWidth = 6.6
  /// Height of one legend or note row.
  static let rowHeight = 14.0
  /// Margins of the plot area inside a panel.
  static let margins = (left: 62.0, right: 12.0, top: 26.0, bottom: 42.0)

  /// One legend entry: its swatch and text, placed at (x, row) under the plot area.
  struct LegendItem {
    enum Swatch {
      case line(String)
      case marker(String)
      case ring
      case shade
    }
    var swatch: Swatch
    var text: String
    var x: Double
    var row: Int
  }

  /// The legend entries laid out left to right in rows of at most `width` pixels, then the
  /// notes word-wrapped, one or more rows each: (entries, note rows, rows used).
  func belowLayout(width: Double) -> (items: [LegendItem], notes: [(String, Int)], rows: Int) {
    var entries = [(LegendItem.Swatch, String)]()
    for series in self.series {
      if let label = series.label {
        entries.append((series.lines ? .line(series.color) : .marker(series.color), label))
      }
    }
    if let ringLabel, series.contains(where: \.ringsStart) { entries.append((.ring, ringLabel)) }
    if let shadedLabel, !shadedX.isEmpty { entries.append((.shade, shadedLabel)) }
    var items = [LegendItem]()
    var (x, row) = (0.0, 0)
    for (swatch, text) in entries {
      let w = 22 + Double(text.count) * Self.characterWidth
      if x > 0 && x + w > width {
        (x, row) = (0, row + 1)
      }
      items.append(LegendItem(swatch: swatch, text: text, x: x, row: row))
      x += w + 14
    }
    var next = items.isEmpty ? 0 : row + 1
    var noteRows = [(String, Int)]()
    for note in notes {
      for line in Self.wrapped(note, width: width) {
        noteRows.append((line, next))
        next += 1
      }
    }
    return (items, noteRows, next)
  }

  /// `text` word-wrapped into lines of at most `width` pixels (by `characterWidth`).
  static func wrapped(_ text: String, width: Double) -> [String] {
    let perLine = max(10, Int(width / Self.characterWidth))
    var lines = [String]()
    var line = ""
    for word in text.split(separator: " ") {
      if !line.isEmpty && line.count + 1 + word.count > perLine {
        lines.append(line)
        line = ""
      }
      line += line.isEmpty ? String(word) : " " + word
    }
    if !line.isEmpty { lines.append(line) }
    return lines
  }

  /// The rows a `.below` legend takes in a panel `width` wide (0 for `.insideTopRight`).
  public func legendRows(panelWidth width: Double) -> Int {
    guard legend == .below else { return 0 }
    return belowLayout(width: width - Self.margins.left - Self.margins.right).rows
  }

  /// A categorical palette (10 colours, as matplotlib's tab10).
  public static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
  ]
  /// The lighter partners of `palette` (matplotlib's tab20, odd entries).
  static let lightPalette = [
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
    "#dbdb8d", "#9edae5",
  ]
  /// Viridis at 0, 1/8, …, 1 (matplotlib), interpolated for more than 20 colours.
  static let viridis: [(Double, Double, Double)] = [
    (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141), (39, 173, 129),
    (92, 200, 99), (170, 220, 50), (253, 231, 37),
  ]

  /// `count` distinct colours: tab10, then its light partners (up to 20), else viridis from dark
  /// to light, so that every curve of a legend naming each one has a colour of its own.
  public static func colors(count: Int) -> [String] {
    if count <= 20 { return Array((palette + lightPalette).prefix(count)) }
    return (0..<count).map { k in
      let t = Double(k) / Double(count - 1) * Double(viridis.count - 1)
      let i = min(Int(t), viridis.count - 2)
      let f = t - Double(i)
      let (a, b) = (viridis[i], viridis[i + 1])
      let c = [a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1), a.2 + f * (b.2 - a.2)]
      return "#" + c.map { String(format: "%02x", Int($0.rounded())) }.joined()
    }
  }

  /// The panel as an SVG group of size width×height placed at (x, y); a `.below` legend takes at
  /// least `legendRows` rows (so that panels side by side keep plot areas of one height).
  public func group(
    x ox: Double, y oy: Double, width: Double, height: Double, legendRows: Int = 0
  ) -> String {
    let (left, right, top) = (Self.margins.left, Self.margins.right, Self.margins.top)
    let pw = width - left - right
    let below = legend == .below ? belowLayout(width: pw) : (items: [], notes: [], rows: 0)
    let rows = legend == .below ? max(below.rows, legendRows) : 0
    let bottom = Self.margins.bottom + (rows > 0 ? Double(rows) * Self.rowHeight + 8 : 0)
    let ph = height - top - bottom
    func ty(_ y: Double) -> Double? {
      if logY { return y > 0 && y.isFinite ? log10(y) : nil }
      return y.isFinite ? y : nil
    }
    let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
    let ys = series.flatMap { $0.points.compactMap { ty($0.y) } }
    var (x0, x1) = xDomain.map { ($0.lowerBound, $0.upperBound) } ?? (xs.min() ?? 0, xs.max() ?? 1)
    var (y0, y1) = (ys.min() ?? 0, ys.max() ?? 1)
    // A range too narrow to tick (one value, or values equal but for rounding) is widened
    // around its middle, relative to its size (±1 is nothing at 1e110).
    func widened(_ a: Double, _ b: Double) -> (Double, Double) {
      guard b - a <= 1e-9 * max(abs(a), abs(b)) else { return (a, b) }
      let (middle, half) = (a / 2 + b / 2, max(1, abs(a / 2 + b / 2) / 10))
      return (middle - half, middle + half)
    }
    (x0, x1) = widened(x0, x1)
    (y0, y1) = widened(y0, y1)
    let pad = 0.04 * (y1 - y0)
    (y0, y1) = (y0 - pad, y1 + pad)
    func px(_ x: Double) -> Double { ox + left + (x - x0) / (x1 - x0) * pw }
    func py(_ y: Double) -> Double { oy + top + (1 - (y - y0) / (y1 - y0)) * ph }
    var s = "<g font-family=\"sans-serif\" font-size=\"11\">\n"
    s +=
      "<text x=\"\(num(ox + left + pw / 2))\" y=\"\(num(oy + 16))\" text-anchor=\"middle\" "
      + "font-size=\"13\">\(svgEscaped(title))</text>\n"
    s +=
      "<rect x=\"\(num(ox + left))\" y=\"\(num(oy + top))\" width=\"\(num(pw))\" "
      + "height=\"\(num(ph))\" fill=\"none\" stroke=\"#333\"/>\n"
    for x in shadedX where x >= x0 && x <= x1 {
      let a = px(max(x0, x - 0.5))
      let b = px(min(x1, x + 0.5))
      s +=
        "<rect x=\"\(num(a))\" y=\"\(num(oy + top))\" width=\"\(num(b - a))\" "
        + "height=\"\(num(ph))\" fill=\"#e8e8e8\"/>\n"
    }
    for t in Self.ticks(x0, x1) {
      s +=
        "<line x1=\"\(num(px(t)))\" y1=\"\(num(oy + top + ph))\" x2=\"\(num(px(t)))\" "
        + "y2=\"\(num(oy + top + ph + 4))\" stroke=\"#333\"/>"
      s +=
        "<text x=\"\(num(px(t)))\" y=\"\(num(oy + top + ph + 16))\" text-anchor=\"middle\">"
        + "\(Self.label(t))</text>\n"
    }
    // No y ticks on an empty panel (one that says why in `message`).
    let yTicks =
      ys.isEmpty
      ? []
      : logY ? Self.logTicks(y0, y1) : Self.ticks(y0, y1).map { (t: $0, label: Self.label($0)) }
    for (t, text) in yTicks {
      let length = text == nil ? 2.0 : 4.0
      s +=
        "<line x1=\"\(num(ox + left - length))\" y1=\"\(num(py(t)))\" x2=\"\(num(ox + left))\" "
        + "y2=\"\(num(py(t)))\" stroke=\"#333\"/>"
      if let text {
        s +=
          "<text x=\"\(num(ox + left - 6))\" y=\"\(num(py(t) + 4))\" text-anchor=\"end\">"
          + "\(text)</text>\n"
      }
    }
    s +=
      "<text x=\"\(num(ox + left + pw / 2))\" y=\"\(num(oy + top + ph + Self.margins.bottom - 6))\" "
      + "text-anchor=\"middle\">\(svgEscaped(xLabel))</text>\n"
    let yl = logY ? "\(yLabel) (log scale)" : yLabel
    s +=
      "<text transform=\"translate(\(num(ox + 14)),\(num(oy + top + ph / 2))) rotate(-90)\" "
      + "text-anchor=\"middle\">\(svgEscaped(yl))</text>\n"
    for (k, series) in series.enumerated() {
      let pts = series.points.compactMap { p in ty(p.y).map { (px(p.x), py($0)) } }
      if series.lines && pts.count > 1 {
        let path = pts.map { "\(num($0.0)),\(num($0.1))" }.joined(separator: " ")
        s +=
          "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(series.color)\" "
          + "stroke-width=\"1.3\" stroke-opacity=\"0.85\"/>\n"
      }
      if series.markers {
        for p in pts {
          s += "<circle cx=\"\(num(p.0))\" cy=\"\(num(p.1))\" r=\"2.2\" fill=\"\(series.color)\"/>"
        }
        s += "\n"
      }
      if series.ringsStart, let p = pts.first {
        s +=
          "<circle cx=\"\(num(p.0))\" cy=\"\(num(p.1))\" r=\"4.5\" fill=\"none\" "
          + "stroke=\"#000\" stroke-width=\"1\"/>\n"
      }
      if let label = series.label, legend == .insideTopRight {
        let ly = oy + top + 12 + Double(k) * 13
        s +=
          "<text x=\"\(num(ox + left + pw - 6))\" y=\"\(num(ly))\" text-anchor=\"end\" "
          + "fill=\"\(series.color)\">\(svgEscaped(label))</text>\n"
      }
    }
    if let message {
      s +=
        "<text x=\"\(num(ox + left + pw / 2))\" y=\"\(num(oy + top + ph / 2 - 8))\" "
        + "text-anchor=\"middle\" fill=\"#555\">"
      for (k, line) in Self.wrapped(message, width: pw - 20).enumerated() {
        s +=
          "<tspan x=\"\(num(ox + left + pw / 2))\" dy=\"\(k == 0 ? 0 : Self.rowHeight)\">"
          + "\(svgEscaped(line))</tspan>"
      }
      s += "</text>\n"
    }
    // The legend under the x-axis label (baseline 18 below its baseline): rows of (swatch,
    // text), then the notes in grey.
    let legendTop = oy + top + ph + Self.margins.bottom + 12
    for item in below.items {
      let x = ox + left + item.x
      let y = legendTop + Double(item.row) * Self.rowHeight
      switch item.swatch {
      case .line(let color):
        s +=
          "<line x1=\"\(num(x))\" y1=\"\(num(y - 4))\" x2=\"\(num(x + 16))\" "
          + "y2=\"\(num(y - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
      case .marker(let color):
        s += "<circle cx=\"\(num(x + 8))\" cy=\"\(num(y - 4))\" r=\"2.6\" fill=\"\(color)\"/>"
      case .ring:
        s +=
          "<circle cx=\"\(num(x + 8))\" cy=\"\(num(y - 4))\" r=\"4.5\" fill=\"none\" "
          + "stroke=\"#000\"/>"
      case .shade:
        s +=
          "<rect x=\"\(num(x + 2))\" y=\"\(num(y - 10))\" width=\"12\" height=\"12\" "
          + "fill=\"#e8e8e8\" stroke=\"#bbb\"/>"
      }
      s +=
        "<text x=\"\(num(x + 22))\" y=\"\(num(y))\">\(svgEscaped(item.text))</text>\n"
    }
    for (note, row) in below.notes {
      s +=
        "<text x=\"\(num(ox + left))\" y=\"\(num(legendTop + Double(row) * Self.rowHeight))\" "
        + "fill=\"#555\">\(svgEscaped(note))</text>\n"
    }
    return s + "</g>\n"
  }

  /// A whole SVG document of panels laid out in `columns` columns.
  public static func document(
    _ panels: [SVGPlot], columns: Int, panelWidth: Double = 380, panelHeight: Double = 300
  ) -> String {
    let rows = (panels.count + columns - 1) / columns
    let w = Double(columns) * panelWidth
    let h = Double(rows) * panelHeight
    var s = svgHeader(width: w, height: h)
    // Panels side by side reserve the same legend rows, so their plot areas line up.
    let rowLegend = (0..<rows).map { r in
      panels.indices.filter { $0 / columns == r }.map {
        panels[$0].legendRows(panelWidth: panelWidth)
      }.max() ?? 0
    }
    for (k, p) in panels.enumerated() {
      s += p.group(
        x: Double(k % columns) * panelWidth, y: Double(k / columns) * panelHeight,
        width: panelWidth, height: panelHeight, legendRows: rowLegend[k / columns])
    }
    return s + "</svg>\n"
  }

  /// About five round ticks (1, 2, 5 × 10^k apart) in [a, b]; none when the range is empty or
  /// too narrow for its magnitude to be ticked in doubles.
  static func ticks(_ a: Double, _ b: Double) -> [Double] {
    let span = b - a
    let raw = span / 5
    guard raw.isFinite, raw > 0, raw > 4 * max(abs(a), abs(b)).ulp else { return [] }
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
    // Counted by index, so that the loop ends whatever the rounding of a + k·step.
    let first = ceil(a / step)
    let last = floor(b / step + 1e-12)
    guard last >= first, last - first <= 20 else { return [] }
    return (0...Int(last - first)).map { k in
      let t = (first + Double(k)) * step
      return abs(t) < 1e-12 * step ? 0 : t
    }
  }

  /// Ticks of a log axis spanning 10^a…10^b, as (log10 of the value, label or nil for a minor
  /// tick): at powers of ten when the axis shows at least two (every `step`-th one when it shows
  /// many, with unlabelled ticks at 2…9 × 10^k between them when `step` is 1); otherwise at
  /// 1, 2, 5 × 10^k (at 1…9 × 10^k if that gives fewer than three), labelled with their values.
  static func logTicks(_ a: Double, _ b: Double) -> [(t: Double, label: String?)] {
    let (lo, hi) = (Int(ceil(a - 1e-9)), Int(floor(b + 1e-9)))
    if hi - lo >= 1 {
      let step = max(1, (hi - lo + 6) / 6)
      var out = [(t: Double, label: String?)]()
      for k in lo...hi where k % step == 0 { out.append((Double(k), powerOfTen(k))) }
      if step == 1 {
        for k in (lo - 1)...hi {
          for m in 2...9 {
            let t = Double(k) + log10(Double(m))
            if t >= a && t <= b { out.append((t, nil)) }
          }
        }
      }
      return out
    }
    for mantissas in [[1.0, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]] {
      var out = [(t: Double, label: String?)]()
      for k in (lo - 1)...(hi + 1) {
        for m in mantissas {
          let t = Double(k) + log10(m)
          if t >= a - 1e-9 && t <= b + 1e-9 { out.append((t, decimal(m, k))) }
        }
      }
      if out.count >= 3 { return out }
    }
    // A narrow range: plain ticks of the values themselves.
    return ticks(pow(10, a), pow(10, b)).filter { $0 > 0 }.map { (log10($0), label($0)) }
  }

  /// 10^k written as "10" with a superscript exponent ("1" and "10" for k = 0, 1).
  static func powerOfTen(_ k: Int) -> String {
    if k == 0 { return "1" }
    if k == 1 { return "10" }
    let digits: [Character: Character] = [
      "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷",
      "8": "⁸", "9": "⁹",
    ]
    return "10" + String(String(k).map { digits[$0]! })
  }

  /// m × 10^k as a decimal (0.02, 500) when −3 ≤ k ≤ 4, else as "m×10ᵏ".
  static func decimal(_ m: Double, _ k: Int) -> String {
    if k >= -3 && k <= 4 {
      return String(format: "%.\(max(0, -k))f", m * pow(10, Double(k)))
    }
    return m == 1 ? powerOfTen(k) : "\(Int(m))×\(powerOfTen(k))"
  }

  static func label(_ x: Double) -> String {
    if x == x.rounded() && abs(x) < 1e6 { return String(Int(x)) }
    return String(format: "%.3g", x)
  }
}

/// The opening tag of an SVG document with a white background.
func svgHeader(width: Double, height: Double) -> String {
  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(num(width))\" height=\"\(num(height))\" "
    + "viewBox=\"0 0 \(num(width)) \(num(height))\">\n"
    + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
}

/// A coordinate with two decimals.
func svgNumber(_ x: Double) -> String { String(format: "%.2f", x) }

/// Text escaped for XML.
func svgEscaped(_ s: String) -> String {
  s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    .replacingOccurrences(of: ">", with: "&gt;")
}

/// A coordinate with two decimals (short name for the long SVG strings of this file).
private func num(_ x: Double) -> String { svgNumber(x) }
