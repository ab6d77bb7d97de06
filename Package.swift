// swift-tools-version: 6.2
import PackageDescription

let package = Package(
  name: "ujm",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "ujm", targets: ["ujm-cli"]),
    .library(name: "UJM", targets: ["UJM"]),
    .library(name: "Empirical", targets: ["Empirical"]),
    .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
    .library(name: "Comparison", targets: ["Comparison"]),
    .library(name: "UJMCommandLine", targets: ["UJMCommandLine"]),
    .library(name: "Sweeps", targets: ["Sweeps"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    .package(url: "https://github.com/attaswift/BigInt", from: "6.0.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    // Property-based tests with shrinking (Tests/UJMTests/Properties); test targets only.
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    // `swift package generate-documentation --target T` (scripts/docs); no target depends on it.
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
  ],
  targets: [
    // MARK: - Public API
    .executableTarget(
      name: "ujm-cli",
      dependencies: ["UJMCommandLine"]
    ),
    .target(
      name: "UJMCommandLine",
      dependencies: [
        "UJM", "Empirical", "LinearAlgebra", "Comparison", "Sweeps",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .target(
      name: "UJM",
      dependencies: [
        "LinearAlgebra", "CGSL",
        .product(name: "BigInt", package: "BigInt"),
        .product(name: "RealModule", package: "swift-numerics"),
      ]
    ),
    .target(
      name: "Empirical",
      dependencies: ["LinearAlgebra", "CZlib"]
    ),
    // Theory against trained networks: needs both the UJM and the empirical side.
    .target(
      name: "Comparison",
      dependencies: ["UJM", "Empirical", "LinearAlgebra"]
    ),
    // Sweeps: specs, run directories, executors (local, Slurm) and reports over many runs.
    .target(
      name: "Sweeps",
      dependencies: [
        "Empirical", "LinearAlgebra", "CGSL", .product(name: "Yams", package: "Yams"),
      ]
    ),
    .target(
      name: "LinearAlgebra",
      dependencies: [
        "COpenBLAS", "CLAPACKE",
        .product(name: "RealModule", package: "swift-numerics"),
      ]
    ),

    // MARK: - Implementation details (C libraries from Debian)
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev", "pkgconf"])]
    ),
    .systemLibrary(
      name: "CLAPACKE", pkgConfig: "lapacke",
      providers: [.apt(["liblapacke-dev", "pkgconf"])]
    ),
    // GSL's pkg-config file adds -lgslcblas; OpenBLAS provides CBLAS instead (docs/C-INTEROP.md).
    .systemLibrary(name: "CGSL", providers: [.apt(["libgsl-dev"])]),
    .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

    // MARK: - Tests
    .target(
      name: "TestSupport",
      dependencies: ["LinearAlgebra"],
      path: "Tests/TestSupport"
    ),
    .testTarget(
      name: "LinearAlgebraTests",
      dependencies: ["LinearAlgebra", "TestSupport"]
    ),
    .testTarget(
      name: "UJMTests",
      dependencies: [
        "UJM", "LinearAlgebra", "TestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ]
    ),
    .testTarget(
      name: "EmpiricalTests",
      dependencies: ["Empirical", "LinearAlgebra", "TestSupport"]
    ),
    .testTarget(
      name: "ComparisonTests",
      dependencies: ["Comparison", "Empirical", "LinearAlgebra", "TestSupport"]
    ),
    .testTarget(
      name: "SweepsTests",
      dependencies: ["Sweeps", "Empirical", "TestSupport"]
    ),
    .testTarget(
      name: "CLITests",
      dependencies: [
        "UJMCommandLine", "UJM", "Empirical", "TestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ]
    ),
  ]
)
