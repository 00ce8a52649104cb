import Foundation
import MessagingTransport
import MessagingWebSocket
import Synchronization
import Testing

/// A peer that stops reading and never answers a close frame must not hold a server
/// connection (and with it a graceful shutdown) open: the server ends the TCP connection
/// once the close timeout has passed.
@Suite("WebSocket adapter: unresponsive peers", .timeLimit(.minutes(1)))
struct UnresponsivePeerTests {
    /// A raw TCP client: upgrades, sends one masked text frame, then reads nothing and never
    /// answers the server's close.
    final class SilentPeer: Sendable {
        let descriptor: Int32

        init(port: Int) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw TransportError(code: .listenerClosed, message: "connect failed: \(errno)") }
            let request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            let payload = Array("hi".utf8)
            let mask: [UInt8] = [1, 2, 3, 4]
            let frame: [UInt8] = [0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $1 ^ mask[$0 % 4] }
            _ = Array(request.utf8).withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            // Let the upgrade answer arrive before the frame, then stop reading for good.
            var answer = [UInt8](repeating: 0, count: 1024)
            _ = recv(descriptor, &answer, answer.count, 0)
            _ = frame.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        }

        deinit { close(descriptor) }
    }

    @Test("a server close to a peer that never answers ends the connection after the close timeout, not when the peer leaves")
    func closeWithoutAnswer() async throws {
        let ended = Mutex<Duration?>(nil)
        let handler: @Sendable (WebSocketConnection) async -> Void = { connection in
            _ = try? await connection.receive()
            let start = ContinuousClock.now
            await connection.close(.goingAway, reason: "server shutting down; reconnect with backoff")
            while (try? await connection.receive()) != nil {}
            ended.withLock { $0 = ContinuousClock.now - start }
        }
        var configuration = WebSocketTransportConfiguration()
        configuration.closeTimeout = .milliseconds(500)
        try await withServer(handler, configuration: configuration) { port in
            let peer = try SilentPeer(port: port)
            let deadline = ContinuousClock.now + .seconds(20)
            while ended.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let elapsed = ended.withLock { $0 }
            #expect(elapsed != nil, "the connection was still open 20 s after the server's close (the peer is still connected)")
            if let elapsed { #expect(elapsed < .seconds(12), "ended \(elapsed) after the close (timeout 0.5 s)") }
            withExtendedLifetime(peer) {}
        }
    }

    @Test("a close sent while the handler waits in receive() (as a shutdown's closeAll does) ends that receive after the close timeout at the latest")
    func closeWhileReceiving() async throws {
        let ended = Mutex<ContinuousClock.Instant?>(nil)
        let open = Mutex<WebSocketConnection?>(nil)
        let handler: @Sendable (WebSocketConnection) async -> Void = { connection in
            _ = try? await connection.receive()
            open.withLock { $0 = connection }
            while (try? await connection.receive()) != nil {}
            ended.withLock { $0 = ContinuousClock.now }
        }
        var configuration = WebSocketTransportConfiguration()
        configuration.closeTimeout = .milliseconds(500)
        try await withServer(handler, configuration: configuration) { port in
            let peer = try SilentPeer(port: port)
            var connection: WebSocketConnection?
            while connection == nil {
                try await Task.sleep(for: .milliseconds(10))
                connection = open.withLock { $0 }
            }
            try await Task.sleep(for: .milliseconds(100))  // the handler waits in receive() now
            let start = ContinuousClock.now
            await connection!.close(.goingAway, reason: "server shutting down; reconnect with backoff")
            // Before the fix the receive() waited for as long as the peer stayed (here: the
            // whole test). Alone it ends ~0.5 s after the close; in a parallel `make test` on
            // 2 cores it has taken 5.5 s, so the bound is generous.
            let deadline = start + .seconds(20)
            while ended.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let end = ended.withLock { $0 }
            #expect(end != nil, "receive() still waiting 20 s after the server's close (the peer is still connected)")
            if let end { #expect(end - start < .seconds(12), "receive() ended \(end - start) after the close (timeout 0.5 s)") }
            withExtendedLifetime(peer) {}
        }
    }
}
