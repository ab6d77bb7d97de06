import ArgumentParser
import Foundation

/// A bad argument or input file: printed as one line naming it, then exit 64 (EX_USAGE).
struct UsageError: Error, CustomStringConvertible {
  var message: String
  init(_ message: String) { self.message = message }
  var description: String { message }
}

/// Writes a line to standard error.
func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Runs `body`; a `UsageError` becomes one line on stderr and exit code 64.
func reportingUsageErrors(command: String = "", _ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as UsageError {
    printError("ujm\(command.isEmpty ? "" : " " + command): error: \(error.message)")
    throw ExitCode(64)
  }
}

/// Writes `data` to `path` atomically: a temporary file in the same directory, then a rename, so
/// that an interrupted write leaves any earlier file intact.
func writeAtomically(_ data: Data, to path: String, option: String = "--output") throws {
  let url = URL(fileURLWithPath: path)
  do {
    try data.write(to: url, options: .atomic)
  } catch {
    throw UsageError("\(option) \(path): cannot be written (\(error.localizedDescription))")
  }
}
