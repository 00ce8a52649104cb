import ChatServerApp
import Foundation
import Logging
import MessagingCore
import MessagingTransport
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A wall clock tests move (to expire access tokens) — forward and back.
final class MovableClock: WallClock {
    private let offset = Mutex<Int64>(0)
    func now() -> Timestamp {
        Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000) + offset.withLock { $0 })
    }
    func advance(seconds: Int64) { offset.withLock { $0 += seconds * 1000 } }
}

extension Logger {
    static var quiet: Logger {
        var logger = Logger(label: "test.chatserver") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        return logger
    }
}

enum TestFailure: Error, CustomStringConvertible {
    case timeout(String)
    case unexpected(String)
    var description: String {
        switch self {
        case .timeout(let what): "timed out: \(what)"
        case .unexpected(let what): what
        }
    }
}

/// A `ChatServer` running in this process on 127.0.0.1 and a port the system picked.
final class TestServer: Sendable {
    let server: ChatServer
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    let directory: URL
    let clock: MovableClock

    var base: String { "http://127.0.0.1:\(port)" }

    private init(server: ChatServer, group: ServiceGroup, task: Task<Void, any Error>, port: Int, directory: URL, clock: MovableClock) {
        self.server = server
        self.group = group
        self.task = task
        self.port = port
        self.directory = directory
        self.clock = clock
    }

    /// Every regular file under `directory`, at any depth (the database, its WAL, media objects).
    static func files(under directory: URL) throws -> [URL] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        var files: [URL] = []
        while let url = enumerator?.nextObject() as? URL {
            if try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true { files.append(url) }
        }
        return files
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chatserver-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Starts a server on a fresh database in a temporary directory (or the one given).
    static func start(
        directory given: URL? = nil, logger: Logger = .quiet, configure: (inout ChatServerConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        let directory = try given ?? temporaryDirectory()
        var configuration = ChatServerConfiguration(
            host: "127.0.0.1", port: 0, databasePath: directory.appendingPathComponent("data/chat.sqlite").path,
            runsJobs: true, secureCookies: false)
        configuration.limits.rateLimits = .testing
        configure(&configuration)
        let clock = MovableClock()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = try await ChatServer(
            configuration: configuration, logger: logger, wallClock: clock, passwordHashing: .minimumForTestsOnly
        ) { _, port in
            continuation.yield(port)
        }
        let group = server.makeServiceGroup()
        let task = Task { try await group.run() }
        let port = try await withThrowingTaskGroup(of: Int?.self) { waiters in
            waiters.addTask { await ports.first { _ in true } }
            waiters.addTask {
                try await Task.sleep(for: .seconds(20))
                return nil
            }
            let first = try await waiters.next() ?? nil
            waiters.cancelAll()
            return first
        }
        guard let port, port > 0 else {
            task.cancel()
            throw TestFailure.timeout("the server did not report a listening port")
        }
        return TestServer(server: server, group: group, task: task, port: port, directory: directory, clock: clock)
    }

    /// Graceful shutdown (what SIGTERM triggers), then waits for `run` to return.
    func stop(removingFiles: Bool = true) async throws {
        await group.triggerGracefulShutdown()
        try await task.value
        if removingFiles { try? FileManager.default.removeItem(at: directory) }
    }

    /// Runs `body` against a fresh server, then stops it.
    static func with<T: Sendable>(
        configure: (inout ChatServerConfiguration) -> Void = { _ in }, _ body: (TestServer) async throws -> T
    ) async throws -> T {
        let server = try await start(configure: configure)
        do {
            let result = try await body(server)
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }
}

extension RateLimits {
    /// The defaults, except that one address (the tests' 127.0.0.1) may make many auth requests.
    static var testing: RateLimits {
        var limits = RateLimits.default
        limits.perAddress[.auth] = TokenBucketRule(burst: 10_000, perSecond: 1_000)
        limits.perAddress[.message] = TokenBucketRule(burst: 10_000, perSecond: 1_000)
        return limits
    }
}
