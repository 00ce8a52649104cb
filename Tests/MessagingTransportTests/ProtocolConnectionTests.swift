import Foundation
import Logging
import MessagingClient
import MessagingCore
import MessagingTransport
import MessagingWire
import Testing

/// `ProtocolConnection` against a scripted server: the server end of an in-memory pair,
/// driven by the test frame by frame.
@Suite("ProtocolConnection")
struct ProtocolConnectionTests {
    /// Runs `body` with a protocol connection (running) and the server's end of its connection.
    static func with<T: Sendable>(
        _ configuration: ProtocolConnection.Configuration = .init(requestTimeout: .seconds(5)),
        _ body: @Sendable (ProtocolConnection, InMemoryConnection) async throws -> T
    ) async throws -> T {
        let (client, server) = InMemoryTransport.makePair()
        let connection = ProtocolConnection(client, configuration: configuration, logger: .quiet)
        let reader = Task { await connection.run() }
        defer { reader.cancel() }
        return try await body(connection, server)
    }

    /// The next frame the client wrote, parsed.
    static func read(_ server: InMemoryConnection) async throws -> ClientJSON {
        let frame = try #require(try await server.receive(), "the client closed")
        return try #require(ClientJSON(parsing: frame.bytes), "not JSON: \(frame)")
    }

    static func write(_ server: InMemoryConnection, _ fields: [String: ClientJSON]) async throws {
        try await server.write(.text(ClientJSON.object(fields).text))
    }

    @Test("answers reach their requests by id, in any order, with frames in between kept")
    func correlation() async throws {
        try await Self.with { connection, server in
            async let first = connection.request(["type": "history", "conversation": "a"])
            async let second = connection.request(["type": "history", "conversation": "b"])
            let one = try await Self.read(server)
            let two = try await Self.read(server)
            let ids = try [#require(one["id"]?.string), #require(two["id"]?.string)]
            #expect(ids[0] != ids[1])
            // Answered in reverse order, an event in between.
            try await Self.write(server, ["type": "ok", "id": .string(ids[1]), "result": .object(["for": two["conversation"] ?? .null])])
            try await Self.write(server, ["type": "event", "event": .object(["conversation": "c", "seq": 1])])
            try await Self.write(server, ["type": "ok", "id": .string(ids[0]), "result": .object(["for": one["conversation"] ?? .null])])
            #expect(try await first["for"]?.string == "a")
            #expect(try await second["for"]?.string == "b")
            let event = try #require(try await connection.frame { $0["type"]?.string == "event" })
            #expect(event.index == 0 && event.frame["event"]?["seq"]?.integer == 1)
            #expect(connection.receivedCount == 1, "answers are not kept as frames")
        }
    }

    @Test("an error answer is thrown typed; answer(to:) returns it as a frame")
    func typedError() async throws {
        try await Self.with { connection, server in
            async let refused = connection.request(["type": "send", "conversation": "a"])
            let request = try await Self.read(server)
            try await Self.write(server, [
                "type": "error", "id": request["id"] ?? .null, "code": "rate_limited", "message": "slow down", "retryAfterMs": 734,
            ])
            do {
                _ = try await refused
                Issue.record("no error thrown")
            } catch let error as RealtimeClientError {
                #expect(error.code == .server && error.serverCode == "rate_limited" && error.retryAfterMilliseconds == 734)
                #expect(error.message == "slow down")
            }
            async let frame = connection.answer(to: ["type": "read"])
            let second = try await Self.read(server)
            try await Self.write(server, ["type": "error", "id": second["id"] ?? .null, "code": "not_found", "message": "no"])
            let answer = try await frame
            #expect(answer["type"]?.string == "error" && answer["code"]?.string == "not_found")
        }
    }

    @Test("a request fails with notConnected when the connection closes before its answer; later ones at once")
    func closedBeforeAnswer() async throws {
        try await Self.with { connection, server in
            async let pending = connection.request(["type": "history", "conversation": "a"])
            _ = try await Self.read(server)
            await server.close(.goingAway, reason: "bye")
            do {
                _ = try await pending
                Issue.record("no error thrown")
            } catch let error as RealtimeClientError {
                #expect(error.code == .notConnected)
            }
            let later = await #expect(throws: RealtimeClientError.self) { _ = try await connection.request(["type": "history"]) }
            #expect(later?.code == .notConnected)
            #expect(connection.isClosed && connection.closeStatus?.code == .goingAway)
            await #expect(throws: RealtimeClientError.self) { try await connection.write(["type": "ping"]) }
        }
    }

    @Test("a request not answered in time throws timedOut; its late answer is kept as a frame")
    func timeout() async throws {
        try await Self.with { connection, server in
            let error = await #expect(throws: RealtimeClientError.self) {
                _ = try await connection.request(["type": "history"], timeout: .milliseconds(50))
            }
            #expect(error?.code == .timedOut)
            let request = try await Self.read(server)
            try await Self.write(server, ["type": "ok", "id": request["id"] ?? .null, "result": .object([:])])
            let late = try #require(try await connection.frame { _ in true })
            #expect(late.frame["type"]?.string == "ok")
        }
    }

    @Test("pings are answered with pong by default, and kept; not when turned off")
    func pings() async throws {
        try await Self.with { connection, server in
            try await Self.write(server, ["type": "ping"])
            #expect(try await Self.read(server)["type"]?.string == "pong")
            #expect(try await connection.frame { $0["type"]?.string == "ping" } != nil)
        }
        try await Self.with(.init(answersPings: false)) { connection, server in
            try await Self.write(server, ["type": "ping"])
            _ = try await connection.frame { $0["type"]?.string == "ping" }
            try await connection.write(["type": "marker"])
            #expect(try await Self.read(server)["type"]?.string == "marker", "no pong before the marker")
        }
    }

    @Test("events are acknowledged when asked to")
    func autoAck() async throws {
        try await Self.with(.init(acknowledgesEvents: true)) { connection, server in
            try await Self.write(server, ["type": "event", "event": .object(["conversation": "c", "seq": 7])])
            let ack = try await Self.read(server)
            #expect(ack == .object(["type": "ack", "conversation": "c", "seq": 7]))
        }
    }

    @Test("hostile frames are ignored without trapping, and the connection keeps working")
    func hostileFrames() async throws {
        try await Self.with { connection, server in
            let hostile: [TransportFrame] = [
                .text("{oops"), .binary([0xFF, 0x00, 0xFE]), .text("[]"), .text("42"), .text(#"{"type":5}"#),
                .text(String(repeating: "[", count: 200_000)), .text(String(repeating: "{\"a\":", count: 50_000)),
                .text(#"{"type":"ok","id":7,"result":1e999}"#), .text(#"{"type":"ok","id":"unknown"}"#),
                .text(#"{"type":"ready","user":"not a uuid"}"#), .text(#"{"type":"event","event":{"seq":"x"}}"#),
            ]
            for frame in hostile { try await server.write(frame) }
            async let answer = connection.request(["type": "history"])
            let request = try await Self.read(server)
            try await Self.write(server, ["type": "ok", "id": request["id"] ?? .null, "result": .object(["fine": true])])
            #expect(try await answer["fine"]?.bool == true)
            let kept = connection.received().compactMap { $0["type"]?.string }
            #expect(kept == ["ok", "ready", "event"], "only objects with a type are kept: \(kept)")
            #expect(connection.session == nil, "a ready without a valid user makes no session")
            await #expect(throws: RealtimeClientError.self) { _ = try await connection.ready() }
        }
    }

    @Test("kept frames are bounded unless asked for all")
    func keptFramesBound() async throws {
        try await Self.with(.init(keptFrames: 3)) { connection, server in
            for seq in 1...20 { try await Self.write(server, ["type": "event", "event": .object(["conversation": "c", "seq": .integer(Int64(seq))])]) }
            _ = try await connection.frame(from: 19) { _ in true }
            #expect(connection.receivedCount == 20)
            let kept = connection.received()
            #expect(kept.count >= 3 && kept.count <= 6)
            #expect(kept.last?["event"]?["seq"]?.integer == 20)
        }
    }

    @Test("authenticate: ready gives the session; an error answer is typed; the header token's ready is awaited")
    func handshake() async throws {
        let user = UserID(UUIDv7Generator().next())
        let device = DeviceID(UUIDv7Generator().next())
        try await Self.with { connection, server in
            async let session = connection.authenticate(token: "t0k3n", device: device)
            let auth = try await Self.read(server)
            #expect(auth["type"]?.string == "auth" && auth["token"]?.string == "t0k3n" && auth["protocol"]?.integer == 1)
            #expect(auth["device"]?.string == "\(device)")
            try await Self.write(server, [
                "type": "ready", "id": auth["id"] ?? .null, "user": .string("\(user)"), "device": .string("\(device)"), "session": "s",
                "heartbeatMs": 1000, "idleTimeoutMs": 2000,
            ])
            let ready = try await session
            #expect(ready.userID == user && ready.deviceID == device && ready.heartbeatMilliseconds == 1000)
            #expect(connection.session == ready)
        }
        try await Self.with { connection, server in
            async let session = connection.authenticate(token: "expired")
            _ = try await Self.read(server)
            // Refused without the id (the server could not read it), then closed.
            try await Self.write(server, ["type": "error", "code": "unauthorized", "message": "refresh it"])
            await server.close(.unauthorized, reason: "refused")
            var error: RealtimeClientError?
            do { _ = try await session } catch let thrown as RealtimeClientError { error = thrown }
            #expect(error?.code == .server && error?.serverCode == "unauthorized")
        }
        try await Self.with { connection, server in
            async let session = connection.authenticate(token: "t")
            _ = try await Self.read(server)
            await server.close(.goingAway, reason: "stopping")
            var error: RealtimeClientError?
            do { _ = try await session } catch let thrown as RealtimeClientError { error = thrown }
            #expect(error?.code == .notConnected)
        }
        try await Self.with { connection, server in
            try await Self.write(server, ["type": "ready", "user": .string("\(user)"), "device": .string("\(device)")])
            #expect(try await connection.ready().userID == user)
        }
    }

    @Test("with readsAhead off, nothing is read until someone waits")
    func readsOnDemand() async throws {
        try await Self.with(.init(readsAhead: false)) { connection, server in
            for seq in 1...3 { try await Self.write(server, ["type": "event", "event": .object(["conversation": "c", "seq": .integer(Int64(seq))])]) }
            try await Task.sleep(for: .milliseconds(50))
            #expect(server.unreadByPeer == 3)
            let second = try #require(try await connection.frame(from: 1) { _ in true })
            #expect(second.frame["event"]?["seq"]?.integer == 2)
            #expect(server.unreadByPeer == 1)
        }
    }

    @Test("write(raw:) sends a frame as it is, in order with other writes")
    func rawWrites() async throws {
        try await Self.with { connection, server in
            try await connection.write(raw: .text("{oops"))
            connection.enqueue(["type": "typing"])
            try await connection.write(["type": "ping"])
            #expect(try await server.receive()?.string == "{oops")
            #expect(try await Self.read(server)["type"]?.string == "typing")
            #expect(try await Self.read(server)["type"]?.string == "ping")
        }
    }

    @Test("one task's frames go out in order, written or queued; concurrent writers lose nothing")
    func writeOrder() async throws {
        try await Self.with { connection, server in
            for index in 0..<50 {
                if index % 3 == 0 {
                    connection.enqueue(["type": "n", "i": .integer(Int64(index))])
                } else {
                    try await connection.write(["type": "n", "i": .integer(Int64(index))])
                }
            }
            var order: [Int64] = []
            for _ in 0..<50 { order.append(try #require(try await Self.read(server)["i"]?.integer)) }
            #expect(order == Array(0..<50))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        if index.isMultiple(of: 2) {
                            try await connection.write(["type": "c", "i": .integer(Int64(index))])
                        } else {
                            connection.enqueue(["type": "c", "i": .integer(Int64(index))])
                        }
                    }
                }
                var seen: Set<Int64> = []
                for _ in 0..<100 { seen.insert(try #require(try await Self.read(server)["i"]?.integer)) }
                #expect(seen == Set(0..<100))
                try await group.waitForAll()
            }
        }
    }
}
