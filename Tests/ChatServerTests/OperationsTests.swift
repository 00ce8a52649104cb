@testable import ChatServerApp
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("ChatServer operations: health, readiness, metrics, keys, shutdown")
struct OperationsTests {
    @Test("/healthz and /readyz answer 200 while running; /metrics has every server metric in Prometheus text")
    func healthReadyMetrics() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let health = try await client.call("GET", "/healthz")
            #expect(health.status == 200)
            #expect(health["status"] as? String == "ok")
            let ready = try await client.call("GET", "/readyz")
            #expect(ready.status == 200)
            #expect(ready["status"] as? String == "ready")

            // Traffic that moves the metrics: a send and an error answer.
            let alice = try await client.user("alice")
            let room = try await client.group(by: alice, members: [])
            try await client.send("hello", to: room, as: alice)
            #expect(try await client.call("GET", "/v1/conversations/not-a-uuid", token: alice.token).status == 400)

            let metrics = try await client.call("GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
            let text = metrics.text
            for name in [
                "chat_realtime_connections", "chat_deliveries_total", "chat_send_duration_seconds_bucket",
                "chat_job_queue_lag_seconds", "chat_rate_limit_rejections_total", "chat_http_requests_total",
            ] {
                #expect(text.contains(name), "missing \(name)")
            }
            #expect(text.contains("# TYPE chat_send_duration_seconds histogram"))
            #expect(text.contains("chat_send_duration_seconds_count 1"))
            #expect(text.contains(#"chat_errors_total{code="invalid_input",status="400"} 1"#))
            #expect(!text.contains("hello"))
        }
    }

    @Test("readiness reports why it is not ready: migrations, shutdown, database")
    func readinessReasons() async throws {
        let readiness = Readiness()
        #expect(await ChatAPI.readinessBlocker(readiness) {} == "migrations have not run yet")
        readiness.markMigrated()
        #expect(await ChatAPI.readinessBlocker(readiness) {} == nil)
        struct Down: Error {}
        #expect(await ChatAPI.readinessBlocker(readiness) { throw Down() } == "the database does not answer")
        readiness.markDraining()
        #expect(await ChatAPI.readinessBlocker(readiness) {} == "the server is shutting down")
    }

    @Test("first run creates the database directory and a 0600 keys file; the second run reuses the key")
    func keyFileLifecycle() async throws {
        let directory = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keysPath = directory.appendingPathComponent("data/keys.json").path
        #expect(!FileManager.default.fileExists(atPath: keysPath))

        let first = try await TestServer.start(directory: directory)
        #expect(first.server.keyFileOutcome == .generated)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/chat.sqlite").path))
        var status = stat()
        #expect(stat(keysPath, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        let client = HTTPClient(base: first.base)
        let alice = try await client.user("alice")
        let keysBefore = try Data(contentsOf: URL(fileURLWithPath: keysPath))
        try await first.stop(removingFiles: false)

        let second = try await TestServer.start(directory: directory)
        #expect(second.server.keyFileOutcome == .loaded)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keysPath)) == keysBefore)
        // The access token signed by the first run verifies in the second: same key, same database.
        let sessions = try await HTTPClient(base: second.base).call("GET", "/v1/sessions", token: alice.token)
        #expect(sessions.status == 200, "\(sessions)")
        try await second.stop(removingFiles: false)

        // A keys file others can read is refused with a message saying how to fix it.
        #expect(chmod(keysPath, 0o644) == 0)
        do {
            _ = try await TestServer.start(directory: directory)
            Issue.record("a world-readable keys file was accepted")
        } catch let error as ChatServerError {
            #expect(error.code == .keyFile)
            #expect(error.message.contains("chmod 600"))
        }
    }

    @Test("a corrupt keys file is refused with a typed error, and the file is left as it was")
    func corruptKeyFile() async throws {
        let directory = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keysPath = directory.appendingPathComponent("data/keys.json").path
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: keysPath, contents: Data("{not json".utf8), attributes: [.posixPermissions: 0o600]))
        do {
            _ = try await TestServer.start(directory: directory)
            Issue.record("a corrupt keys file was accepted")
        } catch let error as ChatServerError {
            #expect(error.code == .keyFile)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: keysPath)) == Data("{not json".utf8))
    }

    @Test("graceful shutdown: run returns, the port stops answering, and the data survives a restart")
    func gracefulShutdown() async throws {
        let directory = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await TestServer.start(directory: directory)
        let client = HTTPClient(base: first.base)
        let alice = try await client.user("alice")
        let room = try await client.group(by: alice, members: [])
        try await client.send("before the restart", to: room, as: alice)

        let stopped = ContinuousClock.now
        try await first.stop(removingFiles: false)  // returns only once run() returned
        #expect(stopped.duration(to: .now) < .seconds(15))
        await #expect(throws: (any Error).self) { _ = try await client.call("GET", "/healthz") }

        let second = try await TestServer.start(directory: directory)
        let again = HTTPClient(base: second.base)
        let history = try await again.call("GET", "/v1/conversations/\(room)/messages", token: alice.token)
        #expect(history.status == 200)
        let messages = try #require(history["messages"] as? [[String: Any]])
        #expect(messages.map { $0["text"] as? String } == ["before the restart"])
        try await second.stop(removingFiles: false)
    }
}
