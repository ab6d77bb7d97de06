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
    guard (0..<ImageClassificationData.largestClassCount).contains(c) else {
      throw ValidationError(
        "--classes: \(c) is not a class of the data set (0–9; 0–99 for CIFAR-100)")
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

/// Whether standard error is a terminal (progress bars) or not (one line per epoch).
var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

/// `x` as a percentage with two decimals.
func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }

/// `x` with `digits` decimals.
func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

extension WeightDecayScope: ExpressibleByArgument {}
extension CIFARFile.Labels: ExpressibleByArgument {}
