// swift-tools-version:6.1
import PackageDescription

/// The benchmarks of swift-messaging, a package of their own so that package-benchmark and
/// its dependencies never enter the library's dependency graph.
///
/// Run with `swift package benchmark` from this folder (release build), or `./report.sh`
/// for the run plus the table of ours/raw ratios. See `Documentation/Benchmarks.md`.
let package = Package(
    name: "swift-messaging-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-messaging", path: ".."),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Shared fixtures and the raw SQLite C baselines.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "MessagingCore", package: "swift-messaging"),
                .product(name: "MessagingPersistence", package: "swift-messaging"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Benchmarks/BenchSupport"
        ),
        .executableTarget(
            name: "PaginationBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "MessagingCore", package: "swift-messaging"),
                .product(name: "MessagingPersistence", package: "swift-messaging"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PaginationBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SendBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "MessagingCore", package: "swift-messaging"),
                .product(name: "MessagingPersistence", package: "swift-messaging"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SendBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
