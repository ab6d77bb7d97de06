import Foundation

/// Progress of `ujm measure` on standard error, never on standard output: one line when a stage
/// starts and one when it ends (with its seconds); within a long stage (the Neural Collapse
/// passes), a bar redrawn in place on a terminal, otherwise a line at every quarter.
final class MeasureProgress {
  private let write: (String) -> Void
  private let terminal: Bool
  private var quartersShown = 0

  /// Progress to standard error; `terminal` draws bars in place.
  convenience init(terminal: Bool) {
    self.init(terminal: terminal) { FileHandle.standardError.write(Data($0.utf8)) }
  }

  /// Plain lines handed to `sink` (each ends with a newline).
  convenience init(sink: @escaping (String) -> Void) {
    self.init(terminal: false, write: sink)
  }

  private init(terminal: Bool, write: @escaping (String) -> Void) {
    self.terminal = terminal
    self.write = write
  }

  /// A stage begins.
  func stage(_ text: String) {
    quartersShown = 0
    write("measure: \(text)…\n")
  }

  /// `done` of `total` items of the current stage are finished.
  func advance(_ done: Int, of total: Int) {
    guard total > 0 else { return }
    if terminal {
      let width = 30
      let filled = width * min(done, total) / total
      let bar =
        String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
      write("\r  [\(bar)] \(done)/\(total)")
      return
    }
    let quarters = 4 * min(done, total) / total
    if quarters > quartersShown && quarters < 4 {
      quartersShown = quarters
      write("measure:   \(done)/\(total)\n")
    }
  }

  /// A line of its own (a figure of the stage that just ended).
  func note(_ text: String) {
    write("measure:   \(text)\n")
  }

  /// The current stage ended after `seconds`.
  func done(seconds: Double) {
    if terminal { write("\r\u{1B}[K") }
    write("measure:   done in \(String(format: "%.1f", seconds)) s\n")
  }
}
