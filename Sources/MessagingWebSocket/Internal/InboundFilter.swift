import NIOCore
import NIOWebSocket
import Synchronization

/// What the reading task and the event loop share to let a filter handle messages where
/// they arrive (`MessagingTransport.SessionStreamingConnection.setInboundFilter(_:)`):
/// the filter, and two counters that keep the arrival order.
///
/// Thread safety: safe to share across threads.
final class InboundFilterState: Sendable {
    /// The filter, in a class of its own: a closure kept in a generic container (a `Mutex`
    /// of an optional closure) came back wrapped in one more reabstraction thunk on every
    /// read here, so each message paid for every message before it.
    final class Filter: Sendable {
        let accept: @Sendable ([UInt8]) -> Bool
        init(_ accept: @escaping @Sendable ([UInt8]) -> Bool) { self.accept = accept }
    }

    private let filter = AtomicLazyReference<Filter>()
    /// Messages passed on to the reader, counted on the event loop at their first frame.
    private let forwarded = Atomic<Int>(0)
    /// Messages whose handling finished: set by the reader each time it asks for the next one.
    private let handled = Atomic<Int>(0)

    /// Sets the filter; the first one set stays (the gateway sets it once per connection).
    func set(_ filter: @escaping @Sendable ([UInt8]) -> Bool) {
        _ = self.filter.storeIfNil(Filter(filter))
    }

    /// The filter, when the reader has handled every message passed on so far.
    var filterIfCaughtUp: Filter? {
        guard forwarded.load(ordering: .acquiring) == handled.load(ordering: .acquiring) else { return nil }
        return filter.load()
    }

    func countForwarded() { forwarded.add(1, ordering: .releasing) }

    /// Called by the reader when it asks for the next message: the `count` it returned
    /// before are handled.
    func markHandled(_ count: Int) { handled.store(count, ordering: .releasing) }
}

/// The server channel's handler in front of the reader: offers each small, complete text
/// message to the filter, when the reader is caught up, and passes on what the filter does
/// not take. Placed after ``WebSocketFrameGuard``, so it sees only frames within the rules.
final class InboundFilterHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    /// The largest message offered to the filter (an `ack` frame is about 90 bytes).
    static let largestFiltered = 512

    let state: InboundFilterState

    init(state: InboundFilterState) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            if frame.opcode == .text, frame.fin, frame.length <= Self.largestFiltered, let filter = state.filterIfCaughtUp {
                var bytes = Array(frame.data.readableBytesView)
                if let key = frame.maskKey {
                    for index in bytes.indices { bytes[index] ^= key[index & 3] }
                }
                if filter.accept(bytes) { return }
            }
            state.countForwarded()
        default:
            break  // continuations belong to a message already counted; control frames are the handler's
        }
        context.fireChannelRead(data)
    }
}
