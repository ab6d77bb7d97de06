// swift-tools-version: 6.2
import Foundation
import PackageDescription

// Benchmarks live in their own package so that `swift test` in the root never builds them.
// Each directory of Sources/ is one executable benchmark: `swift run -c release <Name>` from this
// directory. Each prints its figure as a ratio against a baseline measured in the same run, with
// the BLAS core and thread count.
let names = ((try? FileManager.default.contentsOfDirectory(
  atPath: Context.packageDirectory + "/Sources")) ?? []).filter { !$0.hasPrefix(".") }.sorted()

let package = Package(
  name: "ujm-benchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    // Named, because a path dependency is otherwise known by its directory name.
    .package(name: "ujm", path: "..")
  ],
  targets: names.map { name in
    .executableTarget(
      name: name,
      dependencies: [
        .product(name: "UJM", package: "ujm"),
        .product(name: "Empirical", package: "ujm"),
        .product(name: "LinearAlgebra", package: "ujm"),
      ]
    )
  }
)
