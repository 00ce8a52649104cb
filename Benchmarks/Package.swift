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
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
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
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PaginationBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The PostgreSQL store against raw PostgresNIO (make bench-postgres; needs a server).
        .executableTarget(
            name: "PostgresBench",
            dependencies: [
                .product(name: "MessagingCore", package: "swift-messaging"),
                .product(name: "MessagingPostgres", package: "swift-messaging"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/PostgresBench"
        ),
        // Runs one operation N times outside the harness, for callgrind instruction counts.
        .executableTarget(
            name: "BenchProfile",
            dependencies: [
                "BenchSupport",
                .product(name: "MessagingCore", package: "swift-messaging"),
                .product(name: "MessagingPersistence", package: "swift-messaging"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tools/BenchProfile"
        ),
        .executableTarget(
            name: "SendBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "MessagingCore", package: "swift-messaging"),
                .product(name: "MessagingPersistence", package: "swift-messaging"),
                .product(name: "MessagingE2EE", package: "swift-messaging"),
                .product(name: "MessagingE2EEVerification", package: "swift-messaging"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SendBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Presence at 100,000 devices against a bare dictionary (Documentation/Presence.md).
        .executableTarget(
            name: "PresenceBenchmarks",
            dependencies: [
                .product(name: "MessagingCore", package: "swift-messaging"),
                .product(name: "MessagingPresence", package: "swift-messaging"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PresenceBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // In-process fanout to 10…100,000 sessions against a bare append loop (Documentation/Delivery.md).
        .executableTarget(
            name: "FanoutBenchmarks",
            dependencies: [
                .product(name: "MessagingCore", package: "swift-messaging"),
                .product(name: "MessagingDelivery", package: "swift-messaging"),
                .product(name: "MessagingPersistence", package: "swift-messaging"),
                .product(name: "MessagingWebSocket", package: "swift-messaging"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/FanoutBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Seal and open at 200 B, 16 KiB and 1 MiB against raw libsodium (Documentation/E2EE.md).
        .executableTarget(
            name: "E2EEBenchmarks",
            dependencies: [
                .product(name: "MessagingE2EE", package: "swift-messaging"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/E2EEBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
