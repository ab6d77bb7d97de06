import Foundation
import TestSupport
import Testing

@testable import Sweeps

@Suite("sweep local appends only to the logs it created, never through a link")
struct LocalLogTests {
  private func executor(_ directory: String) -> LocalExecutor {
    LocalExecutor(
      ujm: "/bin/true", runArguments: [], jobs: 1, threads: 1,
      logDirectory: (directory as NSString).appendingPathComponent("logs"))
  }

  @Test func sweepLocalRefusesAUsersLogAndASymlinkedLogsDirectory() throws {
    let directory = temporaryDirectory("local-user-log")
    let logs = (directory as NSString).appendingPathComponent("logs")
    try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
    let log = (logs as NSString).appendingPathComponent("local_0.out")
    try "precious".write(toFile: log, atomically: false, encoding: .utf8)
    #expect(throws: RunError.self) { _ = try executor(directory).run([0]) { _ in } }
    #expect(try String(contentsOfFile: log, encoding: .utf8) == "precious")

    let linked = temporaryDirectory("local-linked-logs")
    let elsewhere = temporaryDirectory("local-elsewhere")
    try FileManager.default.createSymbolicLink(
      atPath: (linked as NSString).appendingPathComponent("logs"), withDestinationPath: elsewhere)
    #expect(throws: RunError.self) { _ = try executor(linked).run([0]) { _ in } }
    #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
  }

  @Test func reRunningOntoItsOwnLogsStillWorks() throws {
    let directory = temporaryDirectory("local-own-log")
    let first = try executor(directory).run([0]) { _ in }
    #expect(first.failed.isEmpty)
    let again = try executor(directory).run([0]) { _ in }
    #expect(again.failed.isEmpty && again.progress.done == 1)
  }
}
