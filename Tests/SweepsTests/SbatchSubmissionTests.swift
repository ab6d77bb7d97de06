import Foundation
import TestSupport
import Testing

@testable import Sweeps

/// `sweep slurm` submits with a real (stand-in) `sbatch` executable: one that hangs is stopped
/// after the time allowed, one that floods its output is quoted in 500 characters at most.
@Suite("sbatch submission is bounded in time and in what it reads back")
struct SbatchSubmissionTests {
  func standIn(_ body: String) throws -> String {
    let path = (temporaryDirectory("sbatch") as NSString).appendingPathComponent("sbatch")
    try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return path
  }

  @Test func aHungSbatchIsStoppedAndReportedNotWaitedFor() throws {
    let sbatch = try standIn("sleep 1000")
    let start = Date()
    #expect(throws: SlurmError.timedOut(seconds: 1)) {
      try SlurmSubmission.submit("/nonexistent/sweep.sbatch", timeout: 1, sbatch: sbatch)
    }
    let waited = Date().timeIntervalSince(start)
    print("hung sbatch: stopped after \(waited) s (timeout 1 s, grace 5 s)")
    #expect(waited < 10)
  }

  @Test func aFloodOfErrorOutputIsQuotedShort() throws {
    let sbatch = try standIn("head -c 5000000 /dev/zero | tr '\\\\0' x >&2; exit 1")
    do {
      _ = try SlurmSubmission.submit("/nonexistent/sweep.sbatch", timeout: 30, sbatch: sbatch)
      Issue.record("a failing sbatch was taken as a submission")
    } catch {
      let text = error.description
      print("flooding sbatch: \(text.count) characters of message")
      #expect(text.count < 700 && !text.contains("\n"))
      #expect(text.hasPrefix("sbatch: rejected the job (exit status 1)"))
    }
  }

  @Test func aJobIDIsReadFromTheFirstField() throws {
    let sbatch = try standIn("echo '4242;cluster'")
    #expect(try SlurmSubmission.submit("/x/sweep.sbatch", timeout: 30, sbatch: sbatch) == "4242")
  }

  /// Issue 19 defect 17: what sbatch prints is quoted on one line with control characters
  /// escaped (a newline, an ANSI escape), in a rejection and in an unreadable job id.
  @Test func sbatchOutputIsQuotedOnOneLineWithEscapesShown() throws {
    for (body, expected) in [
      (#"printf 'bad\nline\033[31mred' >&2; exit 1"#, "rejected"),
      (#"printf 'no\nid\033[2J'"#, "no job id"),
    ] {
      let sbatch = try standIn(body)
      do {
        _ = try SlurmSubmission.submit("/x/sweep.sbatch", timeout: 30, sbatch: sbatch)
        Issue.record("\(body) was taken as a submission")
      } catch {
        let text = error.description
        print(text)
        #expect(text.contains(expected) && !text.contains("\n") && !text.contains("\u{1B}"))
        #expect(text.contains("\\n") && text.contains("\\u{1B}"))
      }
    }
  }
}
