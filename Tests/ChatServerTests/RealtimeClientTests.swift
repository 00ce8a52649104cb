import Foundation
import Logging
@testable import MessagingClient
import MessagingCore
import MessagingTransport
import MessagingWire
import Synchronization
import Testing

@Suite("MessagingClient against a real ChatServer")
struct RealtimeClientTests {
    static var quiet: Logger {
        var logger = Logger(label: "client-test")
        logger.logLevel = ProcessInfo.processInfo.environment["CLIENT_TEST_LOG"] == nil ? .critical : .debug
        return logger
    }

    static func client(port: Int, token: String, transport: ((any ClientTransport) -> any ClientTransport)? = nil) -> RealtimeClient {
        let webSocket = WebSocketClientTransport(url: "ws://127.0.0.1:\(port)/v1/realtime", logger: quiet)
        return RealtimeClient(
            transport: transport?(webSocket) ?? webSocket,
            configuration: .init(backoffBase: .milliseconds(50), backoffCap: .milliseconds(500)),
            token: { _ in token }, logger: quiet)
    }

    /// Everything a client's `updates` delivered, collected by a task of its own.
    final class Collector: Sendable {
        let task: Task<Void, Never>

        init(_ client: RealtimeClient) {
            let box = Box()
            task = Task { for await update in client.updates { box.append(update) } }
            self.box = box
        }

        final class Box: Sendable {
            let items = Mutex<[ClientUpdate]>([])
            func append(_ update: ClientUpdate) { items.withLock { $0.append(update) } }
        }

        let box: Box

        /// The events of `conversation` once `seq` arrived (at most 30 s).
        func events(in conversation: ConversationID, through seq: Int64) async throws -> [ClientEvent] {
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                let events = box.items.withLock { items in
                    items.compactMap { update -> ClientEvent? in
                        if case .event(let event) = update, event.conversationID == conversation { return event }
                        return nil
                    }
                }
                if events.last?.seq ?? 0 >= seq { return events }
                guard ContinuousClock.now < deadline else {
                    let connections = box.items.withLock { items in
                        items.compactMap { update -> String? in
                            switch update {
                            case .connected: "connected"
                            case .disconnected(let close): "disconnected(\(close.map { "\($0.code) \($0.reason)" } ?? "-"))"
                            case .subscriptionEnded(_, let error): "ended(\(error))"
                            default: nil
                            }
                        }
                    }
                    throw TestFailure.timeout("events through \(seq); got \(events.map(\.seq)); connections: \(connections)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    @Test("typed events arrive in order, each seq once; a send is answered with the stored message and reaches the others")
    func eventsAndSends() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let (alice, bob) = (try await http.user("alice"), try await http.user("bob"))
            let room = try #require(ConversationID(try await http.group(by: alice, members: [bob])))
            let a = Self.client(port: server.port, token: alice.token)
            let b = Self.client(port: server.port, token: bob.token)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await a.run() }
                group.addTask { try await b.run() }
                defer { group.cancelAll() }
                try await a.subscribe(room, after: 0)
                try await b.subscribe(room, after: 0)
                let collector = Collector(b)
                defer { collector.task.cancel() }
                let sent = try await a.send(text: "hello bob", to: room, clientMessageID: "c-1")
                #expect(!sent.duplicate && sent.message.text == "hello bob" && sent.message.clientMessageID == "c-1")
                let events = try await collector.events(in: room, through: sent.message.seq)
                #expect(events.map(\.seq) == Array(1...sent.message.seq), "every event from the first, in order")
                let created = try #require(events.last)
                #expect(created.kind == "message.created" && created.message?.id == sent.message.id)
                #expect(created.message?.senderID.description.lowercased() == alice.id.lowercased())
                #expect(b.lastSeq(in: room) == sent.message.seq)
                // A server refusal is a typed error with the protocol code.
                let outsider = ConversationID(UUIDv7Generator().next())
                await #expect { try await a.send(text: "x", to: outsider) } throws: { ($0 as? RealtimeClientError)?.serverCode == "not_found" }
                let read = try await b.markRead(room, upTo: sent.message.seq)
                #expect(read == sent.message.seq)
            }
        }
    }

    @Test("across a server restart the client reconnects and resumes: every event once, none lost")
    func resumeAcrossRestart() async throws {
        let directory = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var server = try await TestServer.start(directory: directory)
        let port = server.port
        let http = HTTPClient(base: server.base)
        let (alice, bob) = (try await http.user("alice"), try await http.user("bob"))
        let room = try #require(ConversationID(try await http.group(by: alice, members: [bob])))
        @discardableResult
        func post(_ text: String) async throws -> Int64 {
            let answer = try await http.call(
                "POST", "/v1/conversations/\(room)/messages", token: alice.token, json: ["clientMessageId": text, "body": text])
            try #require(answer.status == 201, "\(answer)")
            return try #require(((answer["message"] as? [String: Any])?["seq"] as? NSNumber)?.int64Value)
        }
        let b = Self.client(port: port, token: bob.token)
        let collector = Collector(b)
        defer { collector.task.cancel() }
        let running = Task { try await b.run() }
        defer { running.cancel() }
        try await b.subscribe(room, after: 0)
        var head: Int64 = 0
        for index in 1...5 { head = try await post("before-\(index)") }
        let first = try await collector.events(in: room, through: head)
        try await server.stop(removingFiles: false)
        server = try await TestServer.start(directory: directory) { $0.port = port }
        let before = head
        for index in 1...5 { head = try await post("after-\(index)") }
        let all = try await collector.events(in: room, through: head)
        try await server.stop(removingFiles: false)
        #expect(first.map(\.seq) == Array(1...before))
        #expect(all.map(\.seq) == Array(1...head), "nothing lost, nothing twice: \(all.map(\.seq))")
        #expect(all.compactMap { $0.message?.text }.suffix(5) == (1...5).map { "after-\($0)" })
        let connections = collector.box.items.withLock { items in
            items.filter { if case .connected = $0 { true } else { false } }.count
        }
        #expect(connections == 2, "connected, then again after the restart")
    }

    @Test("a send whose answer is lost with the connection is retried with the same client id and stored once")
    func sendRetriedAcrossDrop() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let (alice, bob) = (try await http.user("alice"), try await http.user("bob"))
            let room = try #require(ConversationID(try await http.group(by: alice, members: [bob])))
            let a = Self.client(port: server.port, token: alice.token) {
                // The first connection closes right after its first send frame: the server stores
                // the message, the answer never arrives.
                FirstSendHook(inner: $0, after: { connection in await connection.close(.goingAway, reason: "test: the answer is lost") })
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await a.run() }
                defer { group.cancelAll() }
                try await a.subscribe(room, after: 0)
                let sent = try await a.send(text: "exactly once", to: room, clientMessageID: "once-1")
                #expect(sent.duplicate, "the retry found the message the first connection stored")
                let history = try await http.call("GET", "/v1/conversations/\(room)/messages", token: bob.token)
                let texts = (history["messages"] as? [[String: Any]])?.compactMap { $0["body"] as? String ?? $0["text"] as? String }
                #expect(texts == ["exactly once"], "stored once: \(String(describing: texts))")
            }
        }
    }

    @Test("the client renews its access token on the open connection before it expires, without reconnecting")
    func tokenRenewal() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let (alice, bob) = (try await http.user("alice"), try await http.user("bob"))
            let room = try #require(ConversationID(try await http.group(by: alice, members: [bob])))
            #expect(RealtimeClient.expiry(of: bob.token) != nil, "the server's access tokens are JWTs with exp")
            let refreshToken = Mutex(bob.refreshToken)
            let refreshes = Atomic(0)
            let tokens: @Sendable (Bool) async throws -> String = { refresh in
                guard refresh else { return bob.token }
                let answer = try await http.call("POST", "/v1/auth/refresh", json: ["refreshToken": refreshToken.withLock { $0 }])
                try #require(answer.status == 200, "refresh: \(answer)")
                refreshToken.withLock { $0 = answer["refreshToken"] as? String ?? "" }
                refreshes.add(1, ordering: .relaxed)
                return try #require(answer["accessToken"] as? String)
            }
            // Tokens live 15 minutes: a margin of 14 min 58 s makes the renewal due about 2 s after connecting.
            let b = RealtimeClient(
                transport: WebSocketClientTransport(url: "ws://127.0.0.1:\(server.port)/v1/realtime", logger: Self.quiet),
                configuration: .init(tokenRenewalMargin: .seconds(15 * 60 - 2)), token: tokens, logger: Self.quiet)
            let collector = Collector(b)
            defer { collector.task.cancel() }
            let running = Task { try await b.run() }
            defer { running.cancel() }
            try await b.subscribe(room, after: 0)
            let deadline = ContinuousClock.now + .seconds(20)
            while !collector.box.items.withLock({ $0.contains { if case .tokenRenewed = $0 { true } else { false } } }) {
                try #require(ContinuousClock.now < deadline, "no renewal within 20 s")
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(refreshes.load(ordering: .relaxed) >= 1)
            let sent = try await http.call(
                "POST", "/v1/conversations/\(room)/messages", token: alice.token, json: ["clientMessageId": "after-renewal", "body": "still here"])
            let seq = try #require(((sent["message"] as? [String: Any])?["seq"] as? NSNumber)?.int64Value)
            _ = try await collector.events(in: room, through: seq)
            let (connects, disconnects) = collector.box.items.withLock { items in
                (items.filter { if case .connected = $0 { true } else { false } }.count,
                 items.filter { if case .disconnected = $0 { true } else { false } }.count)
            }
            #expect(connects == 1 && disconnects == 0, "renewed on the same connection")
        }
    }
}
