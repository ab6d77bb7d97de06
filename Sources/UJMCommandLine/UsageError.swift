import ArgumentParser
import Foundation
import LinearAlgebra
import Sweeps

/// A bad argument or input file: printed as one line naming it, then exit 64 (EX_USAGE).
struct UsageError: Error, CustomStringConvertible {
  var message: String
  init(_ message: String) { self.message = message }
  var description: String { message }
}

/// A failure found while running that is not the user's input (a full disk, a diverged
/// training): printed as one line, then the given exit status (1 by default).
struct RunFailure: Error, CustomStringConvertible {
  var message: String
  var exitCode: Int32
  init(_ message: String, exitCode: Int32 = 1) {
    self.message = message
    self.exitCode = exitCode
  }
  var description: String { message }
}

/// Writes a line to standard error.
func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Runs `body` and renders every failure as one line `ujm <command>: error: …` on stderr:
/// a `UsageError` exits 64, a `RunFailure` with its own status, any other error (an I/O error
/// from Foundation, say) as a sentence without the `NSError` dump, exit 1.
func reportingUsageErrors(command: String = "", _ body: () throws -> Void) throws {
  let prefix = "ujm\(command.isEmpty ? "" : " " + command): error: "
  do {
    try body()
  } catch let error as UsageError {
    printError(prefix + oneLine(error.message))
    throw ExitCode(64)
  } catch let error as RunFailure {
    printError(prefix + oneLine(error.message))
    throw ExitCode(error.exitCode)
  } catch let error as ExitCode {
    throw error
  } catch {
    printError(prefix + oneLine(reasonText(error)))
    throw ExitCode(1)
  }
}

/// Writes `data` to `path` atomically, only where ujm may (`OutputFile`: a new name or a file
/// ujm wrote, never through a symbolic link, never over a user's file); a refusal names `option`
/// and the file (exit 64); a failure of the storage (a full disk, an I/O error) is a
/// `RunFailure` (exit 1), as the README says.
func writeAtomically(
  _ data: Data, to path: String, option: String = "--output",
  isOurs: (String) -> Bool = { _ in false }
) throws {
  do {
    try OutputFile.write(data, to: path, isOurs: isOurs)
  } catch  where error.isStorageFailure {
    throw RunFailure("\(option) \(error)")
  } catch {
    throw UsageError("\(option) \(error)")
  }
}

/// Refuses, before any work, an output ujm may not write (`OutputFile.check`).
func checkOutput(
  _ path: String, option: String = "--output", isOurs: (String) -> Bool = { _ in false }
) throws(UsageError) {
  do {
    try OutputFile.check(path, isOurs: isOurs)
  } catch {
    throw UsageError("\(option) \(error)")
  }
}

/// `value` as one line of JSON: the one encoder (`ReportJSON`: sorted keys, non-finite numbers
/// as `null`). An encoding failure is an error, never an empty output.
func jsonLine<T: Encodable>(_ value: T) throws -> String {
  do {
    return try ReportJSON.string(value)
  } catch {
    throw RunFailure("cannot encode the report as JSON (\(error))", exitCode: 70)
  }
}

extension UJMCommand {
  /// The entry point of the `ujm` executable: parses, runs, and renders every failure,
  /// argument-parser's own included, as one line `ujm <subcommand>: error: …` (exit 64 for bad
  /// input). `--help` and `--version` print as usual.
  public static func runMain(_ arguments: [String] = Array(CommandLine.arguments.dropFirst()))
    -> Never
  {
    // A ujm that a sweep started: default signal actions, and gone when its parent is.
    ChildProcesses.adoptParent()
    do {
      var command = try parseAsRoot(arguments)
      try command.run()
      Foundation.exit(0)
    } catch let code as ExitCode {
      Foundation.exit(code.rawValue)
    } catch {
      let code = exitCode(for: error)
      if code == .success { exit(withError: error) }  // --help, --version
      printError(errorLine(for: error, arguments: arguments))
      Foundation.exit(code.rawValue)
    }
  }

  /// `ujm <subcommand>: error: <argument-parser's message on one line>`.
  static func errorLine(for error: any Error, arguments: [String]) -> String {
    let names = configuration.subcommands.map { $0._commandName }
    let sub = arguments.first.flatMap { names.contains($0) ? $0 : nil }
    let message = message(for: error).split(separator: "\n")
      .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      .joined(separator: " ")
    return "ujm\(sub.map { " " + $0 } ?? ""): error: \(oneLine(message))"
  }
}
