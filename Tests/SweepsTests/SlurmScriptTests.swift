import Foundation
import TestSupport
import Testing

@testable import Sweeps

@Suite("Slurm job-array script: array range, resources, threads, the run command")
struct SlurmScriptTests {
  let script = SlurmScript(
    name: "fig5", runs: 6, maxParallel: 2, cpusPerTask: 4, memory: "8G", time: "04:00:00",
    directory: "/scratch/sw/fig5", partition: "cpu", account: "def-papyan",
    ujm: "/opt/ujm/bin/ujm", spec: "/home/me/experiments/fig5.yaml", variant: "small")

  @Test func scriptHasEveryLineInOrder() {
    let lines = script.text.split(separator: "\n").map(String.init)
    print(script.text)
    #expect(
      lines == [
        "#!/bin/bash",
        "#SBATCH --job-name=ujm-fig5",
        "#SBATCH --array=0-5%2",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --mem=8G",
        "#SBATCH --time=04:00:00",
        "#SBATCH --output=/scratch/sw/fig5/logs/%A_%a.out",
        "#SBATCH --partition=cpu",
        "#SBATCH --account=def-papyan",
        "export OPENBLAS_NUM_THREADS=$SLURM_CPUS_PER_TASK",
        "exec /opt/ujm/bin/ujm sweep run /home/me/experiments/fig5.yaml --dir /scratch/sw/fig5 "
          + "--variant small --index \"$SLURM_ARRAY_TASK_ID\"",
      ])
  }

  @Test func optionalLinesAreLeftOutAndOddPathsQuoted() {
    var s = script
    (s.memory, s.time, s.partition, s.account, s.variant) = (nil, nil, nil, nil, nil)
    s.spec = "/home/me/my spec.yaml"
    let text = s.text
    #expect(!text.contains("--mem"))
    #expect(!text.contains("--time"))
    #expect(!text.contains("--partition"))
    #expect(!text.contains("--variant"))
    #expect(text.contains("sweep run '/home/me/my spec.yaml' --dir"))
  }

  @Test func missingSbatchIsFoundMissingAndTheErrorSuggestsTheAlternatives() {
    #expect(SlurmSubmission.executable("sbatch", path: "/nonexistent-ujm-bin") == nil)
    #expect(SlurmSubmission.executable("sh", path: "/nonexistent-ujm-bin:/bin") == "/bin/sh")
    let message = SlurmError.noSbatch.description
    #expect(message.contains("ujm sweep local") && message.contains("--dry-run"))
  }
}

/// Names an attacker would choose: each ends a quote, starts a command substitution, ends an
/// `#SBATCH` argument or a shell word, or asks Slurm for a file-name pattern.
private let hostileWords = [
  "a b", "it's", "x\"y", "$(touch pwned-dollar)", "`touch pwned-backtick`", "; touch pwned-semi",
  "a#b", "back\\slash", "100%A", "'$(touch pwned-quoted)'", "\"; touch pwned-dq; \"", "ünï",
  "-",
]

/// The arguments sbatch takes from one `#SBATCH` line: Slurm's `_get_argument`
/// (`src/sbatch/opt.c`), as in 20.x and later — backslash escapes any character, `'` and `"`
/// quote, an unquoted `#` ends the line, white space separates arguments.
private func sbatchArguments(_ line: Substring) -> [String] {
  var out: [String] = []
  var chars = Array(line.dropFirst("#SBATCH".count))
  chars.append("\0")
  var i = 0
  while true {
    while chars[i] != "\0" && chars[i].isWhitespace { i += 1 }
    if chars[i] == "\0" { return out }
    var argument = ""
    var quote: Character? = nil
    var escaped = false
    while (quote != nil || !chars[i].isWhitespace) && chars[i] != "\n" && chars[i] != "\0" {
      let c = chars[i]
      if escaped {
        escaped = false
      } else if c == "\\" {
        escaped = true
        i += 1
        continue
      } else if let q = quote {
        if c == q {
          quote = nil
          i += 1
          continue
        }
      } else if c == "\"" || c == "'" {
        quote = c
        i += 1
        continue
      } else if c == "#" {
        return out + (argument.isEmpty ? [] : [argument])
      }
      argument.append(c)
      i += 1
    }
    #expect(quote == nil, "sbatch: unmatched quote in \(line)")
    out.append(argument)
  }
}

@Suite("Slurm script: nothing unquoted reaches bash or sbatch")
struct SlurmScriptInjectionTests {
  /// A script whose every word is `word`, with `ujm` a stand-in that records its arguments.
  private func script(_ word: String, ujm: String = "/opt/ujm") -> SlurmScript {
    SlurmScript(
      name: "fig5" + word, runs: 4, maxParallel: 2, cpusPerTask: 1, memory: "8G",
      time: "04:00:00", directory: "/scratch/sw" + word, partition: "cpu" + word,
      account: "acct" + word, ujm: ujm, spec: "/home/me/" + word + ".yaml", variant: word)
  }

  @Test func everySbatchLineParsesToExactlyItsOptionAndValue() {
    withEvery("word", in: hostileWords) { word, label in
      let s = script(word)
      let parsed = s.text.split(separator: "\n").filter { $0.hasPrefix("#SBATCH") }
        .map(sbatchArguments)
      let logs = ("/scratch/sw" + word).replacingOccurrences(of: "%", with: "%%")
      #expect(
        parsed == [
          ["--job-name=ujm-fig5" + word], ["--array=0-3%2"], ["--cpus-per-task=1"], ["--mem=8G"],
          ["--time=04:00:00"], ["--output=\(logs)/logs/%A_%a.out"], ["--partition=cpu" + word],
          ["--account=acct" + word],
        ], "\(label)")
    }
  }

  @Test func hostileNamesRunNothingUnderBashAndReachUjmIntact() throws {
    let bash = "/bin/bash"
    guard FileManager.default.isExecutableFile(atPath: bash) else {
      print("skipped: no \(bash) to run the generated script")
      return
    }
    for word in hostileWords {
      // The stand-in for ujm lives under a hostile name too; it writes its arguments, one a line.
      let root = temporaryDirectory("slurm-injection")
      let bin = (root as NSString).appendingPathComponent(
        "bin"
          + word.replacingOccurrences(
            of: "/", with: "_"))
      try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
      let ujm = (bin as NSString).appendingPathComponent("ujm")
      let record = (root as NSString).appendingPathComponent("argv")
      try "#!/bin/bash\nprintf '%s\\n' \"$@\" > \(SlurmScript.quoted(record))\n"
        .write(toFile: ujm, atomically: true, encoding: .utf8)
      try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: ujm)
      let s = script(word, ujm: ujm)
      try s.validate()
      let path = (root as NSString).appendingPathComponent("sweep.sbatch")
      try s.text.write(toFile: path, atomically: true, encoding: .utf8)

      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
      process.arguments = ["30", bash, path]
      process.currentDirectoryURL = URL(fileURLWithPath: root)
      process.environment = [
        "PATH": "/usr/bin:/bin", "SLURM_ARRAY_TASK_ID": "3", "SLURM_CPUS_PER_TASK": "1",
      ]
      try process.run()
      process.waitUntilExit()
      #expect(process.terminationStatus == 0, "word \(word.debugDescription)")

      let argv = try String(contentsOfFile: record, encoding: .utf8).split(
        separator: "\n", omittingEmptySubsequences: false
      ).dropLast().map(String.init)
      #expect(
        argv == [
          "sweep", "run", "/home/me/" + word + ".yaml", "--dir", "/scratch/sw" + word,
          "--variant", word, "--index", "3",
        ], "word \(word.debugDescription)")
      let left = try FileManager.default.contentsOfDirectory(atPath: root)
      #expect(!left.contains { $0.hasPrefix("pwned") }, "word \(word.debugDescription) ran")
    }
  }

  @Test func controlCharactersAreRefusedNamingTheWord() {
    for control in ["\n", "\r", "\u{0}", "\u{1B}", "\u{7F}", "\u{85}", "\u{2028}"] {
      let word = "a" + control + "touch pwned"
      var s = script("")
      s.directory = word
      #expect(throws: SlurmError.unsafeWord(what: "--dir", word: word)) { try s.validate() }
      s = script("")
      s.name = word
      #expect(throws: SlurmError.unsafeWord(what: "the spec's name", word: word)) {
        try s.validate()
      }
      s = script("")
      s.variant = word
      #expect(throws: SlurmError.unsafeWord(what: "--variant", word: word)) { try s.validate() }
    }
    #expect(SlurmError.unsafeWord(what: "--dir", word: "a\nb").description.contains("--dir"))
    #expect(!SlurmError.unsafeWord(what: "--dir", word: "a\nb").description.contains("\n"))
  }
}
