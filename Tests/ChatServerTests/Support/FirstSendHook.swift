import MessagingClient
import MessagingTransport
import MessagingWire
import Synchronization

/// Wraps a transport so that, once, around the first `send` frame a client writes, `before`
/// runs before the frame goes out (the server then judges the send in the state it left) and
/// `after` runs once it went out (closing the connection loses the answer).
struct FirstSendHook: ClientTransport {
    final class Flag: Sendable {
        let fired = Atomic<Bool>(false)
    }

    let inner: any ClientTransport
    var before: (@Sendable () async throws -> Void)? = nil
    var after: (@Sendable (any TransportConnection) async -> Void)? = nil
    let flag = Flag()

    final class Connection: TransportConnection {
        let inner: any TransportConnection
        let owner: FirstSendHook
        init(_ inner: any TransportConnection, owner: FirstSendHook) {
            self.inner = inner
            self.owner = owner
        }
        var metadata: ConnectionMetadata { inner.metadata }
        var closeStatus: TransportClose? { inner.closeStatus }
        func receive() async throws -> TransportFrame? { try await inner.receive() }
        func close(_ close: TransportClose) async { await inner.close(close) }
        func write(_ frame: TransportFrame) async throws {
            let first = frame.string?.contains(#""type":"send""#) == true
                && owner.flag.fired.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
            if first, let before = owner.before { try await before() }
            try await inner.write(frame)
            if first, let after = owner.after { await after(inner) }
        }
    }

    func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (any TransportConnection) async throws -> Value
    ) async throws -> (value: Value, close: TransportClose?) {
        try await inner.withConnection { connection in try await body(Connection(connection, owner: self)) }
    }
}
