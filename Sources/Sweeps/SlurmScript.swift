import Foundation
import LinearAlgebra

/// The job-array script of `ujm sweep slurm`: one array task per run, at most K at once.
///
/// ```
/// #!/bin/bash
/// #SBATCH --job-name=ujm-<spec>
/// #SBATCH --array=0-(N−1)%K
/// #SBATCH --cpus-per-task=T
/// #SBATCH --mem=M            (when the spec gives resources.memory)
/// #SBATCH --time=HH:MM:SS    (when the spec gives resources.time)
/// #SBATCH --output=DIR/logs/%A_%a.out
/// #SBATCH --partition=P --account=A   (when given)
/// export OPENBLAS_NUM_THREADS=$SLURM_CPUS_PER_TASK
/// exec /abs/ujm sweep run /abs/SPEC --dir /abs/DIR [--variant V] --index "$SLURM_ARRAY_TASK_ID"
/// ```
/// Every path is absolute, so the script runs from any working directory on the nodes. Nothing
/// reaches the script unquoted: words on the shell line are quoted for bash, values on `#SBATCH`
/// lines for sbatch's own parser, and a word with a control character is refused (`validate()`).
public struct SlurmScript: Sendable, Equatable {
  public var name: String
  public var runs: Int
  public var maxParallel: Int
  public var cpusPerTask: Int
  public var memory: String?
  public var time: String?
  /// The absolute sweep directory.
  public var directory: String
  public var partition: String?
  public var account: String?
  /// The absolute path of the `ujm` executable.
  public var ujm: String
  /// The absolute path of the spec.
  public var spec: String
  public var variant: String?

  public init(
    name: String, runs: Int, maxParallel: Int, cpusPerTask: Int, memory: String?,
    time: String?, directory: String, partition: String?, account: String?, ujm: String,
    spec: String, variant: String?
  ) {
    self.name = name
    self.runs = runs
    self.maxParallel = maxParallel
    self.cpusPerTask = cpusPerTask
    self.memory = memory
    self.time = time
    self.directory = directory
    self.partition = partition
    self.account = account
    self.ujm = ujm
    self.spec = spec
    self.variant = variant
  }

  /// `DIR/logs`, created before submission (Slurm does not create `--output`'s directory).
  public var logDirectory: String { (directory as NSString).appendingPathComponent("logs") }
  /// `DIR/sweep.sbatch`.
  public var path: String { (directory as NSString).appendingPathComponent("sweep.sbatch") }

  /// The run command of one array task.
  public var command: String {
    var words = [ujm, "sweep", "run", spec, "--dir", directory]
    if let variant { words += ["--variant", variant] }
    return words.map(Self.quoted).joined(separator: " ") + " --index \"$SLURM_ARRAY_TASK_ID\""
  }

  /// The words that reach the script, each with what the user calls it (an option, a file).
  var words: [(what: String, word: String)] {
    var out: [(String, String)] = [
      ("the spec's name", name), ("--dir", directory), ("the ujm executable", ujm),
      ("the spec", spec),
    ]
    for (what, word) in [
      ("--variant", variant), ("--partition", partition), ("--account", account),
      ("resources.memory", memory), ("resources.time", time),
    ] {
      if let word { out.append((what, word)) }
    }
    return out
  }

  /// Refuses a script that no quoting makes safe: a word with a control character (a newline
  /// ends an `#SBATCH` comment line, and whatever follows would run as a command on the node).
  public func validate() throws(SlurmError) {
    for (what, word) in words where word.unicodeScalars.contains(where: Self.isControl) {
      throw .unsafeWord(what: what, word: word)
    }
  }

  /// The script's text. Call `validate()` first: a word with a control character cannot be
  /// written safely.
  public var text: String {
    var lines = [
      "#!/bin/bash",
      "#SBATCH --job-name=\(Self.sbatchQuoted("ujm-" + name))",
      "#SBATCH --array=0-\(runs - 1)%\(maxParallel)",
      "#SBATCH --cpus-per-task=\(cpusPerTask)",
    ]
    if let memory { lines.append("#SBATCH --mem=\(Self.sbatchQuoted(memory))") }
    if let time { lines.append("#SBATCH --time=\(Self.sbatchQuoted(time))") }
    // Slurm expands %A, %a, %j… in --output; a % of the directory's own is written %%.
    let logs = logDirectory.replacingOccurrences(of: "%", with: "%%")
    lines.append("#SBATCH --output=\(Self.sbatchQuoted(logs + "/%A_%a.out"))")
    if let partition { lines.append("#SBATCH --partition=\(Self.sbatchQuoted(partition))") }
    if let account { lines.append("#SBATCH --account=\(Self.sbatchQuoted(account))") }
    lines += [
      "export OPENBLAS_NUM_THREADS=$SLURM_CPUS_PER_TASK",
      "exec \(command)",
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  /// Whether `scalar` is a control character (C0, DEL, C1) or a line or paragraph separator.
  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028
      || scalar.value == 0x2029
  }

  /// Plain ASCII that neither bash nor sbatch treats specially.
  private static func isPlain(_ c: Character) -> Bool {
    c.isASCII && (c.isLetter || c.isNumber || "/._-+=,:@%".contains(c))
  }

  /// A word for a bash command line: as is when it is plain ASCII, else in single quotes (in
  /// which bash expands nothing; a quote inside is written `'\''`).
  static func quoted(_ word: String) -> String {
    let safe = !word.isEmpty && word.allSatisfy { isPlain($0) && $0 != "%" }
    return safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// A value for an `#SBATCH` line, which is not a shell line: sbatch splits it at unquoted
  /// white space, ends it at an unquoted `#`, and removes quotes and backslashes
  /// (`_get_argument` in Slurm's `src/sbatch/opt.c`; older versions end the argument at a `#`
  /// even inside quotes). So: plain words as they are, anything else in double quotes with
  /// every `\`, `"`, `'` and `#` escaped by a backslash.
  static func sbatchQuoted(_ word: String) -> String {
    if !word.isEmpty && word.allSatisfy(isPlain) { return word }
    var out = "\""
    for c in word {
      if "\\\"'#".contains(c) { out.append("\\") }
      out.append(c)
    }
    return out + "\""
  }
}

/// Why a job could not be submitted.
public enum SlurmError: Error, Sendable, Equatable, CustomStringConvertible {
  case noSbatch
  case rejected(status: Int32, message: String)
  case unreadableJobID(String)
  /// A word of the script holds a control character (a newline, say).
  case unsafeWord(what: String, word: String)
  /// `sbatch` did not finish within the time allowed.
  case timedOut(seconds: Double)

  public var description: String {
    switch self {
    case .unsafeWord(let what, let word):
      "\(what) \(word.debugDescription) holds a control character, which no quoting makes safe "
        + "in a Slurm script; rename it"
    case .noSbatch:
      "sbatch: not found on PATH (no Slurm here); run the sweep with `ujm sweep local`, or "
        + "write the script only with --dry-run"
    case .rejected(let status, let message):
      "sbatch: rejected the job (exit status \(status)): \(oneLine(message).prefix(500))"
    case .unreadableJobID(let out): "sbatch: printed no job id ('\(oneLine(out).prefix(200))')"
    case .timedOut(let seconds):
      "sbatch: no answer within \(Int(seconds)) s (is the Slurm controller up?); it was stopped "
        + "and nothing was submitted by ujm"
    }
  }
}

/// Submits scripts with `sbatch --parsable`.
public enum SlurmSubmission {
  /// The first executable `name` on `PATH`.
  public static func executable(_ name: String, path: String? = nil) -> String? {
    let search = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in search.split(separator: ":") {
      let candidate = (String(dir) as NSString).appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// How long `sbatch` may take before it is stopped: a controller that does not answer within
  /// two minutes is down, and the user is told so rather than left waiting.
  public static let timeoutSeconds = 120.0

  /// The most of `sbatch`'s output read back (its job id is a line; an error a few).
  static let outputLimit = 64 << 10

  /// Submits `script` and returns the job id (`sbatch --parsable` prints `id` or `id;cluster`).
  /// `sbatch` gets `timeout` seconds (then SIGTERM, and SIGKILL 5 s later); its output goes to
  /// files, of which at most 64 KiB are read, and an error quotes at most 500 characters.
  public static func submit(
    _ script: String, timeout: Double = timeoutSeconds, sbatch: String? = nil
  ) throws(SlurmError) -> String {
    guard let sbatch = sbatch ?? executable("sbatch") else { throw .noSbatch }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ujm-sbatch-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
    do {
      try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false)
    } catch {
      throw .rejected(status: -1, message: "cannot make a scratch directory (\(reasonText(error)))")
    }
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("out")
    let errURL = scratch.appendingPathComponent("err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: sbatch)
    process.arguments = ["--parsable", script]
    do {
      process.standardOutput = try FileHandle(forWritingTo: outURL)
      process.standardError = try FileHandle(forWritingTo: errURL)
    } catch {
      throw .rejected(status: -1, message: reasonText(error))
    }
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch {
      throw .rejected(status: -1, message: reasonText(error))
    }
    ChildProcesses.shared.register(process.processIdentifier)
    defer { ChildProcesses.shared.unregister(process.processIdentifier) }
    // Waited for with waitpid, not Process.isRunning: Foundation sees a child's end only when
    // every process holding its status pipe has ended, so a grandchild that sbatch leaves
    // running would keep it "running" for ever.
    let pid = process.processIdentifier
    var status: Int32 = 0
    var foundationReaped = false
    var reaped = false
    // Once reaped, never asked again: a second waitpid would fail with ECHILD and be taken for
    // Foundation's reaping, whose terminationStatus is then not sbatch's (a rejection read as 0).
    func ended() -> Bool {
      if reaped || foundationReaped { return true }
      let r = waitpid(pid, &status, WNOHANG)
      if r == pid {
        reaped = true
      } else if r == -1 && errno == ECHILD {
        foundationReaped = true
      }
      return reaped || foundationReaped
    }
    let deadline = Date().addingTimeInterval(timeout)
    while !ended() && Date() < deadline { usleep(20_000) }
    if !ended() {
      kill(pid, SIGTERM)
      let grace = Date().addingTimeInterval(5)
      while !ended() && Date() < grace { usleep(20_000) }
      if !ended() {
        kill(pid, SIGKILL)
        while !ended() { usleep(20_000) }
      }
      throw .timedOut(seconds: timeout)
    }
    if foundationReaped { process.waitUntilExit() }  // it saw the end first: let it record it
    // The exit status: the low 7 bits are the signal (0: exited), bits 8–15 the exit code.
    let exitStatus: Int32 =
      foundationReaped
      ? process.terminationStatus
      : (status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f))
    func read(_ url: URL) -> String {
      let handle = try? FileHandle(forReadingFrom: url)
      defer { try? handle?.close() }
      let data = (try? handle?.read(upToCount: outputLimit)) ?? nil
      return String(decoding: data ?? Data(), as: UTF8.self)
    }
    let stdout = read(outURL)
    let stderr = read(errURL)
    guard exitStatus == 0 else {
      throw .rejected(
        status: exitStatus,
        message: String(stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(500)))
    }
    let line = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    guard let id = line.split(separator: ";").first, id.allSatisfy(\.isNumber), !id.isEmpty
    else { throw .unreadableJobID(String(line.prefix(200))) }
    return String(id)
  }
}
