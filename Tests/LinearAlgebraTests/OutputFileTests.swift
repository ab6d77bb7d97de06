import Foundation
import LinearAlgebra
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite("A file ujm writes replaces an existing path only if ujm wrote it")
struct OutputFileTests {
  @Test func anOutputRefusesAUsersFileASymlinkAndADanglingLink() throws {
    let directory = temporaryDirectory("output-file")
    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
    try "precious".write(toFile: path("mine.txt"), atomically: false, encoding: .utf8)
    #expect(throws: AtomicWriteError.self) {
      try OutputFile.write(Array("x".utf8), to: path("mine.txt"))
    }
    #expect(try String(contentsOfFile: path("mine.txt"), encoding: .utf8) == "precious")
    try FileManager.default.createSymbolicLink(
      atPath: path("link"), withDestinationPath: path("mine.txt"))
    do {
      try OutputFile.write(Array("x".utf8), to: path("link"))
      Issue.record("wrote through a link")
    } catch {
      #expect(error.description.contains("symbolic link") && error.path == path("link"))
    }
    #expect(try String(contentsOfFile: path("mine.txt"), encoding: .utf8) == "precious")
    try FileManager.default.createSymbolicLink(
      atPath: path("dangling"), withDestinationPath: "nonexistent-dir/x")
    #expect(throws: AtomicWriteError.self) {
      try OutputFile.write(Array("x".utf8), to: path("dangling"))
    }
    #expect(!FileManager.default.fileExists(atPath: path("nonexistent-dir")))
    #expect(throws: AtomicWriteError.self) {
      try OutputFile.write(Array("x".utf8), to: path("missing/x"))
    }
    #expect(!FileManager.default.fileExists(atPath: path("missing")))
    // A record that is not ujm's is refused, not overwritten.
    let other = temporaryDirectory("output-file-record")
    let record = (other as NSString).appendingPathComponent(OutputFile.recordName)
    try "mine".write(toFile: record, atomically: false, encoding: .utf8)
    #expect(throws: AtomicWriteError.self) {
      try OutputFile.write(Array("x".utf8), to: (other as NSString).appendingPathComponent("new"))
    }
    #expect(try String(contentsOfFile: record, encoding: .utf8) == "mine")
  }

  @Test func writeAllWritesNoneWhenOnePathIsRefused() throws {
    let directory = temporaryDirectory("output-file-all")
    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
    try "precious".write(toFile: path("c.txt"), atomically: false, encoding: .utf8)
    let files: [(path: String, bytes: [UInt8], isOurs: (String) -> Bool)] = ["a", "b", "c"].map {
      (path("\($0).txt"), Array("x".utf8), { _ in false })
    }
    do {
      try OutputFile.writeAll(files)
      Issue.record("wrote over a user's file")
    } catch {
      #expect(error.path == path("c.txt"))
    }
    let left = try FileManager.default.contentsOfDirectory(atPath: directory)
    print("after a refused writeAll the directory holds \(left) (expected only c.txt)")
    #expect(left == ["c.txt"])
    #expect(try String(contentsOfFile: path("c.txt"), encoding: .utf8) == "precious")
    // Without the user's file, all three are written.
    try FileManager.default.removeItem(atPath: path("c.txt"))
    try OutputFile.writeAll(files)
    #expect(files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
  }

  @Test func aCtrlCWhileOutputsAreWrittenIsHeldUntilAllAreWritten() throws {
    // SIGINT raised after the first of three files: all three are written, the signal comes
    // back to be raised, and SIGINT's default action is restored afterwards.
    // The test runner may ignore or handle SIGINT itself: the default action (termination) for
    // the test, the runner's afterwards. Should the hold fail, the runner is killed.
    let runners = signal(SIGINT, SIG_DFL)
    defer { signal(SIGINT, runners) }
    var mask = sigset_t()
    sigemptyset(&mask)
    sigaddset(&mask, SIGINT)
    var runnersMask = sigset_t()
    pthread_sigmask(SIG_UNBLOCK, &mask, &runnersMask)
    defer { pthread_sigmask(SIG_SETMASK, &runnersMask, nil) }
    let directory = temporaryDirectory("output-file-held")
    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
    let (written, held) = OutputFile.holdingTermination { () -> Int in
      var count = 0
      for name in ["a", "b", "c"] {
        do { try OutputFile.write(Array("x".utf8), to: path(name)) } catch { break }
        count += 1
        if count == 1 { raise(SIGINT) }
      }
      return count
    }
    print(
      "files written while SIGINT was held: \(written) of 3; held signal \(held) (SIGINT \(SIGINT))"
    )
    #expect(written == 3 && held == SIGINT)
    let restored = signal(SIGINT, SIG_DFL)
    #expect(unsafeBitCast(restored, to: Int.self) == 0, "SIGINT's default action was not restored")
    // Nothing held when nothing arrives.
    #expect(OutputFile.holdingTermination { 1 }.held == 0)
  }

  @Test func reRunningOntoItsOwnOutputStillWorks() throws {
    let directory = temporaryDirectory("output-file-again")
    let path = (directory as NSString).appendingPathComponent("report.json")
    try OutputFile.write(Array("1".utf8), to: path)
    try OutputFile.write(Array("2".utf8), to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "2")
    // A figure ujm drew before the record existed (as committed ones were) is recognised.
    let figure = (directory as NSString).appendingPathComponent("old").appending(".svg")
    let svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10.00\" height=\"10.00\">\n"
      + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n</svg>\n"
    try svg.write(toFile: figure, atomically: false, encoding: .utf8)
    try OutputFile.write(Array(svg.utf8), to: figure, isOurs: OutputFile.isFigure)
    let user = (directory as NSString).appendingPathComponent("user.svg")
    try "<svg><!-- mine --></svg>".write(toFile: user, atomically: false, encoding: .utf8)
    #expect(throws: AtomicWriteError.self) {
      try OutputFile.write(Array(svg.utf8), to: user, isOurs: OutputFile.isFigure)
    }
  }

  @Test func theCommittedFiguresAndCSVsAreRecognisedAsUjms() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().path
    let notebooks = (root as NSString).appendingPathComponent("notebooks-text")
    let files = try FileManager.default.subpathsOfDirectory(atPath: notebooks)
    let figures = files.filter { $0.hasPrefix("figures/") && $0.hasSuffix(".svg") }
    let tables = files.filter { $0.hasPrefix("data/") && $0.hasSuffix(".csv") }
    #expect(!figures.isEmpty && !tables.isEmpty)
    for figure in figures {
      #expect(
        OutputFile.isFigure((notebooks as NSString).appendingPathComponent(figure)), "\(figure)")
    }
    for table in tables {
      let path = (notebooks as NSString).appendingPathComponent(table)
      #expect(OutputFile.hasHeader(path, prefix: "index,status,", suffix: ",run_dir"), "\(table)")
    }
  }

  @Test func aLockFileThatIsNotUjmsIsRefusedNotOverwritten() throws {
    let directory = temporaryDirectory("output-file-lock")
    let path = (directory as NSString).appendingPathComponent(".lock")
    try "precious".write(toFile: path, atomically: false, encoding: .utf8)
    #expect(throws: FileLock.Failure.self) { _ = try FileLock(path: path) }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
    // ujm's own lock format (a dead owner's, say) is taken over.
    try "12345 somehost\n".write(toFile: path, atomically: false, encoding: .utf8)
    let lock = try FileLock(path: path)
    #expect(FileLock.owner(at: path)?.pid == getpid())
    _ = lock
  }

  /// Issue 19 defect 1: 32 concurrent writers in one directory (separate descriptors, so their
  /// `flock`s exclude one another as separate processes' do) leave all 32 names recorded, and a
  /// re-write of each is then allowed.
  @Test func concurrentWritersInOneDirectoryAreAllRecorded() throws {
    let directory = temporaryDirectory("output-file-concurrent")
    let count = 32
    DispatchQueue.concurrentPerform(iterations: count) { i in
      let path = (directory as NSString).appendingPathComponent("f\(i).json")
      try? OutputFile.write(Array("\(i)".utf8), to: path)
    }
    let record = try String(
      contentsOfFile: (directory as NSString).appendingPathComponent(OutputFile.recordName),
      encoding: .utf8)
    let recorded = Set(record.split(separator: "\n").dropFirst().map(String.init))
    print("recorded \(recorded.count) of \(count) names (tolerance: all)")
    #expect(recorded == Set((0..<count).map { "f\($0).json" }))
    for i in 0..<count {
      let path = (directory as NSString).appendingPathComponent("f\(i).json")
      #expect(throws: Never.self) { try OutputFile.write(Array("again".utf8), to: path) }
    }
  }

  /// Issue 19 defect 1 (#22): a name with a control character (a newline would split the
  /// record's line) is refused before anything is written.
  @Test func aNameWithAControlCharacterIsRefusedNotWrittenUnrecorded() throws {
    let directory = temporaryDirectory("output-file-newline")
    for name in ["a\nb.json", "tab\there.json", "esc\u{1B}[31m.json"] {
      let path = (directory as NSString).appendingPathComponent(name)
      #expect(throws: AtomicWriteError.self) { try OutputFile.write(Array("x".utf8), to: path) }
      #expect(!FileManager.default.fileExists(atPath: path))
    }
  }
}
