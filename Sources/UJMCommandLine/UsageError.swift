import ArgumentParser
import Empirical
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

extension EmpiricalRunError {
  /// The command's error for a library run's: bad input is a `UsageError` (exit 64), a failure
  /// while running a `RunFailure` (exit 1).
  var commandLineError: any Error {
    switch self {
    case .usage(let message): UsageError(message)
    case .failure(let message): RunFailure(message)
    }
  }
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
    if arguments == Array(CommandLine.arguments.dropFirst()),
      let refusal = nonUTF8Refusal(rawArguments())
    {
      printError(refusal)
      Foundation.exit(64)
    }
    if let refusal = emptyValueRefusal(arguments) {
      printError("\(commandPath(arguments)): error: \(refusal)")
      Foundation.exit(64)
    }
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
    let message = message(for: error).split(separator: "\n")
      .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      .joined(separator: " ")
    return "\(commandPath(arguments)): error: \(oneLine(message))"
  }

  /// `ujm`, `ujm <subcommand>` or `ujm sweep <subcommand>`: the command that `arguments` name,
  /// as every error line of that command starts (`reportingUsageErrors` prints the same).
  static func commandPath(_ arguments: [String]) -> String {
    var path = "ujm"
    var commands: [ParsableCommand.Type] = configuration.subcommands
    for argument in arguments {
      guard let command = commands.first(where: { $0._commandName == argument }) else { break }
      path += " " + argument
      commands = command.configuration.subcommands
    }
    return path
  }

  /// The command line as the kernel passed it, program name excluded: bytes, not yet decoded
  /// (Swift's `CommandLine.arguments` has already replaced invalid UTF-8 by U+FFFD).
  static func rawArguments() -> [[UInt8]] {
    (1..<Int(CommandLine.argc)).map { i in
      guard let p = CommandLine.unsafeArgv[i] else { return [] }
      return Array(UnsafeBufferPointer(start: p, count: strlen(p))).map { UInt8(bitPattern: $0) }
    }
  }

  /// `ujm <subcommand>: error: …` naming the first argument that is not valid UTF-8 and its
  /// option, or nil when every argument is UTF-8. ujm refuses such a name rather than handling
  /// raw bytes: decoded, the bytes would become U+FFFD and name another file than the user's.
  static func nonUTF8Refusal(_ arguments: [[UInt8]]) -> String? {
    guard let i = arguments.firstIndex(where: { String(validating: $0, as: UTF8.self) == nil })
    else { return nil }
    let raw = arguments[i]
    let shown = raw.map { b in
      (0x20..<0x7f).contains(b) && b != 0x5c
        ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16, uppercase: true)
    }.joined()
    let text = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
    let option: String
    if raw.first == 0x2d, let equals = raw.firstIndex(of: 0x3d) {
      option = text(Array(raw[..<equals]))
    } else if i > 0, arguments[i - 1].first == 0x2d {
      option = text(arguments[i - 1])
    } else {
      option = "argument \(i + 1)"
    }
    let path = commandPath(arguments.map(text))
    return "\(path): error: \(oneLine(option)) '\(shown)' is not valid UTF-8; ujm reads names "
      + "as UTF-8 and would name another file: rename it"
  }

  /// "--output must not be empty" for the first empty value (`--output ""`, `--output=`), or
  /// nil: no option of ujm takes an empty value, and an empty path would otherwise be reported
  /// as a file with no name.
  static func emptyValueRefusal(_ arguments: [String]) -> String? {
    for (i, argument) in arguments.enumerated() {
      if argument.hasPrefix("--"), argument.hasSuffix("="), argument.count > 3 {
        return "\(oneLine(String(argument.dropLast()))) must not be empty"
      }
      guard argument.isEmpty else { continue }
      if i > 0, arguments[i - 1].hasPrefix("-"), !arguments[i - 1].contains("=") {
        return "\(oneLine(arguments[i - 1])) must not be empty"
      }
      return "argument \(i + 1) must not be empty"
    }
    return nil
  }
}
