// swift-tools-version: 6.2
import PackageDescription

// Benchmarks live in their own package so that `swift test` in the root never builds them.
// Each benchmark is one executable target: `swift run -c release <Name>` from this directory.
let package = Package(
  name: "ujm-benchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    // Named, because a path dependency is otherwise known by its directory name.
    .package(name: "ujm", path: "..")
  ],
  targets: [
    .executableTarget(
      name: "JacobianBenchmark",
      dependencies: [
        .product(name: "LinearAlgebra", package: "ujm"),
        .product(name: "Empirical", package: "ujm"),
      ]
    ),
    .executableTarget(
      name: "RSVDBenchmark",
      dependencies: [
        .product(name: "LinearAlgebra", package: "ujm"),
        .product(name: "Empirical", package: "ujm"),
      ]
    ),
  ]
)
