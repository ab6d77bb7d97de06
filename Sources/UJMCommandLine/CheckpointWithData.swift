import Empirical

extension CheckpointWithData {
  /// The library's loading step (`init(checkpointPath:dataDirectory:)`) for `ujm evaluate`,
  /// `measure` and `compare`: a problem is a `UsageError` naming `--checkpoint` or `--data`.
  init(checkpoint: String, data: String) throws {
    do {
      self = try CheckpointWithData(checkpointPath: checkpoint, dataDirectory: data)
    } catch {
      throw error.commandLineError
    }
  }
}
