/// `text` on one line: every control character (a newline in a file name, an escape sequence
/// in a checkpoint's metadata) written as a Swift escape, `\n` or `\u{1B}`, so that what ujm
/// prints stays one line and cannot move the terminal's cursor or retitle its window.
public func oneLine(_ text: String) -> String {
  var out = ""
  for scalar in text.unicodeScalars {
    if scalar.properties.generalCategory == .control {
      out += scalar.escaped(asASCII: false)
    } else {
      out.unicodeScalars.append(scalar)
    }
  }
  return out
}
