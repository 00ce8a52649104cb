import Foundation
import Logging
import MessagingClient
import MessagingCore
import MessagingPostgres
import MessagingTransport
import MessagingWebSocket
import MessagingWire
import PostgresNIO
import Synchronization
import TestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct ClusterFailure: Error, CustomStringConvertible {
    let description: String
}

/// ChatServer processes on one fresh PostgreSQL database (channels are per database, so
/// parallel tests do not hear each other), started and killed by the test.
final class ChatCluster: Sendable {
    let directory: URL
    let url: String
    let databaseName: String
    /// The base URL of each node, `nil` while it is down.
    let bases: Mutex<[String?]>
    private let processes: Mutex<[SpawnedProcess?]>
    /// Each node's latest log file.
    private let logs: Mutex<[URL?]>

    private init(directory: URL, url: String, databaseName: String, count: Int) {
        self.directory = directory
        self.url = url
        self.databaseName = databaseName
        bases = Mutex(Array(repeating: nil, count: count))
        processes = Mutex(Array(repeating: nil, count: count))
        logs = Mutex(Array(repeating: nil, count: count))
    }

    /// Runs `body` with the URL of a fresh database (dropped afterwards, with its connections).
    static func withFreshDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
        let admin = try TestDatabase.url()
        let name = "fresh_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await TestDatabase.withAdminConnection(admin) { try await $0.query("CREATE DATABASE \(unescaped: String(name))", logger: TestDatabase.logger) }
        let password = admin.password.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) }
        let url = "postgres://\(admin.username)\(password.map { ":" + $0 } ?? "")@\(admin.host):\(admin.port)/\(name)?sslmode=disable"
        let result: Result<T, any Error>
        do {
            result = .success(try await body(url))
        } catch {
            result = .failure(error)
        }
        _ = try? await TestDatabase.withAdminConnection(admin) {
            try await $0.query("DROP DATABASE IF EXISTS \(unescaped: String(name)) WITH (FORCE)", logger: TestDatabase.logger)
        }
        return try result.get()
    }

    /// Runs `body` with `count` nodes up; kills every node and drops the database afterwards.
    static func with<T>(nodes count: Int, _ body: (ChatCluster) async throws -> T) async throws -> T {
        let admin = try TestDatabase.url()
        let name = "cluster_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await TestDatabase.withAdminConnection(admin) { try await $0.query("CREATE DATABASE \(unescaped: String(name))", logger: TestDatabase.logger) }
        let password = admin.password.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) }
        let url = "postgres://\(admin.username)\(password.map { ":" + $0 } ?? "")@\(admin.host):\(admin.port)/\(name)?sslmode=disable"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-messaging-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = ChatCluster(directory: directory, url: url, databaseName: String(name), count: count)
        defer {
            cluster.killAll()
            try? FileManager.default.removeItem(at: directory)
        }
        let result: Result<T, any Error>
        do {
            // The first node makes the token keys every node shares; the others read them.
            try await cluster.start(0)
            for index in 1..<count { try await cluster.start(index) }
            result = .success(try await body(cluster))
        } catch {
            result = .failure(error)
        }
        cluster.killAll()
        _ = try? await TestDatabase.withAdminConnection(admin) {
            try await $0.query("DROP DATABASE IF EXISTS \(unescaped: String(name)) WITH (FORCE)", logger: TestDatabase.logger)
        }
        return try result.get()
    }

    static func executable(_ name: String) throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw ClusterFailure(description: "the \(name) executable was not found near \(CommandLine.arguments[0]); build with --build-tests")
    }

    /// Starts node `index` on a free port and waits until `/readyz` answers 200.
    func start(_ index: Int) async throws {
        let log = directory.appendingPathComponent("node\(index)-\(UUID().uuidString.prefix(6)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        let process = SpawnedProcess()
        process.executableURL = try Self.executable("ChatServer")
        process.arguments = [
            "--port", "0", "--no-jobs", "--keys", directory.appendingPathComponent("keys.json").path,
            "--database", directory.appendingPathComponent("unused-\(index).sqlite").path,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["MESSAGING_POSTGRES_URL"] = url
        environment["CHAT_BENCHMARK_LIMITS"] = "1"
        environment["CHAT_LOG_LEVEL"] = ProcessInfo.processInfo.environment["MESSAGING_CLUSTER_LOG_LEVEL"] ?? "warning"
        environment["CHAT_HOST"] = "127.0.0.1"
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try? output.close()
        processes.withLock { $0[index] = process }
        logs.withLock { $0[index] = log }
        let deadline = ContinuousClock.now + .seconds(60)
        var base: String?
        while base == nil {
            guard ContinuousClock.now < deadline, process.isRunning else {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw ClusterFailure(description: "node \(index) did not start: \(text.suffix(2000))")
            }
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            base = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("http://127.0.0.1:") }.map(String.init)
            if base == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let http = ClusterHTTP()
        while true {
            if let answer = try? await http.call("GET", base! + "/readyz"), answer.status == 200 { break }
            guard ContinuousClock.now < deadline else { throw ClusterFailure(description: "node \(index) never became ready") }
            try await Task.sleep(for: .milliseconds(50))
        }
        bases.withLock { $0[index] = base }
    }

    /// SIGKILLs node `index` and waits until it is gone.
    func kill(_ index: Int) async {
        let process = processes.withLock { processes -> SpawnedProcess? in
            defer { processes[index] = nil }
            return processes[index]
        }
        bases.withLock { $0[index] = nil }
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// SIGTERMs node `index` and waits up to `limit` for it to exit. Returns its exit status,
    /// or `nil` when it was still running (then it is SIGKILLed), and what it logged, with
    /// its threads' stacks (gdb) when it did not exit.
    func terminate(_ index: Int, within limit: Duration) async -> (status: Int32?, diagnostics: String) {
        let process = processes.withLock { processes -> SpawnedProcess? in
            defer { processes[index] = nil }
            return processes[index]
        }
        bases.withLock { $0[index] = nil }
        let log = logs.withLock { $0[index] }
        guard let process else { return (nil, "node \(index) was not running") }
        Foundation.kill(process.processIdentifier, SIGTERM)
        let start = ContinuousClock.now
        let deadline = start + limit
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        var diagnostics = "SIGTERM to node \(index); \(process.isRunning ? "still running" : "exited") after \(ContinuousClock.now - start)\n"
        diagnostics += log.flatMap { try? String(contentsOf: $0, encoding: .utf8) }.map { String($0.suffix(3000)) } ?? ""
        guard !process.isRunning else {
            diagnostics += "\n--- stacks ---\n" + Self.stacks(of: process.processIdentifier)
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return (nil, diagnostics)
        }
        return (process.terminationStatus, diagnostics)
    }

    /// The threads' stacks of a running process, from gdb when it is installed.
    static func stacks(of pid: Int32) -> String {
        let gdb = SpawnedProcess()
        gdb.executableURL = URL(fileURLWithPath: "/usr/bin/gdb")
        guard FileManager.default.isExecutableFile(atPath: gdb.executableURL!.path) else { return "(no gdb)" }
        // Attach through a thread other than the main one: Swift's async main ends the main
        // thread (a zombie thread-group leader gdb cannot attach to) while the others run.
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        let target = tasks.first { $0 != "\(pid)" } ?? "\(pid)"
        gdb.arguments = ["-p", target, "-batch", "-ex", "thread apply all bt 30"]
        let pipe = Pipe()
        gdb.standardOutput = pipe
        gdb.standardError = pipe
        guard (try? gdb.run()) != nil else { return "(gdb did not start)" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        gdb.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        // The frames, without gdb's symbol-loading chatter.
        let frames = text.split(separator: "\n").filter { $0.hasPrefix("#") || $0.hasPrefix("Thread") }
        return frames.isEmpty ? String(text.suffix(2000)) : frames.prefix(400).joined(separator: "\n")
    }

    private func killAll() {
        let all = processes.withLock { processes -> [SpawnedProcess] in
            defer { processes = processes.map { _ in nil } }
            return processes.compactMap { $0 }
        }
        for process in all where process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The live nodes' base URLs, starting with `preferred` when it is up.
    func liveBases(preferring preferred: Int) -> [String] {
        bases.withLock { bases in
            let count = bases.count
            return (0..<count).compactMap { bases[(preferred + $0) % count] }
        }
    }
}

/// A small HTTP client over URLSession.
struct ClusterHTTP: Sendable {
    struct Answer: Sendable {
        let status: Int
        let data: Data
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]) ?? [:] }
    }

    private let session: URLSession

    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForRequest = 10
        session = URLSession(configuration: configuration)
    }

    func call(_ method: String, _ url: String, token: String? = nil, json: Any? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await session.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, data: data)
    }
}

/// A realtime client that follows one conversation across node failures: it subscribes
/// after the last `seq` it kept, acknowledges what it receives, and when its connection
/// ends reconnects to the next live node.
///
/// Each connection is a `ProtocolConnection` (typed `subscribe` and `ack`), not a
/// `RealtimeClient`: it must see every event the server sends, as sent, to check that the
/// server never skips or repeats a `seq` (a `RealtimeClient` drops duplicates and resyncs).
final class ClusterReader: Sendable {
    struct State {
        var kept: [Int64] = []
        var repeats = 0
        var gaps: [String] = []
        var connections = 0
    }

    let token: String
    let conversation: String
    let home: Int
    let state = Mutex(State())

    init(token: String, conversation: String, home: Int) {
        self.token = token
        self.conversation = conversation
        self.home = home
    }

    var last: Int64 { state.withLock { $0.kept.last ?? 0 } }

    /// Follows the conversation until the task is cancelled.
    func run(_ cluster: ChatCluster) async {
        var logger = Logger(label: "cluster-reader") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        guard let conversationID = ConversationID(conversation) else { return }
        var attempt = 0
        while !Task.isCancelled {
            let bases = cluster.liveBases(preferring: home + attempt)
            attempt += 1
            guard let base = bases.first else {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            let ws = "ws" + base.dropFirst(4) + "/v1/realtime"
            let client = WebSocketTransportClient(url: String(ws), bearerToken: token, logger: logger)
            _ = try? await client.withConnection { [self, logger] connection in
                state.withLock { $0.connections += 1 }
                // Pings unanswered, nothing kept, no automatic acks: as the raw reader this was.
                let protocolConnection = ProtocolConnection(
                    connection, configuration: .init(answersPings: false, keptFrames: 0), logger: logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await protocolConnection.run { [self] frame in
                            guard frame["type"]?.string == "event", let seq = frame["event"]?["seq"]?.integer else { return }
                            record(seq)
                            protocolConnection.enqueue(.ack(conversationID, seq: seq))
                        }
                    }
                    do {
                        // As long as the connection lasts (the raw reader waited without a bound).
                        _ = try await protocolConnection.ready(timeout: .seconds(3600))
                    } catch {
                        // The connection ended first (its node died): close it and move on.
                        await protocolConnection.close(.goingAway, reason: "reader moves on")
                    }
                    // Whatever the answer (or none, when the node dies), the reader keeps
                    // reading until the connection ends, as the raw reader did.
                    _ = try? await protocolConnection.answer(to: .subscribe(conversationID, after: last))
                    try await group.waitForAll()
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Keeps an event's `seq`, counting a repeat (at or below the last kept) or a gap.
    private func record(_ seq: Int64) {
        state.withLock { state in
            let last = state.kept.last ?? 0
            if seq == last + 1 {
                state.kept.append(seq)
            } else if seq <= last {
                state.repeats += 1
            } else {
                state.gaps.append("\(last) -> \(seq)")
                state.kept.append(seq)
            }
        }
    }
}
