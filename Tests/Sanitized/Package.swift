// swift-tools-version:6.1
import PackageDescription

// The libsodium-facing products (and MessagingMedia: SigV4 and URL signatures on libsodium,
// raw file descriptors and buffers) and their tests, built a second time under AddressSanitizer
// by `make test` (`scripts/test-sanitized.sh`).
//
// Why a separate package: `swift build --sanitize=address` on the root package compiles every
// target and dependency (Hummingbird, NIO, PostgreSQL-free but still the whole graph) with
// instrumentation; this package compiles only what MessagingSodium, MessagingE2EE, MessagingAuth,
// MessagingE2EEVerification and their test targets need (GRDB, jwt-kit, swift-log,
// swift-service-lifecycle), which is a fraction of the cost.
//
// It owns no code: `Sources/*` and `Tests/*` here are symbolic links to the root package's
// folders (`Tests/X` → `../../X`, `Sources/X` → `../../../Sources/X`), so the test files'
// `#filePath`-relative paths (`Tests/Interop/…`, `Tests/MessagingE2EETests/Fixtures`) resolve
// the same way. Keep the target declarations below in step with the root `Package.swift`.

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swift-messaging-sanitized",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
    ],
    targets: [
        .target(name: "MessagingCore", swiftSettings: strictSettings),
        .target(
            name: "MessagingPersistence",
            dependencies: [
                "MessagingCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .systemLibrary(name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .target(name: "MessagingSodium", dependencies: ["CSodium"], swiftSettings: strictSettings),
        .target(name: "MessagingE2EE", dependencies: ["CSodium", "MessagingSodium"], swiftSettings: strictSettings),
        .target(
            name: "MessagingAuth",
            dependencies: [
                "MessagingCore", "CSodium", "MessagingSodium",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MessagingE2EEVerification",
            dependencies: ["MessagingCore", "MessagingE2EE"],
            swiftSettings: strictSettings
        ),
        // The store contract only: the transport conformance suite needs the network stack, which
        // this package leaves out.
        .target(
            name: "MessagingTesting", dependencies: ["MessagingCore"], exclude: ["TransportConformance"],
            swiftSettings: strictSettings),
        .target(name: "MessagingMedia", dependencies: ["MessagingCore", "MessagingSodium"], swiftSettings: strictSettings),
        .executableTarget(
            name: "MediaStreamProbe", dependencies: ["MessagingMedia"], path: "Tests/MediaStreamProbe", swiftSettings: strictSettings),
        // Without the protocol's request short forms: this package leaves MessagingWire out.
        .target(name: "TestSupport", path: "Tests/TestSupport", exclude: ["ClientRequest+Tests.swift"], swiftSettings: strictSettings),
        .testTarget(
            name: "MessagingAuthTests",
            dependencies: [
                "TestSupport",
                "MessagingCore", "MessagingPersistence", "MessagingAuth", "MessagingTesting", "CSodium", "MessagingSodium",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "MessagingSodiumTests", dependencies: ["MessagingSodium", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "MessagingMediaTests", dependencies: ["TestSupport", "MessagingMedia", "MessagingCore", "MediaStreamProbe"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "MessagingE2EETests",
            dependencies: ["MessagingE2EE", "MessagingSodium", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingE2EEVerificationTests",
            dependencies: ["TestSupport", "MessagingCore", "MessagingPersistence", "MessagingE2EE", "MessagingE2EEVerification"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
