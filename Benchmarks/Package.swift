// swift-tools-version: 6.2
import PackageDescription

// Benchmarks live in their own package so that `swift test` never builds them. Each prints its
// figure as a ratio against a baseline measured in the same run, with the BLAS core and threads.
let package = Package(
  name: "ujm-benchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    // Named, because a path dependency is otherwise known by its directory name.
    .package(name: "ujm", path: "..")
  ],
  targets: [
    .executableTarget(
      name: "SolveBenchmark",
      dependencies: [
        .product(name: "UJM", package: "ujm"),
        .product(name: "LinearAlgebra", package: "ujm"),
      ]
    )
  ]
)
