import Foundation
import Logging
import MessagingTransport
import MessagingWebSocket
import Testing

/// The assembly's realtime wiring (the protocol itself is tested in MessagingTransportTests
/// and MessagingWebSocketTests): the upgrade route, the gateway behind it, HTTP sends reaching
/// realtime subscribers, and shutdown saying "going away".
@Suite("ChatServer realtime route")
struct RealtimeRouteTests {
    /// The next frame of `type` (and `id`, when given), as a JSON object; 10 s at most.
    static func frame(_ connection: WebSocketConnection, type: String, id: String? = nil) async throws -> [String: Any] {
        let text = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                while let frame = try await connection.receive() {
                    guard let text = frame.string,
                          let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                    else { continue }
                    if json["type"] as? String == type, id == nil || json["id"] as? String == id { return text }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let text, let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestFailure.timeout("no \(type) frame")
        }
        return json
    }

    @Test("an upgrade to /v1/realtime with a bearer token gets ready, and an HTTP send reaches the subscriber live")
    func readyAndLiveDelivery() async throws {
        try await TestServer.with { server in
            let http = HTTPClient(base: server.base)
            let alice = try await http.user("alice")
            let bob = try await http.user("bob")
            let room = try await http.group(by: alice, members: [bob])
            let client = WebSocketTransportClient(
                url: "ws://127.0.0.1:\(server.port)/v1/realtime", bearerToken: bob.token, logger: .quiet)
            let outcome = try await client.withConnection { connection in
                let ready = try await Self.frame(connection, type: "ready")
                #expect(ready["user"] as? String == bob.id)
                try await connection.write(.text(#"{"type":"subscribe","id":"s1","conversation":"\#(room)","after":0}"#))
                _ = try await Self.frame(connection, type: "ok", id: "s1")
                let sent = try await http.send("over HTTP", to: room, as: alice)
                let event = try await Self.frame(connection, type: "event")
                #expect("\(event)".contains("over HTTP"))
                // Other HTTP changes reach live subscribers too (the events they committed are published).
                let id = try #require(sent["id"] as? String)
                let edit = try await http.call(
                    "PATCH", "/v1/conversations/\(room)/messages/\(id)", token: alice.token, json: ["body": "edited over HTTP"])
                #expect(edit.status == 200)
                let edited = try await Self.frame(connection, type: "event")
                #expect("\(edited)".contains("edited over HTTP"))
                return true
            }
            #expect(outcome.value)
            let metrics = try await http.call("GET", "/metrics")
            #expect(metrics.text.contains("chat_deliveries_total"))
            #expect(!metrics.text.contains("chat_deliveries_total 0\n"))
        }
    }

    @Test("without a token the handshake fails with 4401; a disallowed Origin is refused before the upgrade")
    func refusals() async throws {
        try await TestServer.with(configure: { $0.allowedOrigins = ["http://good.example"] }) { server in
            let anonymous = WebSocketTransportClient(url: "ws://127.0.0.1:\(server.port)/v1/realtime", logger: .quiet)
            let outcome = try await anonymous.withConnection { connection in
                try await connection.write(.text(#"{"type":"subscribe","id":"s1","conversation":"0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a"}"#))
                while try await connection.receive() != nil {}
                return true
            }
            #expect(outcome.close?.code == .unauthorized)

            let foreign = WebSocketTransportClient(
                url: "ws://127.0.0.1:\(server.port)/v1/realtime", origin: "http://evil.example", logger: .quiet)
            await #expect(throws: TransportError.self) {
                _ = try await foreign.withConnection { _ in true }
            }
        }
    }

    @Test("graceful shutdown closes realtime connections with 1001 going away, and run returns")
    func shutdownSaysGoingAway() async throws {
        let server = try await TestServer.start()
        let http = HTTPClient(base: server.base)
        let alice = try await http.user("alice")
        let client = WebSocketTransportClient(
            url: "ws://127.0.0.1:\(server.port)/v1/realtime", bearerToken: alice.token, logger: .quiet)
        async let outcome = client.withConnection { connection in
            _ = try await Self.frame(connection, type: "ready")
            while try await connection.receive() != nil {}
            return true
        }
        // Wait until the gateway counts the connection, then shut down.
        for _ in 0..<100 where server.server.realtimeConnectionCount == 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(server.server.realtimeConnectionCount == 1)
        try await server.stop()
        let closed = try await outcome
        #expect(closed.close?.code == .goingAway)
    }
}
