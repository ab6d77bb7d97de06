import ArgumentParser

/// `ujm sweep`: many trainings and measurements from one spec, run locally or as a Slurm job
/// array, and reported side by side.
struct Sweep: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a sweep of trainings and measurements (locally or on Slurm) and report it.",
    discussion: """
      A spec (YAML) gives base train options, axes to cross, measure options, snapshots, \
      resources and a small variant. Runs live in DIR/runs/<index>-<hash>; a run is complete \
      only once DIR/runs/…/complete.json is written, last.
      """,
    subcommands: [
      SweepPlanCommand.self, SweepRunCommand.self, SweepLocalCommand.self,
      SweepSlurmCommand.self, SweepStatusCommand.self, SweepReportCommand.self,
    ])
}
