/// Why a library run (`TrainingRun`, `MeasurementRun`) did not finish: bad input (the CLI exits
/// 64) or a failure while running (exit 1). Each is one sentence naming the option or file.
public enum EmpiricalRunError: Error, Sendable, CustomStringConvertible {
  case usage(String)
  case failure(String)

  public var description: String {
    switch self {
    case .usage(let m), .failure(let m): m
    }
  }
}
