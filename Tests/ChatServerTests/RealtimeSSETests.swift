import Foundation
import Logging
import MessagingClient
import MessagingCore
import MessagingSSE
import MessagingTransport
import Testing

/// The Server-Sent Events binding (Protocol.md §13) against a real ChatServer: the same
/// gateway, handshake, limits, error and close codes as WebSocket, and `MessagingClient`'s
/// fallback to it when the WebSocket upgrade is refused.
@Suite("Realtime over Server-Sent Events")
struct RealtimeSSETests {
    static func frame(_ connection: SSEClientConnection) async throws -> [String: Any] {
        guard let frame = try await connection.receive() else { throw TestFailure.timeout("the stream ended") }
        return try #require(try JSONSerialization.jsonObject(with: Data(frame.bytes)) as? [String: Any])
    }

    static func client(_ server: TestServer, token: String? = nil) -> SSETransportClient {
        SSETransportClient(url: "http://127.0.0.1:\(server.port)/v1/realtime/events", bearerToken: token, logger: RealtimeClientTests.quiet)
    }

    @Test("the handshake as over WebSocket: auth frame then ready; a frame before auth closes with 4401")
    func handshake() async throws {
        try await TestServer.with { server in
            let alice = try await HTTPClient(base: server.base).user("alice")
            let ready = try await Self.client(server).withConnection { connection in
                try await connection.write(.text(#"{"type":"ping"}"#))
                #expect(try await Self.frame(connection)["type"] as? String == "pong", "ping is allowed before auth")
                try await connection.write(.text(#"{"type":"auth","id":"a1","token":"\#(alice.token)"}"#))
                let frame = try await Self.frame(connection)
                return [frame["type"] as? String, frame["id"] as? String, (frame["user"] as? String)?.lowercased()]
            }
            #expect(ready.value == ["ready", "a1", alice.id.lowercased()])
            let refused = try await Self.client(server).withConnection { connection in
                try await connection.write(.text(#"{"type":"subscribe","id":"s1","conversation":"0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a"}"#))
                let error = try await Self.frame(connection)
                #expect(error["type"] as? String == "error" && error["code"] as? String == "unauthorized")
                while try await connection.receive() != nil {}
            }
            #expect(refused.close?.code == .unauthorized)
        }
    }

    @Test("events, sends and answers flow over the stream; a frame over the limit is frame_too_big and 1009")
    func messagingAndLimits() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let (alice, bob) = (try await http.user("alice"), try await http.user("bob"))
            let room = try await http.group(by: alice, members: [bob])
            let outcome = try await Self.client(server, token: bob.token).withConnection { connection in
                #expect(try await Self.frame(connection)["type"] as? String == "ready", "a header token authenticates at once")
                try await connection.write(.text(#"{"type":"subscribe","id":"s1","conversation":"\#(room)","after":0}"#))
                var subscribed = try await Self.frame(connection)
                while subscribed["type"] as? String == "event" { subscribed = try await Self.frame(connection) }
                #expect(subscribed["type"] as? String == "ok" && subscribed["id"] as? String == "s1")
                let sent = try await http.call(
                    "POST", "/v1/conversations/\(room)/messages", token: alice.token, json: ["clientMessageId": "m1", "body": "over sse"])
                #expect(sent.status == 201)
                var event = try await Self.frame(connection)
                while ((event["event"] as? [String: Any])?["kind"] as? String) != "message.created" { event = try await Self.frame(connection) }
                let message = try #require((event["event"] as? [String: Any])?["message"] as? [String: Any])
                #expect(message["text"] as? String == "over sse")
                #expect(connection.lastEventID?.hasPrefix("\(room):") == true, "the event carried its resume token")
                try await connection.write(.text(#"{"type":"send","id":"m2","conversation":"\#(room)","clientMessageId":"m2","text":"reply"}"#))
                var answer = try await Self.frame(connection)
                while answer["id"] as? String != "m2" { answer = try await Self.frame(connection) }
                #expect(answer["type"] as? String == "ok")
                let big = String(repeating: "x", count: 130 * 1024)
                try await connection.write(.text(#"{"type":"ping","pad":"\#(big)"}"#))
                var refusal = try await Self.frame(connection)
                while refusal["type"] as? String != "error" { refusal = try await Self.frame(connection) }
                #expect(refusal["code"] as? String == "frame_too_big")
                while try await connection.receive() != nil {}
            }
            #expect(outcome.close?.code == .messageTooBig)
        }
    }

    @Test("logging out closes the session's event stream with 4403 at once")
    func revocation() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let outcome = try await Self.client(server, token: alice.token).withConnection { connection in
                #expect(try await Self.frame(connection)["type"] as? String == "ready")
                let started = ContinuousClock.now
                let logout = try await http.call("POST", "/v1/auth/logout", token: alice.token, json: [:])
                #expect(logout.status == 204 || logout.status == 200)
                while try await connection.receive() != nil {}
                return started.duration(to: .now)
            }
            #expect(outcome.close?.code == .forbidden)
            #expect(outcome.value < .seconds(5))
        }
    }

    @Test("MessagingClient falls back to SSE when the WebSocket upgrade is refused, and resumes over it across a restart")
    func clientFallback() async throws {
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
        // The upgrade is answered without upgrading, as by a proxy that blocks WebSocket.
        let transport = FallbackClientTransport(
            primary: WebSocketClientTransport(url: "ws://127.0.0.1:\(port)/v1/realtime-blocked", logger: RealtimeClientTests.quiet),
            fallback: SSEClientTransport(url: "http://127.0.0.1:\(port)/v1/realtime/events", logger: RealtimeClientTests.quiet),
            logger: RealtimeClientTests.quiet)
        let b = RealtimeClient(
            transport: transport, configuration: .init(backoffBase: .milliseconds(50), backoffCap: .milliseconds(500)),
            token: { _ in bob.token }, logger: RealtimeClientTests.quiet)
        let collector = RealtimeClientTests.Collector(b)
        defer { collector.task.cancel() }
        let running = Task { try await b.run() }
        defer { running.cancel() }
        try await b.subscribe(room, after: 0)
        var head: Int64 = 0
        for index in 1...3 { head = try await post("before-\(index)") }
        _ = try await collector.events(in: room, through: head)
        #expect(transport.isUsingFallback, "the refused upgrade switched the client to SSE")
        let reply = try await b.send(text: "sent over sse", to: room, clientMessageID: "sse-1")
        #expect(!reply.duplicate && reply.message.text == "sent over sse")
        head = reply.message.seq
        try await server.stop(removingFiles: false)
        server = try await TestServer.start(directory: directory) { $0.port = port }
        for index in 1...3 { head = try await post("after-\(index)") }
        let all = try await collector.events(in: room, through: head)
        try await server.stop(removingFiles: false)
        #expect(all.map(\.seq) == Array(1...head), "nothing lost, nothing twice over SSE: \(all.map(\.seq))")
        #expect(all.compactMap { $0.message?.text }.suffix(3) == (1...3).map { "after-\($0)" })
    }
}
