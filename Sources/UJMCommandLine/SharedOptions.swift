import ArgumentParser
import UJM

/// `--seed`: every random draw of a subcommand comes from a generator seeded with it.
struct SeedOption: ParsableArguments {
  @Option(parsing: .unconditional, help: "Seed of every random draw (0 … 2^64 − 1).")
  var seed: UInt64 = 0
}

/// `--json`: the report as one JSON value on stdout (non-finite numbers as null).
struct JSONOption: ParsableArguments {
  @Flag(help: "Print the report as JSON.")
  var json = false
}

extension SolverAlgorithm: ExpressibleByArgument {}
