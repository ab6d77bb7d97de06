import ArgumentParser

/// The `ujm` command: a numerical workbench for Residual Alignment (Li & Papyan, NeurIPS 2023).
///
/// One file per subcommand; each parses, validates, calls the library and formats. No maths
/// lives in this target.
public struct UJMCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "ujm",
    abstract: "A numerical workbench for Residual Alignment (Li & Papyan, NeurIPS 2023).",
    subcommands: [
      Solve.self,
      Train.self, Evaluate.self,
      Verify.self,
      RSVDCommand.self, Measure.self,
      Compare.self,
      Sweep.self,
    ]
  )

  public init() {}
}
