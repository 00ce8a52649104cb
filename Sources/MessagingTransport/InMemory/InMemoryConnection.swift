import Synchronization

/// One end of an in-memory connection pair (see ``InMemoryTransport``).
///
/// Each direction is a bounded buffer of ``InMemoryTransport/Configuration/bufferCapacity``
/// frames: a writer suspends while its peer has that many unread frames, which is how a
/// slow reader pushes back on the server exactly as a full TCP window would.
///
/// Closing (from either end) records the close once; the closing end stops reading at
/// once, the peer reads what was already sent and then `nil`; writes from either end
/// throw ``TransportError/Code-swift.struct/connectionClosed``.
///
/// Thread safety: safe to share across tasks; one reader at a time.
public final class InMemoryConnection: TransportConnection {
    final class Shared: Sendable {
        let status = Mutex<TransportClose?>(nil)
    }

    public let metadata: ConnectionMetadata
    private let incoming: FrameChannel
    private let outgoing: FrameChannel
    private let shared: Shared

    init(metadata: ConnectionMetadata, incoming: FrameChannel, outgoing: FrameChannel, shared: Shared) {
        self.metadata = metadata
        self.incoming = incoming
        self.outgoing = outgoing
        self.shared = shared
    }

    public func receive() async throws -> TransportFrame? {
        await incoming.next()
    }

    public func write(_ frame: TransportFrame) async throws {
        try await outgoing.send(frame)
    }

    public func close(_ close: TransportClose) async {
        let first = shared.status.withLock { status -> Bool in
            guard status == nil else { return false }
            status = close
            return true
        }
        guard first else { return }
        incoming.finish(dropBuffered: true)
        outgoing.finish(dropBuffered: false)
    }

    public var closeStatus: TransportClose? { shared.status.withLock { $0 } }

    /// Frames this end sent that the peer has not read yet.
    public var unreadByPeer: Int { outgoing.count }
}
