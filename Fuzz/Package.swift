// swift-tools-version: 6.2
import PackageDescription

// libFuzzer harnesses for ujm's file readers, in their own package so that the sanitizer build
// (`-sanitize=fuzzer,address`) compiles only what the readers need: LinearAlgebra, Empirical and
// Sweeps (the spec parser, with Yams), never the CLI or the solvers. Build and run through `scripts/fuzz` (see README, "Fuzzing").
let package = Package(
  name: "ujm-fuzz",
  platforms: [.macOS(.v15)],
  dependencies: [
    // Named, because a path dependency is otherwise known by its directory name.
    .package(name: "ujm", path: "..")
  ],
  targets: [
    .executableTarget(
      name: "ReaderFuzzer",
      dependencies: [
        .product(name: "Empirical", package: "ujm"),
        .product(name: "LinearAlgebra", package: "ujm"),
        .product(name: "Sweeps", package: "ujm"), "FuzzerEntry",
      ],
      // libFuzzer provides `main`; the harness is a library-style file with C entry points.
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    ),
    .target(name: "FuzzerEntry"),
  ]
)
