import Testing

@testable import LinearAlgebra

/// Text from files (a checkpoint's `arch`, a file name) is printed with its control characters
/// escaped: one line, and no escape sequence reaches the terminal.
@Suite("oneLine: no control character reaches the terminal")
struct OneLineTests {
  @Test func newlinesEscapesAndNulsAreWrittenAsEscapes() {
    let hostile = "arch\u{1B}]0;title\u{07}\nsecond\u{0}"
    let shown = oneLine(hostile)
    print("shown as: \(shown)")
    #expect(!shown.unicodeScalars.contains { $0.properties.generalCategory == .control })
    #expect(shown.contains("\\u{1B}") && shown.contains("\\n"))
    #expect(oneLine("plain text: σ₁ = 0.5") == "plain text: σ₁ = 0.5")
  }
}
