import Empirical
import Foundation
import LinearAlgebra

#if canImport(Glibc)
  import Glibc
#endif

/// Where a run stands, read from its directory (never from a scheduler's accounting).
public enum RunStatus: String, Sendable, Codable, CaseIterable {
  /// Not started, or interrupted (killed, timed out) and to be resumed.
  case pending
  /// A live process holds the run's lock.
  case running
  /// The completion marker is there: written last, atomically, after every step succeeded.
  case complete
  /// A step exited with an error; `failed.json` holds its last log line.
  case failed
}

/// What `failed.json` records: the step that failed, its exit status and its last log line.
public struct StepFailure: Sendable, Equatable, Codable {
  public var step: String
  public var exitStatus: Int32
  public var lastLogLine: String?

  public init(step: String, exitStatus: Int32, lastLogLine: String?) {
    self.step = step
    self.exitStatus = exitStatus
    self.lastLogLine = lastLogLine
  }

  enum CodingKeys: String, CodingKey {
    case step
    case exitStatus = "exit_status"
    case lastLogLine = "last_log_line"
  }
}

/// The completion marker `complete.json`.
public struct RunCompletion: Sendable, Equatable, Codable {
  public var index: Int
  public var settings: [String: String]
  public var finished: String

  public init(index: Int, settings: [String: String], finished: String) {
    self.index = index
    self.settings = settings
    self.finished = finished
  }
}

/// The files of one run directory `DIR/runs/<index>-<hash>`.
///
/// `ujm train --output` writes `checkpoint.safetensors`, `optimizer.safetensors` and
/// `metrics.jsonl` here; the sweep adds `sweep.lock` (pid and host), `log.txt` (the steps'
/// standard error), `train.json` (train's summary, once training finished), `measure.json` and
/// `measure-epoch<E>.json` (measure's reports), `failed.json` and, last of all, `complete.json`.
public struct SweepRunDirectory: Sendable {
  public var path: String

  public init(path: String) { self.path = path }

  public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

  public var lock: String { file("sweep.lock") }
  public var log: String { file("log.txt") }
  public var checkpoint: String { file("checkpoint.safetensors") }
  public var metrics: String { file("metrics.jsonl") }
  public var trainSummary: String { file("train.json") }
  public var measurement: String { file("measure.json") }
  public func measurement(epoch: Int) -> String { file("measure-epoch\(epoch).json") }
  public func snapshot(epoch: Int) -> String { file("checkpoint-epoch\(epoch).safetensors") }
  public var failure: String { file("failed.json") }
  public var completion: String { file("complete.json") }

  func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }

  /// pending, running, complete or failed, in that order of checks: complete first (the marker
  /// is final) when `complete.json` is a completion marker and every step's output there reads,
  /// then a live lock, then a failure record or an unreadable file (`problem`). A path that
  /// exists but is not a directory (a file put there) is failed, as `sweep local` finds when it
  /// cannot start it.
  public var status: RunStatus {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      !isDirectory.boolValue
    {
      return .failed
    }
    let unreadable = unreadableFiles
    if unreadable.isEmpty && exists(completion) { return .complete }
    if RunLock.isHeld(at: lock) { return .running }
    if exists(failure) || !unreadable.isEmpty { return .failed }
    return .pending
  }

  /// The files of the run that are there but are not what the sweep writes under their name:
  /// `complete.json` that is no completion marker, `train.json` that is no train summary,
  /// `measure.json` or `measure-epoch<E>.json` that is no measure report (garbage, a truncated
  /// copy, a FIFO). Each with the reason, as a phrase.
  public var unreadableFiles: [(path: String, reason: String)] {
    var names = ["complete.json", "train.json", "measure.json"]
    names += ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter {
      $0.hasPrefix("measure-epoch") && $0.hasSuffix(".json")
    }.sorted()
    return names.compactMap { name -> (path: String, reason: String)? in
      let file = self.file(name)
      guard exists(file) else { return nil }
      let what: String
      let reads: (Data) -> Bool
      switch name {
      case "complete.json":
        what = "a completion marker"
        reads = { (try? JSONDecoder().decode(RunCompletion.self, from: $0)) != nil }
      case "train.json":
        what = "train's summary"
        // The fields every ujm's summary has had (a run of an older ujm stays complete).
        struct Core: Decodable { var epochs: Int, steps: Int }
        reads = { (try? JSONDecoder().decode(Core.self, from: $0)) != nil }
      default:
        what = "a measure report"
        reads = { (try? JSONDecoder().decode(MeasurementHeadlines.self, from: $0)) != nil }
      }
      let data: Data
      do throws(InputFileError) {
        data = Data(try RegularFile.read(file, maximumBytes: 256 << 20, what: "a file of a run"))
      } catch {
        return (file, error.reason)
      }
      return reads(data) ? nil : (file, "is not \(what)")
    }
  }

  /// A sentence naming the first unreadable file of the run and what follows (the run is failed
  /// and `--retry-failed` redoes the step that wrote it); nil when every file reads.
  public var problem: String? {
    unreadableFiles.first.map { f in
      "\(f.path): unreadable (\(f.reason)); the run counts as failed and a retry redoes "
        + "\(f.path.hasSuffix("complete.json") ? "its completion" : "the step that wrote it")"
    }
  }

  /// The failure record, when the run failed.
  public var failureRecord: StepFailure? {
    guard let data = Self.contents(of: failure) else { return nil }
    return try? JSONDecoder().decode(StepFailure.self, from: data)
  }

  /// The last line of `log.txt` that says "error" (argument-parser follows its error with a
  /// usage hint), else its last non-empty line. Progress bars' carriage returns split lines.
  public var lastLogLine: String? {
    guard let data = Self.contents(of: log) else { return nil }
    let text = String(decoding: data, as: UTF8.self)
    let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
      .filter { !$0.hasPrefix("[") && !$0.hasPrefix("$ ") }
    return lines.last { $0.localizedCaseInsensitiveContains("error") }.map(String.init)
      ?? Self.lastLine(of: text)
  }

  /// The bytes of a file the sweep wrote, or nil when it is missing, not a regular file (a FIFO
  /// put there cannot hang `sweep status`), or over 256 MiB.
  static func contents(of path: String) -> Data? {
    (try? RegularFile.read(path, maximumBytes: 256 << 20, what: "a file of a run")).map {
      Data($0)
    }
  }

  static func lastLine(of text: String) -> String? {
    text.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
      .last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init)
  }

  /// Writes `value` as JSON to `path` atomically.
  func write<T: Encodable>(_ value: T, to path: String) throws(RunError) {
    do {
      let data = try ReportJSON.encode(value)
      try AtomicFile.write(Array(data) + [0x0a], to: path)
    } catch {
      throw .cannotWrite(path: path, reason: reasonText(error))
    }
  }

  /// Appends a line to `log.txt`.
  func appendLog(_ line: String) {
    guard let handle = try? openLog() else { return }
    handle.write(Data((line + "\n").utf8))
    try? handle.close()
  }

  /// `log.txt` opened for appending, created when missing; anything but a regular file there
  /// (a FIFO would block the open, a link could lead anywhere) is refused.
  func openLog() throws(RunError) -> FileHandle {
    let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
    var info = stat()
    guard fd >= 0 else {
      let reason = String(cString: strerror(errno))
      // A FIFO without a reader (ENXIO) or a link (ELOOP): say what is there.
      if lstat(log, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
        throw .cannotWrite(
          path: log, reason: "is \(AtomicFile.kindName(info.st_mode)), not a regular file")
      }
      throw .cannotWrite(path: log, reason: reason)
    }
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      close(fd)
      throw .cannotWrite(
        path: log, reason: "is \(AtomicFile.kindName(info.st_mode)), not a regular file")
    }
    return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
  }
}
