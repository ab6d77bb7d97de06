import ArgumentParser
import Empirical
import Foundation

/// The default data directory: Debian's `dataset-fashion-mnist`.
let defaultDataDirectory = "/usr/share/datasets/fashion-mnist"

/// Parses `--classes 0,3,7`: distinct classes of the data set, at least two.
func parseClasses(_ text: String) throws -> [Int] {
  let parts = text.split(separator: ",", omittingEmptySubsequences: false)
  var classes: [Int] = []
  for part in parts {
    let trimmed = part.trimmingCharacters(in: .whitespaces)
    guard let c = Int(trimmed) else {
      throw ValidationError("--classes: '\(trimmed)' is not a class number (0–9)")
    }
    guard (0..<ImageClassificationData.fullClassCount).contains(c) else {
      throw ValidationError("--classes: \(c) is not a class of the data set (0–9)")
    }
    guard !classes.contains(c) else {
      throw ValidationError("--classes: class \(c) is listed twice")
    }
    classes.append(c)
  }
  guard classes.count >= 2 else {
    throw ValidationError("--classes: needs at least two classes (got \(classes.count))")
  }
  return classes
}

/// Writes `message` and a newline to standard error.
func printError(_ message: String) {
  FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Whether standard error is a terminal (progress bars) or not (one line per epoch).
var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

/// Encodes `value` as one line of JSON with sorted keys.
func jsonLine<T: Encodable>(_ value: T) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
  return String(decoding: data, as: UTF8.self)
}

/// `x` as a percentage with two decimals.
func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }

/// Bad input found while running (a missing or corrupt file): printed as one line, exit 64.
struct UsageError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Runs `body`; a `UsageError` is printed to standard error as `error: …` and becomes exit
/// code 64 (EX_USAGE), without a stack trace.
func reportingUsageErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as UsageError {
    printError("error: \(error)")
    throw ExitCode(64)
  }
}

/// `x` with `digits` decimals.
func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
