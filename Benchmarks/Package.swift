// swift-tools-version: 6.2
import PackageDescription

// Benchmarks live in their own package so that `swift test` in the root never builds them.
// Each is one executable: `swift run -c release <Name>` from this directory. Each prints its
// figure as a ratio against a baseline measured in the same run, with the BLAS core and threads.
let benchmarks = [
  "SolveBenchmark",  // issue 3: UJM solvers against gradient descent, seconds per evaluation vs D
  "VerifyBenchmark",  // issue 4: time of every `ujm verify` check
  "TrainBenchmark",  // issue 5: training samples/s against the GEMM-only ceiling
  "RSVDBenchmark",  // issue 6: Algorithm 971 against LAPACK's dense SVD
  "JacobianBenchmark",  // issue 6: residual Jacobians and their top-30 SVDs against dgemm's rate
  "ConvTrainBenchmark",  // issues 12, 21: conv training samples/s, per-pass profile, PyTorch peer
  "ConvJacobianBenchmark",  // issue 12: matrix-free conv Jacobians + Algorithm 971; accuracy
  // issue 12: measure's Neural Collapse against the D×D path it replaced
  "NeuralCollapseBenchmark",
  "CompareBenchmark",  // issue 11: ujm compare on 10 pairs, share of time in Jacobians + SVDs
]

let package = Package(
  name: "ujm-benchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    // Named, because a path dependency is otherwise known by its directory name.
    .package(name: "ujm", path: "..")
  ],
  targets: [
    // What more than one benchmark needs (the PyTorch peers' rounds).
    .target(
      name: "BenchmarkSupport", dependencies: [.product(name: "Empirical", package: "ujm")])
  ]
    + benchmarks.map { name in
      .executableTarget(
        name: name,
        dependencies: [
          "BenchmarkSupport",
          .product(name: "UJM", package: "ujm"),
          .product(name: "Empirical", package: "ujm"),
          .product(name: "LinearAlgebra", package: "ujm"),
          .product(name: "Comparison", package: "ujm"),
        ]
      )
    }
)
