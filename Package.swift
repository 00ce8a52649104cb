// swift-tools-version:6.1
import PackageDescription

/// Every target compiles in the Swift 6 language mode (complete strict concurrency)
/// with `ExistentialAny`, so existential uses are always spelled `any Port`.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swift-messaging",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MessagingCore", targets: ["MessagingCore"]),
        .library(name: "MessagingPersistence", targets: ["MessagingPersistence"]),
        .library(name: "MessagingAuth", targets: ["MessagingAuth"]),
        .library(name: "MessagingE2EE", targets: ["MessagingE2EE"]),
        .library(name: "MessagingE2EEVerification", targets: ["MessagingE2EEVerification"]),
        .library(name: "MessagingPresence", targets: ["MessagingPresence"]),
        .library(name: "MessagingWire", targets: ["MessagingWire"]),
        .library(name: "MessagingDelivery", targets: ["MessagingDelivery"]),
        .library(name: "MessagingMedia", targets: ["MessagingMedia"]),
        .library(name: "MessagingTransport", targets: ["MessagingTransport"]),
        .library(name: "MessagingWebSocket", targets: ["MessagingWebSocket"]),
        .library(name: "MessagingSSE", targets: ["MessagingSSE"]),
        .library(name: "MessagingClient", targets: ["MessagingClient"]),
        .library(name: "MessagingPostgres", targets: ["MessagingPostgres"]),
        .library(name: "MessagingTesting", targets: ["MessagingTesting"]),
        .library(name: "MessagingPush", targets: ["MessagingPush"]),
        .executable(name: "DeliveryWorker", targets: ["DeliveryWorker"]),
        .executable(name: "ChatServer", targets: ["ChatServer"]),
        .executable(name: "ChatClient", targets: ["ChatClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // Hummingbird's default traits pull in swift-configuration, which nothing here uses.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // MessagingPush: HTTP/2 to APNs and HTTPS to FCM.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // The push tests' mock servers: TLS with a certificate made at test time, HTTP/2.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        // MARK: Domain + application (Foundation only)
        .target(
            name: "MessagingCore",
            swiftSettings: strictSettings
        ),

        // MARK: Infrastructure: SQLite
        .target(
            name: "MessagingPersistence",
            dependencies: [
                "MessagingCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API itself, for the hot statements (SQLiteTransaction+Hot.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Infrastructure: PostgreSQL (PostgresNIO stays in this product)
        .target(
            name: "MessagingPostgres",
            dependencies: [
                "MessagingCore",
                // The cluster adapters: EventBus, PresenceStore, LoginThrottle.
                "MessagingDelivery", "MessagingPresence", "MessagingAuth",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                // NIOThreadPool: the threads that run the synchronous transaction closures.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Test kit for hosts and adapters (Swift Testing; links no adapter)
        .target(
            name: "MessagingTesting",
            dependencies: ["MessagingCore", "MessagingTransport"],
            swiftSettings: strictSettings
        ),

        // MARK: System libraries
        .systemLibrary(name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        // The one libsodium helper of the package (package access, in no product's API): the
        // initialization, base64url, SHA-256 and HMAC, BLAKE2b, randomness, password hashing.
        .target(
            name: "MessagingSodium",
            dependencies: ["CSodium"],
            swiftSettings: strictSettings
        ),

        // MARK: End-to-end encryption (libsodium only: client apps link it without any server piece)
        .target(
            name: "MessagingE2EE",
            dependencies: ["CSodium", "MessagingSodium"],
            swiftSettings: strictSettings
        ),

        // MARK: Accounts, tokens and sessions (libsodium + jwt-kit; Persistence never links these)
        .target(
            name: "MessagingAuth",
            dependencies: [
                "MessagingCore", "CSodium", "MessagingSodium",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Presence (in memory; the PresenceStore port admits a shared adapter)
        .target(
            name: "MessagingPresence",
            dependencies: [
                "MessagingCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Wire protocol v1, both ways: client frames in; server frames, events and message JSON out
        .target(
            name: "MessagingWire",
            dependencies: ["MessagingCore", "MessagingPresence", "MessagingSodium"],
            swiftSettings: strictSettings
        ),

        // MARK: Delivery: fanout, acknowledgements, job runner, notifications
        .target(
            name: "MessagingDelivery",
            dependencies: [
                "MessagingCore", "MessagingWire", "MessagingSodium",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: The typed realtime client (resume, dedupe, acks, idempotent sends) over a client transport
        .target(
            name: "MessagingClient",
            dependencies: [
                "MessagingCore", "MessagingWire", "MessagingTransport", "MessagingWebSocket", "MessagingSSE", "MessagingE2EE",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Media attachments: the MediaStore port, local files and S3 (SigV4 presigning on libsodium)
        .target(
            name: "MessagingMedia",
            dependencies: ["MessagingCore", "MessagingSodium"],
            swiftSettings: strictSettings
        ),

        // MARK: Transport ports and the realtime gateway (no network stack, no JWT library)
        .target(
            name: "MessagingTransport",
            dependencies: [
                "MessagingCore", "MessagingWire", "MessagingDelivery", "MessagingPresence",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Server-side checks of end-to-end encrypted objects (the EndToEndVerifier port on libsodium)
        .target(
            name: "MessagingE2EEVerification",
            dependencies: ["MessagingCore", "MessagingE2EE"],
            swiftSettings: strictSettings
        ),

        // MARK: WebSocket adapter of the transport ports (Hummingbird 2 server side, WSClient client side)
        .target(
            name: "MessagingWebSocket",
            dependencies: [
                "MessagingTransport", "MessagingWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Server-Sent Events adapter of the transport ports (Hummingbird 2 server side, AsyncHTTPClient client side)
        .target(
            name: "MessagingSSE",
            dependencies: [
                "MessagingTransport", "MessagingWire", "MessagingCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Push adapters: APNs (HTTP/2, token authentication) and FCM HTTP v1 (AsyncHTTPClient + jwt-kit)
        .target(
            name: "MessagingPush",
            dependencies: [
                "MessagingCore", "MessagingDelivery",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Examples
        // The chat server's assembly is a library so tests can start it in-process on loopback.
        .target(
            name: "ChatServerApp",
            dependencies: [
                "MessagingCore", "MessagingPersistence", "MessagingAuth", "MessagingPresence",
                "MessagingDelivery", "MessagingWire", "MessagingTransport", "MessagingWebSocket", "MessagingSSE", "MessagingE2EEVerification",
                "MessagingPostgres", "MessagingMedia", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/ChatServer/App",
            resources: [.copy("Operations/openapi.json"), .copy("Web")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ChatServer",
            dependencies: [
                "ChatServerApp", "MessagingPostgres", "MessagingCore", "MessagingDelivery", "MessagingPush", "MessagingMedia",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Examples/ChatServer/Main",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ChatClient",
            dependencies: [
                "MessagingWebSocket", "MessagingTransport", "MessagingWire", "MessagingCore", "MessagingE2EE", "MessagingClient",
                "MessagingSodium",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/ChatClient",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "DeliveryWorker",
            dependencies: [
                "MessagingCore", "MessagingPersistence", "MessagingDelivery", "MessagingPostgres", "MessagingPush",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/DeliveryWorker",
            swiftSettings: strictSettings
        ),

        // MARK: Benchmarks that need the server's package graph
        // End-to-end load against a running ChatServer over loopback WebSockets (`make bench-e2e`).
        // Its source lives with the other benchmarks; it is declared here so one release build
        // makes both it and ChatServer (the Benchmarks package would build Hummingbird again).
        .executableTarget(
            name: "LoadGenerator",
            dependencies: [
                "MessagingTransport", "MessagingWebSocket", "MessagingSSE",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Tools/LoadGenerator",
            swiftSettings: strictSettings
        ),

        // MARK: Test support
        // Shared by the test targets: child processes launched with posix_spawn (Foundation's
        // Process.run() over-reads /proc/self/fd and crashes a test binary that holds many
        // descriptors), a seeded random generator, and short typed protocol requests.
        .target(
            name: "TestSupport",
            dependencies: ["MessagingCore", "MessagingWire"],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),

        // A child process for the crash-safety test: sends in a loop until killed.
        .executableTarget(
            name: "SQLiteCrashProbe",
            dependencies: ["MessagingCore", "MessagingPersistence"],
            path: "Tests/SQLiteCrashProbe",
            swiftSettings: strictSettings
        ),

        // A child process for the media memory test: a 200 MiB streamed write and read,
        // measured in its own process.
        .executableTarget(
            name: "MediaStreamProbe",
            dependencies: ["MessagingMedia"],
            path: "Tests/MediaStreamProbe",
            swiftSettings: strictSettings
        ),

        // A child process for the delivery fault tests: a loaded chat node (send, fan out,
        // acknowledge) or a job worker, killed by the test or by an armed failpoint.
        .executableTarget(
            name: "DeliveryProbe",
            dependencies: [
                "MessagingCore", "MessagingPersistence", "MessagingDelivery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/DeliveryProbe",
            swiftSettings: strictSettings
        ),

        // MARK: Tests
        .testTarget(
            name: "MessagingCoreTests",
            dependencies: ["MessagingCore", "MessagingTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingPersistenceTests",
            dependencies: [
                "TestSupport",
                "MessagingCore", "MessagingPersistence", "MessagingTesting", "SQLiteCrashProbe",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingPostgresTests",
            dependencies: [
                "MessagingCore", "MessagingPostgres", "MessagingTesting",
                "MessagingDelivery", "MessagingPresence", "MessagingAuth",
                // The cluster test: ChatServer processes on one database, WebSocket clients.
                "TestSupport", "ChatServer", "MessagingTransport", "MessagingWebSocket", "MessagingClient", "MessagingWire",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
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
        .testTarget(
            name: "MessagingSodiumTests",
            dependencies: ["MessagingSodium", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingE2EETests",
            dependencies: ["TestSupport", "MessagingE2EE", "MessagingSodium"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingE2EEVerificationTests",
            dependencies: ["TestSupport", "MessagingCore", "MessagingPersistence", "MessagingE2EE", "MessagingE2EEVerification"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingPresenceTests",
            dependencies: ["MessagingCore", "MessagingPersistence", "MessagingPresence", "MessagingTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingDeliveryTests",
            dependencies: [
                "TestSupport",
                "MessagingCore", "MessagingPersistence", "MessagingWire", "MessagingDelivery", "MessagingTesting", "DeliveryProbe",
                "MessagingSodium",
                "DeliveryWorker",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingMediaTests",
            dependencies: ["TestSupport", "MessagingMedia", "MessagingCore", "MediaStreamProbe"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingTransportTests",
            dependencies: [
                "TestSupport",
                "MessagingCore", "MessagingPersistence", "MessagingAuth", "MessagingDelivery",
                "MessagingPresence", "MessagingWire", "MessagingTransport", "MessagingTesting", "MessagingClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TransportAdapterTests",
            dependencies: [
                "MessagingCore", "MessagingTransport", "MessagingWebSocket", "MessagingSSE", "MessagingTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingWebSocketTests",
            dependencies: [
                "MessagingTransport", "MessagingWebSocket",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MessagingPushTests",
            dependencies: [
                "MessagingCore", "MessagingDelivery", "MessagingPush", "MessagingPersistence",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ChatServerTests",
            dependencies: [
                "TestSupport",
                "ChatServerApp", "ChatServer", "ChatClient", "MessagingClient", "MessagingCore", "MessagingWire", "MessagingTransport", "MessagingWebSocket", "MessagingSSE",
                "MessagingE2EE", "MessagingAuth", "MessagingMedia",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
