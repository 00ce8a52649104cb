import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import MessagingTransport
import MessagingWebSocket
import NIOCore
import Synchronization
import Testing

/// The WebSocket adapter over real sockets on loopback: a Hummingbird server on port 0
/// with the listener's route, and the adapter's client.
@Suite("WebSocket adapter (loopback)", .timeLimit(.minutes(2)))
struct WebSocketAdapterTests {
    @Test("text and binary messages round-trip in order, including messages split into many frames")
    func roundTrip() async throws {
        let big = String(repeating: "é", count: 40_000)  // 80,000 bytes: 5 frames of 16 KiB each way
        try await withServer(echo, configuration: .init(maxFrameBytes: 1 << 20)) { port in
            let outcome = try await client(port).withConnection { connection in
                var echoed: [TransportFrame] = []
                for frame in [TransportFrame.text("hello"), .binary([0, 1, 2, 255]), .text(big), .text("last")] {
                    try await connection.write(frame)
                    if let reply = try await connection.receive() { echoed.append(reply) }
                }
                return echoed
            }
            #expect(outcome.value == [.text("hello"), .binary([0, 1, 2, 255]), .text(big), .text("last")])
            #expect(outcome.close?.code == .normal)
        }
    }

    @Test("a message over the limit gets the frame_too_big error frame, then close 1009, and the server reads nothing of it")
    func oversizedMessage() async throws {
        let received = Locked<[Int]>([])
        let handler: @Sendable (WebSocketConnection) async -> Void = { connection in
            while let frame = try? await connection.receive() { received.mutate { $0.append(frame.bytes.count) } }
        }
        // One frame announcing more than the limit (refused from its header), and a
        // message split into frames whose total passes the limit.
        for frameBytes in [70_000, 10_000] {
            try await withServer(handler, configuration: .init(maxFrameBytes: 65_536)) { port in
                var config = WebSocketTransportConfiguration(maxFrameBytes: 1 << 20, outboundFrameBytes: frameBytes)
                config.closeTimeout = .seconds(2)
                let outcome = try await client(port, configuration: config).withConnection { connection in
                    try await connection.write(.text("small"))
                    try? await connection.write(.text(String(repeating: "x", count: 70_000)))
                    return try await connection.receive()
                }
                let error = outcome.value.flatMap { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
                #expect(error.contains(#""code":"frame_too_big""#) && error.contains(#""type":"error""#), "frames of \(frameBytes) bytes: \(error)")
                #expect(outcome.close?.code == .messageTooBig, "frames of \(frameBytes) bytes")
            }
        }
        #expect(received.value == [5, 5])
    }

    @Test("the server's close code and reason reach the client (private 4xxx codes included)")
    func closeCodes() async throws {
        let reason = String(repeating: "resync required; resume from your last seq ", count: 5)  // > 123 bytes
        try await withServer({ connection in
            _ = try? await connection.receive()
            await connection.close(.resyncRequired, reason: reason)
        }) { port in
            let outcome = try await client(port).withConnection { connection in
                try await connection.write(.text("hi"))
                return try await connection.receive()
            }
            #expect(outcome.value == nil)
            #expect(outcome.close?.code == .resyncRequired)
            #expect(outcome.close?.reason.utf8.count ?? 0 <= 123)
            #expect(outcome.close?.reason.hasPrefix("resync required") == true)
        }
    }

    @Test("the bearer token comes from the Authorization header and the address is the peer's")
    func metadata() async throws {
        let seen = Locked<ConnectionMetadata?>(nil)
        try await withServer({ connection in
            seen.mutate { $0 = connection.metadata }
            _ = try? await connection.receive()
            await connection.close(.normal, reason: "done")
        }) { port in
            var client = client(port)
            client.bearerToken = "token-123"
            _ = try await client.withConnection { connection in
                try await connection.write(.text("hello"))
                return try await connection.receive()
            }
            #expect(seen.value?.bearerToken == "token-123")
            #expect(seen.value?.remoteAddress == "127.0.0.1")
            #expect(seen.value?.description.contains("token-123") == false)
        }
    }

    @Test("invalid UTF-8 in a text frame reaches the codec as bytes (it answers a typed error, not a bare close)")
    func invalidUTF8() async throws {
        try await withServer(echo) { port in
            let outcome = try await client(port).withConnection { connection in
                try await connection.write(.text([0x66, 0xFF, 0xFE]))
                return try await connection.receive()
            }
            #expect(outcome.value == .text([0x66, 0xFF, 0xFE]))
            #expect(outcome.value?.string == nil)
        }
    }

    @Test(
        "browser origins: a disallowed Origin is refused before the upgrade; allowed and absent Origins connect",
        arguments: [
            ("https://evil.example", false), ("null", false), ("http://chat.example.com", false),
            ("https://chat.example.com", true), ("HTTPS://Chat.Example.com/", true), (nil, true),
        ] as [(String?, Bool)])
    func origins(origin: String?, admitted: Bool) async throws {
        let connections = Locked(0)
        try await withServer({ connection in
            connections.mutate { $0 += 1 }
            _ = try? await connection.receive()
            await connection.close(.normal, reason: "done")
        }, configuration: .init(allowedOrigins: .only(["https://chat.example.com"]))) { port in
            var client = client(port)
            client.origin = origin
            if admitted {
                let outcome = try await client.withConnection { connection in
                    try await connection.write(.text("hello"))
                    return try await connection.receive()
                }
                #expect(outcome.close?.code == .normal)
            } else {
                await #expect(throws: TransportError.self) {
                    _ = try await client.withConnection { connection in try await connection.receive() }
                }
            }
        }
        let count = connections.value
        #expect(count == (admitted ? 1 : 0))
    }

    @Test("stopListening refuses new upgrades; listen returns once the running connections ended")
    func stopListening() async throws {
        let listener = WebSocketListener(configuration: .init(), logger: Logger(label: "test"))
        let router = Router(context: RealtimeRequestContext.self)
        listener.addRoute(to: router, at: "/ws")
        let port = Locked<Int?>(nil)
        let app = Application(
            router: router, server: listener.serverBuilder(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.mutate { $0 = channel.localAddress?.port } },
            logger: Logger(label: "test"))
        let listenReturned = Locked(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            group.addTask {
                try await listener.listen(echo)
                listenReturned.mutate { $0 = true }
            }
            let p = try await waitForPort(port)
            let url = "ws://127.0.0.1:\(p)/ws"
            let opened = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            group.addTask {
                _ = try await WebSocketTransportClient(url: url, logger: Logger(label: "c")).withConnection { connection in
                    // Opened once the server's handler answers (it is running then).
                    try await connection.write(.text("hello"))
                    _ = try await connection.receive()
                    opened.continuation.yield()
                    for await _ in release.stream {}
                    try await connection.write(.text("still here"))
                    return 0
                }
            }
            var iterator = opened.stream.makeAsyncIterator()
            await iterator.next()
            listener.stopListening()
            await #expect(throws: TransportError.self) {
                _ = try await WebSocketTransportClient(url: url, logger: Logger(label: "c")).withConnection { _ in 0 }
            }
            let returnedEarly = listenReturned.value
            #expect(!returnedEarly, "listen waits for the open connection")
            release.continuation.finish()
            try await group.next()  // the client finishes
            for _ in 0..<100 where !listenReturned.value { try await Task.sleep(for: .milliseconds(20)) }
            let returned = listenReturned.value
            #expect(returned)
            group.cancelAll()
        }
    }
}

// MARK: - Support

let echo: @Sendable (WebSocketConnection) async -> Void = { connection in
    while let frame = try? await connection.receive() {
        do { try await connection.write(frame) } catch { return }
    }
}

func client(_ port: Int, configuration: WebSocketTransportConfiguration = .init(maxFrameBytes: 1 << 20))
    -> WebSocketTransportClient
{
    WebSocketTransportClient(url: "ws://127.0.0.1:\(port)/ws", configuration: configuration, logger: Logger(label: "client"))
}

func waitForPort(_ port: Locked<Int?>) async throws -> Int {
    for _ in 0..<500 {
        if let p = port.value { return p }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TransportError(code: .listenerClosed, message: "the test server did not start")
}

/// Runs a Hummingbird server on 127.0.0.1, port 0, whose `/ws` route feeds a listener
/// running `handler`; calls `body` with the port; stops everything afterwards.
func withServer(
    _ handler: @escaping @Sendable (WebSocketConnection) async -> Void,
    configuration: WebSocketTransportConfiguration = .init(),
    _ body: @escaping @Sendable (Int) async throws -> Void
) async throws {
    let listener = WebSocketListener(configuration: configuration, logger: Logger(label: "test"))
    let router = Router(context: RealtimeRequestContext.self)
    listener.addRoute(to: router, at: "/ws")
    let port = Locked<Int?>(nil)
    let app = Application(
        router: router, server: listener.serverBuilder(),
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in port.mutate { $0 = channel.localAddress?.port } },
        logger: Logger(label: "test"))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        group.addTask { try await listener.listen(handler) }
        let p = try await waitForPort(port)
        // Upgrades before `listen` started are answered 503.
        while !listener.isAccepting { try await Task.sleep(for: .milliseconds(5)) }
        try await body(p)
        listener.stopListening()
        group.cancelAll()
    }
}

/// A value behind a lock, shareable by reference between test tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func mutate(_ body: (inout Value) -> Void) { mutex.withLock { body(&$0) } }
}
