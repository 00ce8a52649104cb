import TestSupport
import Foundation
import MessagingCore
import MessagingDelivery
import Testing

/// A Python `http.server` on 127.0.0.1 with an ephemeral port that checks each request's
/// signature with Python's own `hmac` module, records it, and stops by itself after 30 s.
final class LoopbackWebhook: @unchecked Sendable {
    // @unchecked: the child process is started and stopped by one test task.
    let child: ChildProcess
    let port: Int
    let recordPath: String

    static let script = """
        import hashlib, hmac, http.server, json, sys, threading, time
        secret, mode, out = sys.argv[1].encode(), sys.argv[2], sys.argv[3]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                stamp = self.headers['X-Messaging-Timestamp']
                expected = 'sha256=' + hmac.new(secret, (stamp + '.').encode() + body, hashlib.sha256).hexdigest()
                with open(out, 'a') as f:
                    f.write(json.dumps({'valid': hmac.compare_digest(self.headers['X-Messaging-Signature'], expected),
                                        'body': body.decode(), 'type': self.headers['Content-Type']}) + '\\n')
                if mode == 'slow':
                    time.sleep(3)
                self.send_response(500 if mode == 'fail' else 204)
                self.end_headers()
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        print(server.server_address[1], flush=True)
        threading.Timer(30, server.shutdown).start()
        server.serve_forever()
        """

    init(secret: String, mode: String, directory: URL) throws {
        let scriptPath = directory.appendingPathComponent("webhook.py")
        try Self.script.write(to: scriptPath, atomically: true, encoding: .utf8)
        recordPath = directory.appendingPathComponent("webhook-\(mode).jsonl").path
        let output = Pipe()
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath.path, secret, mode, recordPath]
        process.standardOutput = output
        try process.run()
        child = ChildProcess(wrapping: process)
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw MessagingError(code: .notFound, message: "the loopback webhook did not start (python3 missing?)")
        }
        self.port = port
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)/hook")! }

    struct Record: Decodable {
        let valid: Bool
        let body: String
        let type: String
    }

    var records: [Record] {
        completeLines(recordPath).compactMap { try? JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
    }

    deinit { child.kill() }
}

@Suite("Webhook push provider")
struct WebhookTests {
    let fixture: DeliveryFixture
    init() throws { fixture = try DeliveryFixture() }

    var notification: PushNotification {
        PushNotification(
            userID: UserID(UUIDv7Generator().next()), conversationID: ConversationID(UUIDv7Generator().next()), reason: .mention,
            latestSeq: 42, messageID: nil, count: 3)
    }

    @Test("the signature is HMAC-SHA256 of timestamp.body (vector computed with Python's hmac)")
    func signatureVector() {
        defer { fixture.remove() }
        #expect(WebhookPushProvider.signature(body: Array(#"{"count":1}"#.utf8), timestamp: 1_750_000_000_000, secret: Array("whsec-test".utf8))
            == "sha256=5db100a44dfa1bcf3d49ed407c2cfe0d283499a673584f37f1888667caeeda12")
    }

    @Test("POSTs signed JSON that the receiver verifies independently")
    func delivers() async throws {
        defer { fixture.remove() }
        let server = try LoopbackWebhook(secret: "s3cret", mode: "ok", directory: fixture.directory)
        let provider = try WebhookPushProvider(url: server.url, secret: Array("s3cret".utf8), timeout: .seconds(5))
        let sent = notification
        try await provider.push(sent)
        let records = server.records
        #expect(records.count == 1)
        #expect(records.first?.valid == true, "the receiver's own HMAC matches the header")
        #expect(records.first?.type == "application/json")
        let decoded = try JSONDecoder().decode(PushNotification.self, from: Data((records.first?.body ?? "").utf8))
        #expect(decoded == sent)
    }

    @Test("a non-2xx answer and a timeout are pushFailed errors")
    func failures() async throws {
        defer { fixture.remove() }
        let failing = try LoopbackWebhook(secret: "k", mode: "fail", directory: fixture.directory)
        let provider = try WebhookPushProvider(url: failing.url, secret: Array("k".utf8), timeout: .seconds(5))
        await #expect { try await provider.push(notification) } throws: { ($0 as? DeliveryError)?.code == .pushFailed }
        let slow = try LoopbackWebhook(secret: "k", mode: "slow", directory: fixture.directory)
        let impatient = try WebhookPushProvider(url: slow.url, secret: Array("k".utf8), timeout: .milliseconds(300))
        let began = ContinuousClock.now
        await #expect { try await impatient.push(notification) } throws: { ($0 as? DeliveryError)?.code == .pushFailed }
        #expect(ContinuousClock.now - began < .milliseconds(2500), "gave up at its timeout, not the server's pace")
    }

    @Test("webhook failures go through retries into the dead-letter queue")
    func failuresDeadLetter() async throws {
        defer { fixture.remove() }
        let failing = try LoopbackWebhook(secret: "k", mode: "fail", directory: fixture.directory)
        let provider = try WebhookPushProvider(url: failing.url, secret: Array("k".utf8), timeout: .seconds(5))
        let runner = JobRunner(
            queue: fixture.jobs, handlers: [NotificationRequest.queue: NotificationDispatcher(provider: provider).handler],
            configuration: JobRunnerConfiguration(workerName: "t", backoff: Backoff(baseMilliseconds: 1, capMilliseconds: 1)),
            wallClock: fixture.clock, logger: .quiet)
        let request = NotificationRequest(
            userID: UserID(UUIDv7Generator().next()), conversationID: ConversationID(UUIDv7Generator().next()), reason: .offline,
            seq: 7, messageID: nil)
        try await fixture.jobs.enqueue(request.makeJob(windowMilliseconds: 0, maxAttempts: 3), at: fixture.clock.now())
        for _ in 0..<20 where try await fixture.jobs.deadJobs(in: nil, after: nil, limit: 1).isEmpty {
            try await runner.runOnce()
            fixture.clock.advance(milliseconds: 2)
        }
        let dead = try await fixture.jobs.deadJobs(in: nil, after: nil, limit: 10)
        #expect(dead.count == 1)
        #expect(dead.first?.attempts == 3)
        #expect(dead.first?.lastError.contains("HTTP 500") == true)
        #expect(failing.records.count == 3)
        #expect(failing.records.allSatisfy { $0.valid })
    }

    @Test("a webhook needs an http(s) URL and a secret")
    func configuration() {
        defer { fixture.remove() }
        #expect(throws: DeliveryError.self) { try WebhookPushProvider(url: URL(string: "ftp://x")!, secret: [1]) }
        #expect(throws: DeliveryError.self) { try WebhookPushProvider(url: URL(string: "http://127.0.0.1:1")!, secret: []) }
    }
}
