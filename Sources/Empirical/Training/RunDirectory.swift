// Goals, in order of priority: at every instant (a kill -9 or a full disk included) the run
// directory holds one consistent, resumable snapshot — checkpoint, optimizer state and the
// metrics lines of the same step; after each snapshot the plain names `checkpoint.safetensors`,
// `optimizer.safetensors` and `metrics.jsonl` are that snapshot's files, as regular files, for
// PyTorch and other tools; nothing stale is left behind.

import Foundation
import LinearAlgebra

/// The hyper-parameters a run was started with, recorded in every snapshot and checked on
/// `--resume` (a changed value would silently mix two runs).
public struct TrainingHyperparameters: Sendable, Equatable, Codable {
  public var type: String
  public var blocks: Int
  public var width: Int
  public var skips: Bool
  public var classes: [Int]
  public var epochs: Int
  public var lr: Double
  public var batchSize: Int
  public var weightDecay: Double
  public var weightDecayScope: String
  public var momentum: Double
  public var seed: UInt64
  public var dropPath: Double

  public init(_ configuration: TrainingConfiguration, classes: [Int]) {
    type = configuration.typeName
    blocks = configuration.architecture.blocks
    width = configuration.architecture.width
    skips = configuration.architecture.skips
    self.classes = classes
    epochs = configuration.epochs
    lr = configuration.learningRate
    batchSize = configuration.batchSize
    weightDecay = configuration.weightDecay
    weightDecayScope = configuration.weightDecayScope.rawValue
    momentum = configuration.momentum
    seed = configuration.seed
    dropPath = configuration.dropPath
  }

  enum CodingKeys: String, CodingKey {
    case type, blocks, width, skips, classes, epochs, lr, momentum, seed
    case batchSize = "batch_size"
    case weightDecay = "weight_decay"
    case weightDecayScope = "weight_decay_scope"
    case dropPath = "drop_path"
  }

  /// The values that differ from `other`, as (name, this run's value, other's value), named as
  /// `ujm train`'s options without the dashes (`weight-decay`, `batch-size`, …).
  public func differences(from other: TrainingHyperparameters) -> [(
    name: String, recorded: String, requested: String
  )] {
    var out: [(String, String, String)] = []
    func compare<T: Equatable>(_ name: String, _ a: T, _ b: T, _ show: (T) -> String) {
      if a != b { out.append((name, show(a), show(b))) }
    }
    let plain: (Any) -> String = { "\($0)" }
    compare("type", type, other.type, plain)
    compare("blocks", blocks, other.blocks, plain)
    compare("width", width, other.width, plain)
    compare("skips", skips, other.skips, plain)
    compare("classes", classes, other.classes) { $0.map(String.init).joined(separator: ",") }
    compare("epochs", epochs, other.epochs, plain)
    compare("lr", lr, other.lr, plain)
    compare("batch-size", batchSize, other.batchSize, plain)
    compare("weight-decay", weightDecay, other.weightDecay, plain)
    compare("weight-decay-scope", weightDecayScope, other.weightDecayScope, plain)
    compare("momentum", momentum, other.momentum, plain)
    compare("seed", seed, other.seed, plain)
    compare("drop-path", dropPath, other.dropPath, plain)
    return out
  }

  /// The names `differences` can report.
  public static let names = [
    "type", "blocks", "width", "skips", "classes", "epochs", "lr", "batch-size", "weight-decay",
    "weight-decay-scope", "momentum", "seed", "drop-path",
  ]
}

/// Why a run directory cannot be used.
public enum RunDirectoryError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The path exists and is not a directory, or cannot be created or written.
  case unusable(path: String, reason: String)
  /// Another live process is training into it.
  case locked(path: String, owner: String)
  /// The snapshot manifest or a file it names cannot be read.
  case corrupt(path: String, reason: String)
  /// Writing a snapshot failed (the previous snapshot is intact).
  case writeFailed(path: String, reason: String)

  public var description: String {
    switch self {
    case .unusable(let path, let reason): "\(path): \(reason)"
    case .locked(let path, let owner):
      "\(path) is in use by \(owner); wait for it or stop it (a lock held by a dead process is taken over)"
    case .corrupt(let path, let reason): "\(path): \(reason)"
    case .writeFailed(let path, let reason):
      "\(path): cannot write a snapshot (\(reason)); the previous snapshot is intact"
    }
  }
}

/// A training run's directory.
///
/// A snapshot is committed in four steps, each of which may be interrupted:
/// 1. its three files are written and flushed under names of their own,
///    `.snapshot-<step>.{checkpoint.safetensors, optimizer.safetensors, metrics.jsonl}` (the
///    metrics file holds every line of the run so far), and a kept epoch's
///    `checkpoint-epoch<E>.safetensors` is linked to the checkpoint;
/// 2. the manifest `snapshot.json`, which names those files and the hyper-parameters, is
///    replaced atomically — **the commit point**: before it the previous snapshot is the
///    run's, after it the new one;
/// 3. the plain names are hard-linked to the new files (a link to a temporary name, then a
///    rename over the plain name, so each is replaced atomically);
/// 4. the previous snapshot's own files are removed.
/// On open, the manifest says which snapshot is current; steps 3–4 are redone and every file
/// that no manifest names (an interrupted step 1, a temporary file) is removed.
public struct RunDirectory: Sendable {
  public let path: String
  public static let manifestName = "snapshot.json"
  public static let checkpointName = "checkpoint.safetensors"
  public static let optimizerName = "optimizer.safetensors"
  public static let metricsName = "metrics.jsonl"
  public static let lockName = ".lock"

  /// The manifest: the current snapshot.
  public struct Manifest: Sendable, Equatable, Codable {
    public var format: Int
    public var epoch: Int
    public var step: Int
    public var checkpoint: String
    public var optimizer: String
    public var metrics: String
    public var metricsLines: Int
    public var hyperparameters: TrainingHyperparameters?

    enum CodingKeys: String, CodingKey {
      case format, epoch, step, checkpoint, optimizer, metrics, hyperparameters
      case metricsLines = "metrics_lines"
    }
  }

  /// A snapshot as found on disk.
  public struct Snapshot: Sendable {
    /// The checkpoint file to read.
    public var checkpointPath: String
    /// The optimizer-state file to read.
    public var optimizerPath: String
    /// The metrics lines of the run up to the snapshot.
    public var metricsLines: [String]
    /// The recorded hyper-parameters (nil for a directory written before they were recorded).
    public var hyperparameters: TrainingHyperparameters?
    /// Whether it came from a directory without a manifest (written by an older ujm).
    public var legacy: Bool
  }

  public init(path: String) { self.path = path }

  func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

  /// Creates the directory when missing and checks that it is a writable directory, before any
  /// training: a file, a read-only directory or a path that cannot be created is refused.
  public func prepare() throws(RunDirectoryError) {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw .unusable(path: path, reason: "exists and is not a directory")
      }
    } else {
      do {
        try AtomicFile.createDirectory(path)
      } catch {
        throw .unusable(path: path, reason: error.reason)
      }
    }
    guard FileManager.default.isWritableFile(atPath: path) else {
      throw .unusable(path: path, reason: "is not writable")
    }
  }

  /// Takes the run's lock; refused while another live process holds it.
  public func lock() throws(RunDirectoryError) -> FileLock {
    do {
      return try FileLock(path: file(Self.lockName))
    } catch {
      switch error {
      case .held(_, let owner):
        throw .locked(path: path, owner: owner?.description ?? "another process")
      case .unavailable(_, let reason):
        throw .unusable(path: path, reason: "is not writable (\(reason))")
      }
    }
  }

  /// Files that ujm's other commands keep in a run directory: a sweep's lock, log and the
  /// reports of its steps (`sweep run` trains into its run directories).
  public static let companionNames: Set<String> = [
    "sweep.lock", "log.txt", "train.json", "measure.json", "failed.json", "complete.json",
  ]

  /// Whether `name` is a file `train` writes: the manifest, the plain names, a snapshot's own
  /// files, a kept epoch's checkpoint, the lock or a temporary file.
  public static func isTrainingFile(_ name: String) -> Bool {
    [manifestName, checkpointName, optimizerName, metricsName, lockName].contains(name)
      || name.hasPrefix(".snapshot-") || name.contains(AtomicFile.temporaryMarker)
      || (name.hasPrefix("checkpoint-epoch") && name.hasSuffix(".safetensors"))
  }

  /// The files in the directory that ujm did not write, sorted: every name that is neither a
  /// training file nor a companion, and — when the directory has no manifest of ujm's, so that
  /// nothing says ujm wrote them — the training files too (a PyTorch export saved as
  /// `checkpoint.safetensors`, say). `legacyAllowed` accepts a directory of an older ujm,
  /// which wrote `checkpoint.safetensors` and `optimizer.safetensors` without a manifest (for
  /// `--resume`).
  public func foreignFiles(legacyAllowed: Bool = false) throws(RunDirectoryError) -> [String] {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: path)
    } catch {
      throw .unusable(path: path, reason: "cannot be listed (\(reasonText(error)))")
    }
    let hasManifest = try manifest() != nil
    let legacy =
      legacyAllowed && !hasManifest && names.contains(Self.checkpointName)
      && names.contains(Self.optimizerName)
    return names.filter { name in
      if Self.companionNames.contains(name) { return false }
      if name.hasPrefix("measure-epoch") && name.hasSuffix(".json") { return false }
      guard Self.isTrainingFile(name) else { return true }
      return
        !(hasManifest || legacy || name == Self.lockName
        || name.contains(AtomicFile.temporaryMarker))
    }.sorted()
  }

  /// Bytes free on the directory's file system.
  public var freeBytes: Int? {
    guard let attributes = try? FileManager.default.attributesOfFileSystem(forPath: path),
      let free = attributes[.systemFreeSize] as? NSNumber
    else { return nil }
    return free.intValue
  }

  /// The current manifest, or nil when there is none.
  public func manifest() throws(RunDirectoryError) -> Manifest? {
    let manifestPath = file(Self.manifestName)
    guard FileManager.default.fileExists(atPath: manifestPath) else { return nil }
    do {
      let bytes = try RegularFile.read(
        manifestPath, maximumBytes: 1 << 20, what: "a snapshot manifest")
      return try JSONDecoder().decode(Manifest.self, from: Data(bytes))
    } catch let error as InputFileError {
      throw .corrupt(path: manifestPath, reason: error.reason)
    } catch {
      throw .corrupt(
        path: manifestPath, reason: "is not a snapshot manifest (\(reasonText(error)))")
    }
  }

  /// The latest complete snapshot, or nil when the directory holds none. With a manifest, the
  /// files it names; without one (a directory of an older ujm), `checkpoint.safetensors` and
  /// `optimizer.safetensors` when both exist, with the metrics lines cut to the epochs done.
  public func latestSnapshot(legacyEpochs: (String) -> Int?) throws(RunDirectoryError)
    -> Snapshot?
  {
    if let m = try manifest() {
      for name in [m.checkpoint, m.optimizer, m.metrics] {
        guard FileManager.default.fileExists(atPath: file(name)) else {
          throw .corrupt(
            path: file(Self.manifestName), reason: "names \(name), which does not exist")
        }
      }
      let lines = try readLines(file(m.metrics))
      return Snapshot(
        checkpointPath: file(m.checkpoint), optimizerPath: file(m.optimizer),
        metricsLines: Array(lines.prefix(m.metricsLines)), hyperparameters: m.hyperparameters,
        legacy: false)
    }
    let checkpoint = file(Self.checkpointName)
    let optimizer = file(Self.optimizerName)
    guard FileManager.default.fileExists(atPath: checkpoint),
      FileManager.default.fileExists(atPath: optimizer)
    else { return nil }
    var lines = (try? readLines(file(Self.metricsName))) ?? []
    if let epochs = legacyEpochs(checkpoint) { lines = Array(lines.prefix(epochs)) }
    return Snapshot(
      checkpointPath: checkpoint, optimizerPath: optimizer, metricsLines: lines,
      hyperparameters: nil, legacy: true)
  }

  private func readLines(_ path: String) throws(RunDirectoryError) -> [String] {
    do {
      let text = try RegularFile.text(path, maximumBytes: 1 << 30, what: "a metrics file")
      return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    } catch {
      throw .corrupt(path: path, reason: "cannot be read (\(error.reason))")
    }
  }

  /// Commits a snapshot (the four steps above). `keepAs` also keeps the checkpoint under that
  /// name (e.g. `checkpoint-epoch100.safetensors`). `trace` is called after each step with its
  /// name (`wrote checkpoint`, `wrote optimizer`, `wrote metrics`, `committed`, `published`,
  /// `cleaned`); an error it throws stops the commit there, as a crash would (tests use it).
  public func commit(
    epoch: Int, step: Int, checkpoint: SafeTensorsFile, optimizer: SafeTensorsFile,
    metricsLines: [String], hyperparameters: TrainingHyperparameters, keepAs: String? = nil,
    trace: (String) throws -> Void = { _ in }
  ) throws(RunDirectoryError) {
    let previous = try? manifest()
    let prefix = ".snapshot-\(step)."
    let names = (
      checkpoint: prefix + Self.checkpointName, optimizer: prefix + Self.optimizerName,
      metrics: prefix + Self.metricsName
    )
    do {
      try AtomicFile.write(checkpoint.encoded, to: file(names.checkpoint))
      try trace("wrote checkpoint")
      try AtomicFile.write(optimizer.encoded, to: file(names.optimizer))
      try trace("wrote optimizer")
      let metrics = metricsLines.map { $0 + "\n" }.joined()
      try AtomicFile.write(Array(metrics.utf8), to: file(names.metrics))
      try trace("wrote metrics")
      if let keepAs { try link(names.checkpoint, as: keepAs) }
      let manifest = Manifest(
        format: 1, epoch: epoch, step: step, checkpoint: names.checkpoint,
        optimizer: names.optimizer, metrics: names.metrics, metricsLines: metricsLines.count,
        hyperparameters: hyperparameters)
      try AtomicFile.write(
        try ReportJSON.encode(manifest, pretty: true), to: file(Self.manifestName))
      try trace("committed")
    } catch let error as AtomicWriteError {
      throw .writeFailed(path: path, reason: error.reason)
    } catch let error as RunDirectoryError {
      throw error
    } catch {
      throw .writeFailed(path: path, reason: reasonText(error))
    }
    try publish(names.checkpoint, names.optimizer, names.metrics)
    try interruptible { try trace("published") }
    if let previous, previous.step != step {
      for name in [previous.checkpoint, previous.optimizer, previous.metrics] {
        unlink(file(name))
      }
    }
    try interruptible { try trace("cleaned") }
  }

  private func interruptible(_ body: () throws -> Void) throws(RunDirectoryError) {
    do { try body() } catch { throw .writeFailed(path: path, reason: "interrupted (\(error))") }
  }

  /// Makes the plain names point at the current snapshot's files and removes every file no
  /// manifest names: temporary files of a killed writer, an interrupted snapshot's files.
  /// Returns the names removed.
  @discardableResult
  public func recover() throws(RunDirectoryError) -> [String] {
    var removed = AtomicFile.removeStaleTemporaries(in: path)
    guard let m = try manifest() else { return removed }
    try publish(m.checkpoint, m.optimizer, m.metrics)
    let current = Set([m.checkpoint, m.optimizer, m.metrics])
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    for name in names where name.hasPrefix(".snapshot-") && !current.contains(name) {
      if unlink(file(name)) == 0 { removed.append(name) }
    }
    return removed
  }

  private func publish(_ checkpoint: String, _ optimizer: String, _ metrics: String)
    throws(RunDirectoryError)
  {
    do {
      try link(checkpoint, as: Self.checkpointName)
      try link(optimizer, as: Self.optimizerName)
      try link(metrics, as: Self.metricsName)
    } catch {
      throw .writeFailed(path: path, reason: error.reason)
    }
    AtomicFile.syncDirectory(path)
  }

  /// Replaces `name` atomically by a hard link to `source` (both in this directory).
  private func link(_ source: String, as name: String) throws(AtomicWriteError) {
    let temporary = file(".\(name)\(AtomicFile.temporaryMarker)\(getpid())-link")
    unlink(temporary)
    guard Foundation.link(file(source), temporary) == 0 else {
      throw AtomicWriteError(
        path: file(name), reason: "cannot link \(source) (\(String(cString: strerror(errno))))")
    }
    guard rename(temporary, file(name)) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw AtomicWriteError(path: file(name), reason: "cannot rename (\(reason))")
    }
    // rename(2) does nothing when both names are links to the same file (a re-publish).
    unlink(temporary)
  }
}
