import AsyncHTTPClient
import Foundation
import Logging
import MessagingCore
@testable import MessagingSSE
import MessagingTransport
import NIOCore
import NIOHTTP1
import Testing

/// The HTTP side of the SSE binding: refusals with their codes, the stream's framing, the
/// `Last-Event-ID` resume and the labels of events.
@Suite("SSE listener")
struct SSEListenerTests {
    /// A raw request: status, body.
    static func request(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    static func errorCode(_ body: String) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: String]]
        return object?["error"]?["code"]
    }

    @Test("POST and DELETE to an unknown connection: 404 unknown_connection")
    func unknownConnection() async throws {
        _ = try await withSSEServer { port, _ in
            let id = String(repeating: "a", count: 32)
            let post = try await Self.request(.POST, "http://127.0.0.1:\(port)/events/\(id)", body: Array(#"{"type":"ping"}"#.utf8))
            #expect(post.status == 404 && Self.errorCode(post.body) == "unknown_connection")
            let delete = try await Self.request(.DELETE, "http://127.0.0.1:\(port)/events/short")
            #expect(delete.status == 404 && Self.errorCode(delete.body) == "unknown_connection")
            return nil
        }
    }

    @Test("POST and DELETE must carry the stream's connection key: without it or with another, 403 invalid_connection_key and nothing reaches the connection")
    func connectionKeyRequired() async throws {
        _ = try await withSSEServer { port, ends in
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/events")
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            var body = response.body.makeAsyncIterator()
            var opening = ""
            while !opening.contains("\n\n"), let chunk = try await body.next() { opening += String(buffer: chunk) }
            let data = opening.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { Data($0.dropFirst(6).utf8) } ?? Data()
            let fields = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            let id = try #require(fields["connection"] as? String)
            let key = try #require(fields["key"] as? String)
            #expect(key.utf8.count == 64 && key != id)
            let server = try await ends.next()
            defer { ends.release(server) }
            let url = "http://127.0.0.1:\(port)/events/\(id)"
            let frame = Array(#"{"type":"ping","id":"forged"}"#.utf8)
            let bare = try await Self.request(.POST, url, body: frame)
            #expect(bare.status == 403 && Self.errorCode(bare.body) == "invalid_connection_key")
            let wrong = String(key.reversed())
            let forged = try await Self.request(.POST, url, headers: [(SSEListener.connectionKeyHeader.rawName, wrong)], body: frame)
            #expect(forged.status == 403 && Self.errorCode(forged.body) == "invalid_connection_key")
            let closing = try await Self.request(.DELETE, url, headers: [(SSEListener.connectionKeyHeader.rawName, "")])
            #expect(closing.status == 403 && Self.errorCode(closing.body) == "invalid_connection_key")
            #expect(server.closeStatus == nil)
            let good = try await Self.request(
                .POST, url, headers: [(SSEListener.connectionKeyHeader.rawName, key)], body: Array(#"{"type":"ping","id":"mine"}"#.utf8))
            #expect(good.status == 202)
            // The first frame the connection reads is the keyed one: the refused ones never arrived.
            #expect(try await server.receive() == .text(#"{"type":"ping","id":"mine"}"#))
            let closed = try await Self.request(.DELETE, url, headers: [(SSEListener.connectionKeyHeader.rawName, key)])
            #expect(closed.status == 204)
            #expect(server.closeStatus?.code == .normal)
            return nil
        }
    }

    @Test("a disallowed Origin is refused on the stream (403 origin_not_allowed)")
    func originRefused() async throws {
        _ = try await withSSEServer(configuration: .init(allowedOrigins: .only(["https://chat.example.com"]))) { port, _ in
            let refused = try await Self.request(.GET, "http://127.0.0.1:\(port)/events", headers: [("Origin", "https://evil.example")])
            #expect(refused.status == 403 && Self.errorCode(refused.body) == "origin_not_allowed")
            return nil
        }
    }

    @Test("a Last-Event-ID the server did not write: 400 invalid_last_event_id")
    func invalidLastEventID() async throws {
        _ = try await withSSEServer { port, _ in
            let refused = try await Self.request(.GET, "http://127.0.0.1:\(port)/events", headers: [("Last-Event-ID", "x:99999999999999999999")])
            #expect(refused.status == 400 && Self.errorCode(refused.body) == "invalid_last_event_id")
            return nil
        }
    }

    @Test("before the listener listens, streams are refused with 503 unavailable")
    func notListening() async throws {
        _ = try await withSSEServer(listening: false) { port, _ in
            let refused = try await Self.request(.GET, "http://127.0.0.1:\(port)/events")
            #expect(refused.status == 503 && Self.errorCode(refused.body) == "unavailable")
            return nil
        }
    }

    @Test("POST bodies: empty is 400 invalid_body, over the frame count or size is 413, and nothing of a refused body is delivered")
    func postLimits() async throws {
        let configuration = SSETransportConfiguration(maxRequestBodyBytes: 4096, maxFramesPerRequest: 3)
        _ = try await withSSEServer(configuration: configuration) { port, ends in
            let client = SSETransportClient(url: "http://127.0.0.1:\(port)/events", logger: Logger(label: "test"))
            _ = try await client.withConnection { connection in
                let server = try await ends.next()
                defer { ends.release(server) }
                let url = "http://127.0.0.1:\(port)/events/\(connection.id)"
                let keyed = [(SSEListener.connectionKeyHeader.rawName, connection.key)]
                let empty = try await Self.request(.POST, url, headers: keyed, body: Array("\n\r\n".utf8))
                #expect(empty.status == 400 && Self.errorCode(empty.body) == "invalid_body")
                let many = try await Self.request(.POST, url, headers: keyed, body: Array("{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":4}".utf8))
                #expect(many.status == 413 && Self.errorCode(many.body) == "too_many_frames")
                let large = try await Self.request(.POST, url, headers: keyed, body: Array(repeating: UInt8(ascii: "x"), count: 5000))
                #expect(large.status == 413 && Self.errorCode(large.body) == "body_too_large")
                let good = try await Self.request(.POST, url, headers: keyed, body: Array("{\"a\":5}\r\n{\"a\":6}\n".utf8))
                #expect(good.status == 202 && good.body == #"{"accepted":2}"#)
                #expect(try await server.receive() == .text(#"{"a":5}"#))
                #expect(try await server.receive() == .text(#"{"a":6}"#))
            }
            return nil
        }
    }

    @Test("the stream: text/event-stream, the connection message first, keepalive comments, and close with its code")
    func streamFraming() async throws {
        let configuration = SSETransportConfiguration(heartbeatInterval: .milliseconds(100))
        _ = try await withSSEServer(configuration: configuration) { port, ends in
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/events")
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status == .ok)
            #expect(response.headers["Content-Type"].first?.hasPrefix("text/event-stream") == true)
            #expect(response.headers["Cache-Control"].first == "no-store")
            let server = try await ends.next()
            try await Task.sleep(for: .milliseconds(350))
            try await server.write(.text(#"{"type":"pong"}"#))
            await server.close(.unauthorized, reason: "access token expired")
            ends.release(server)
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(text.hasPrefix("event: connection\ndata: {\"connection\":\"\(server.id)\",\"heartbeatMs\":100,\"key\":\"\(server.key)\"}\n\n"))
            #expect(text.contains(": keepalive\n\n"))
            #expect(text.contains("data: {\"type\":\"pong\"}\n\n"))
            #expect(text.hasSuffix("event: close\ndata: {\"code\":4401,\"reason\":\"access token expired\"}\n\n"))
            return nil
        }
    }

    @Test("events carry the positions in id:, and a stream opened with that Last-Event-ID resubscribes after the auth frame")
    func lastEventIDResumes() async throws {
        let a = ConversationID(UUIDv7Generator().next()), b = ConversationID(UUIDv7Generator().next())
        _ = try await withSSEServer { port, ends in
            let url = "http://127.0.0.1:\(port)/events"
            let first = SSETransportClient(url: url, logger: Logger(label: "test"))
            let token = try await first.withConnection { connection -> String? in
                let server = try await ends.next()
                defer { ends.release(server) }
                try await server.writeEvent(.text(#"{"event":1}"#), of: a, seq: 4)
                try await server.writeEvent(.text(#"{"event":2}"#), of: b, seq: 9)
                try await server.writeEvent(.text(#"{"event":3}"#), of: a, seq: 5)
                for _ in 0..<3 { _ = try await connection.receive() }
                return connection.lastEventID
            }.value
            #expect(token == "\(b):9,\(a):5")
            let second = SSETransportClient(url: url, lastEventID: token, logger: Logger(label: "test"))
            _ = try await second.withConnection { connection in
                let server = try await ends.next()
                defer { ends.release(server) }
                try await connection.write(.text(#"{"type":"auth","id":"a1","token":"t"}"#))
                #expect(try await server.receive() == .text(#"{"type":"auth","id":"a1","token":"t"}"#))
                #expect(try await server.receive() == .text(#"{"after":9,"conversation":"\#(b)","id":"resume","type":"subscribe"}"#))
                #expect(try await server.receive() == .text(#"{"after":5,"conversation":"\#(a)","id":"resume","type":"subscribe"}"#))
            }
            // With a bearer token the stream is authenticated at once: the subscriptions come first.
            let third = SSETransportClient(url: url, bearerToken: "t", lastEventID: "\(a):2", logger: Logger(label: "test"))
            _ = try await third.withConnection { _ in
                let server = try await ends.next()
                defer { ends.release(server) }
                #expect(try await server.receive() == .text(#"{"after":2,"conversation":"\#(a)","id":"resume","type":"subscribe"}"#))
            }
            return nil
        }
    }

    @Test("a client that goes away ends the server end (the gateway releases it)")
    func clientGoesAway() async throws {
        _ = try await withSSEServer { port, ends in
            let task = Task {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/events")
                request.headers.add(name: "Accept", value: "text/event-stream")
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                for try await _ in response.body {}
            }
            let server = try await ends.next()
            defer { ends.release(server) }
            task.cancel()
            // The next heartbeat or write fails and closes the connection; writes keep failing soon after.
            let deadline = ContinuousClock.now + .seconds(10)
            while server.closeStatus == nil, ContinuousClock.now < deadline {
                try? await server.write(.text(#"{"type":"pong"}"#))
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(server.closeStatus?.code.rawValue == 1006)
            #expect(try await server.receive() == nil)
            return nil
        }
    }
}
