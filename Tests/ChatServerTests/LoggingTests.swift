import Foundation
import Logging
import Synchronization
import Testing

/// Collects every log line (message and metadata) of a server in memory.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func logger() -> Logger {
        var logger = Logger(label: "test.capture") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(
            level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
            file: String, function: String, line: UInt
        ) {
            let merged = metadata.merging(explicit ?? [:]) { $1 }
            let fields = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
            capture.append("\(level) \(message) \(fields)")
        }
    }
}

@Suite("ChatServer logs")
struct LoggingTests {
    @Test("one line per request with the request id and the session id; never bodies, passwords, tokens or queries")
    func requestLines() async throws {
        let capture = LogCapture()
        let server = try await TestServer.start(logger: capture.logger())
        let client = HTTPClient(base: server.base)
        let alice = try await client.user("alice")
        let room = try await client.group(by: alice, members: [])
        let secret = "body-\(UUID().uuidString)"
        try await client.send(secret, to: room, as: alice)
        let search = try await client.call("GET", "/v1/search?q=\(secret)", token: alice.token)
        #expect(search.status == 200)
        let refreshed = try await client.call("POST", "/v1/auth/refresh", json: ["refreshToken": alice.refreshToken])
        #expect(refreshed.status == 200)
        try await server.stop()

        let lines = capture.all
        let sendLines = lines.filter { $0.contains("route=/v1/conversations/{id}/messages") && $0.contains("method=POST") }
        #expect(sendLines.count == 1, "\(lines.filter { $0.contains("request") }.prefix(5))")
        let line = try #require(sendLines.first)
        #expect(line.contains("hb.request.id="))
        #expect(line.contains("session=\(alice.session)"))
        #expect(line.contains("status=201"))
        let requestID = try #require(search.header("X-Request-Id"))
        #expect(lines.contains { $0.contains("hb.request.id=\(requestID)") && $0.contains("route=/v1/search") })
        let everything = lines.joined(separator: "\n")
        #expect(!everything.contains(secret), "a message body reached the logs")
        #expect(!everything.contains(HTTPClient.password))
        #expect(!everything.contains(alice.token))
        #expect(!everything.contains(alice.refreshToken))
        if let newRefresh = refreshed["refreshToken"] as? String { #expect(!everything.contains(newRefresh)) }
    }

    @Test("end-to-end traffic logs ids, epochs and counts, never bundles, envelopes or ciphertext")
    func encryptedTraffic() async throws {
        let capture = LogCapture()
        let server = try await TestServer.start(logger: capture.logger())
        let client = HTTPClient(base: server.base)
        let alice = try await E2EEDevice.make(try await client.user("alice"), client: client)
        let bob = try await E2EEDevice.make(try await client.user("bob"), client: client)
        let room = try await EncryptedConversationTests.encryptedGroup(by: alice.login, members: [bob.login], client: client)
        let state = try await alice.devices(in: room)
        let (rotated, key) = try await alice.rotate(room, epoch: 1, to: state.bundles)
        #expect(rotated.status == 200)
        let sent = try await alice.send("quiet please", key: key, to: room)
        #expect(sent.status == 201)
        let ciphertext = try #require((sent["message"] as? [String: Any])?["ciphertext"] as? String)
        let envelopes = try await bob.inbox().compactMap { $0["envelope"] as? String }
        #expect(envelopes.count == 1)
        try await server.stop()

        let everything = capture.all.joined(separator: "\n")
        #expect(everything.contains("key envelopes stored") && everything.contains("device published"))
        for secret in [alice.bundleText, bob.bundleText, ciphertext, "quiet please"] + envelopes {
            #expect(!everything.contains(secret), "an E2EE object reached the logs")
        }
        // Not even a recognisable piece of one (the base64 forms share no 24-character run with the logs).
        for blob in [alice.bundleText, ciphertext] + envelopes {
            #expect(!everything.contains(String(blob.prefix(24))))
        }
    }
}
