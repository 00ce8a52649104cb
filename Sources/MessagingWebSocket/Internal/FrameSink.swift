import MessagingCore
import MessagingDelivery
import MessagingTransport
import NIOCore
import Synchronization

/// The outbound half of a server WebSocket connection: complete frames written straight to
/// the channel from its event loop, past the frame encoder.
///
/// Server frames are never masked, so an event's frame is the same bytes for every
/// recipient: the hub builds it once (`MessagingDelivery.EncodedEvent.frame`) and the
/// sink writes that buffer (a retain, no copy). A streamed session is drained on the event
/// loop when it has something queued (`MessagingDelivery.OutboundSession.setWaker(_:)`):
/// no task and no continuation per event, one flush per batch, and nothing read from the
/// queue while the socket is not writable. Answers (``write(_:)``) go through the same event
/// loop, so frames never interleave and no lock is needed.
///
/// Thread safety: safe to share across tasks; the handler's state lives on the event loop.
final class FrameSink: Sendable {
    let eventLoop: any EventLoop
    private let handler: NIOLoopBound<FrameSinkHandler>
    private let signals: FrameSinkHandler.Signals

    /// The inbound side's filter and counters (see `InboundFilterHandler`).
    let inbound: InboundFilterState

    init(handler: FrameSinkHandler, eventLoop: any EventLoop, inbound: InboundFilterState = InboundFilterState()) {
        self.eventLoop = eventLoop
        self.inbound = inbound
        self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
        self.signals = handler.signals
    }

    /// Whether the channel closed.
    var isClosed: Bool { signals.isClosed }

    /// Writes one or more complete frames and flushes, waiting first while the socket is
    /// not writable. Throws when the channel closed.
    func write(_ frames: ByteBuffer) async throws(FrameSinkClosed) {
        while !signals.isWritable {
            if signals.isClosed { throw FrameSinkClosed() }
            await signals.waitUntilWritable()
        }
        if signals.isClosed { throw FrameSinkClosed() }
        // Through the same per-loop drain as the session's events, so a frame written before
        // events were queued (a streamed backlog before the hub join) goes out before them.
        if signals.post(frames) { DrainQueue.of(eventLoop).enqueue(handler) }
    }

    /// Whether the socket takes writes now.
    var isWritable: Bool { signals.isWritable }

    /// Closes the TCP connection at once, without a close handshake (a peer that reads
    /// nothing would never receive the close frame).
    func closeNow() {
        let handler = handler
        eventLoop.execute { handler.value.closeChannel() }
    }

    /// Closes the TCP connection after `delay` unless it closed by then: the bound on a close
    /// handshake whose peer never answers.
    func closeNow(after delay: Duration) {
        let handler = handler
        let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
        eventLoop.scheduleTask(in: .nanoseconds(max(0, nanoseconds))) { handler.value.closeChannel() }
    }

    /// Writes the frames `body` returns, from the event loop, with one flush.
    func writeFromLoop(_ body: @escaping @Sendable () -> [TransportFrame]) {
        let handler = handler
        eventLoop.execute { handler.value.writeFrames(body()) }
    }

    /// Starts streaming `session` (see `MessagingTransport.SessionStreamingConnection`).
    func stream(
        _ session: OutboundSession, membershipEnded: @escaping @Sendable (ConversationID) -> Void,
        resync: @escaping @Sendable () -> Void
    ) {
        let handler = handler
        let eventLoop = eventLoop
        eventLoop.execute {
            handler.value.attach(session, membershipEnded: membershipEnded, resync: resync)
            // From here on, queued events schedule a drain on the loop: through the loop's
            // drain queue, so a publish to many sessions of one loop costs one task on it.
            let queue = DrainQueue.of(eventLoop)
            session.setWaker { queue.enqueue(handler) }
        }
    }
}

/// Thrown by ``FrameSink/write(_:)`` once the channel closed.
struct FrameSinkClosed: Error {}

/// The channel handler behind a ``FrameSink``, first in the pipeline so that what it
/// writes reaches the socket unchanged. Inbound events pass through.
final class FrameSinkHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// What other threads read: writability and closure, and the writers waiting for room.
    final class Signals: Sendable {
        private let writable = Atomic<Bool>(true)
        private let closed = Atomic<Bool>(false)
        private let waiters = Mutex<[CheckedContinuation<Void, Never>]>([])
        /// Frames written with ``FrameSink/write(_:)`` not yet handed to the channel, and
        /// whether a drain for them is scheduled.
        private let outbox = Mutex<(frames: [ByteBuffer], scheduled: Bool)>(([], false))

        /// Adds frames to the outbox; returns whether the caller must schedule a drain.
        func post(_ frames: ByteBuffer) -> Bool {
            outbox.withLock { outbox in
                outbox.frames.append(frames)
                if outbox.scheduled { return false }
                outbox.scheduled = true
                return true
            }
        }

        /// Whether frames were posted and not yet taken.
        var hasPosted: Bool { outbox.withLock { !$0.frames.isEmpty } }

        /// Takes the outbox's frames (the next post schedules a drain again).
        func takePosted() -> [ByteBuffer] {
            outbox.withLock { outbox in
                outbox.scheduled = false
                defer { outbox.frames.removeAll() }
                return outbox.frames
            }
        }

        var isWritable: Bool { writable.load(ordering: .acquiring) }
        var isClosed: Bool { closed.load(ordering: .acquiring) }

        func set(writable: Bool) {
            self.writable.store(writable, ordering: .releasing)
            if writable { resumeAll() }
        }

        func markClosed() {
            closed.store(true, ordering: .releasing)
            resumeAll()
        }

        func waitUntilWritable() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = waiters.withLock { waiters -> Bool in
                    if isWritable || isClosed { return true }
                    waiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }

        private func resumeAll() {
            let all = waiters.withLock { waiters in
                defer { waiters.removeAll() }
                return waiters
            }
            for waiter in all { waiter.resume() }
        }
    }

    /// Events written per pass before the loop re-checks writability.
    static let batch = 256

    let signals = Signals()
    /// The largest frame payload written; longer messages go out as continuation frames.
    let fragmentLimit: Int
    private var context: ChannelHandlerContext?
    private var session: OutboundSession?
    private var membershipEnded: (@Sendable (ConversationID) -> Void)?
    private var resync: (@Sendable () -> Void)?
    private var resyncSignalled = false

    init(fragmentLimit: Int) {
        self.fragmentLimit = max(1, fragmentLimit)
    }

    /// A message as server frames in one buffer: one frame, or fragments of at most
    /// `fragmentLimit` payload bytes (the first with `opcode`, the others continuations).
    static func frames(of payload: ByteBuffer, opcode: UInt8, fragmentLimit: Int) -> ByteBuffer {
        let count = payload.readableBytes
        let fragments = max(1, (count + fragmentLimit - 1) / fragmentLimit)
        var buffer = ByteBufferAllocator().buffer(capacity: count + fragments * 10)
        var start = 0
        repeat {
            let length = min(fragmentLimit, count - start)
            let last = start + length == count
            WebSocketTextFrame.writeHeader(payloadCount: length, opcode: start == 0 ? opcode : 0x0, fin: last, into: &buffer)
            var slice = payload.getSlice(at: payload.readerIndex + start, length: length)!
            buffer.writeBuffer(&slice)
            start += length
        } while start < count
        return buffer
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        signals.set(writable: context.channel.isWritable)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        signals.markClosed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        signals.markClosed()
        session = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        signals.set(writable: writable)
        if writable { drain() }
        context.fireChannelWritabilityChanged()
    }

    func closeChannel() {
        context?.close(promise: nil)
    }

    func writeFrames(_ frames: [TransportFrame]) {
        guard let context, !frames.isEmpty else { return }
        for frame in frames {
            let opcode: UInt8
            switch frame {
            case .text: opcode = 0x1
            case .binary: opcode = 0x2
            }
            context.write(NIOAny(Self.frames(of: ByteBuffer(bytes: frame.bytes), opcode: opcode, fragmentLimit: fragmentLimit)), promise: nil)
        }
        context.flush()
    }

    func attach(
        _ session: OutboundSession, membershipEnded: @escaping @Sendable (ConversationID) -> Void,
        resync: @escaping @Sendable () -> Void
    ) {
        guard context != nil, !signals.isClosed else { return }
        self.session = session
        self.membershipEnded = membershipEnded
        self.resync = resync
    }

    /// Writes the posted frames, then what the session queued while the socket takes it,
    /// with one flush. A frame posted while the session drains goes out before any event
    /// the session hands out after it (`MessagingDelivery.OutboundSession.drain(upTo:unless:_:)`):
    /// a backlog page is posted before the hub join that queues the live events after it.
    func drain() {
        guard let context else { return }
        var wrote = false
        var ended: [ConversationID] = []
        let signals = signals
        while true {
            let posted = signals.takePosted()
            for frames in posted { context.write(NIOAny(frames), promise: nil) }
            wrote = wrote || !posted.isEmpty
            guard let session, context.channel.isWritable else { break }
            let user = session.userID
            let (count, isEmpty) = session.drain(upTo: Self.batch, unless: { signals.hasPosted }) { event in
                if event.payloadCount <= fragmentLimit {
                    context.write(NIOAny(event.frame), promise: nil)
                } else {
                    context.write(NIOAny(Self.frames(of: event.payload, opcode: 0x1, fragmentLimit: fragmentLimit)), promise: nil)
                }
                if event.endsMembership(of: user) { ended.append(event.conversationID) }
            }
            wrote = wrote || count > 0
            if isEmpty { break }
        }
        if wrote { context.flush() }
        if !ended.isEmpty, let membershipEnded {
            for conversation in ended { membershipEnded(conversation) }
        }
        // A session closed for resync ends the connection once what was queued is written,
        // or at once when the socket takes nothing (a client that stopped reading).
        guard let session else { return }
        if !resyncSignalled, session.closeReason == .resync, session.queued.events == 0 || !context.channel.isWritable {
            resyncSignalled = true
            resync?()
        }
    }
}

/// The sessions of one event loop that have something to write: a publish to 10,000
/// sessions of a loop appends to this list and schedules one task on the loop, not one per
/// session. The task drains every listed session, each with one flush.
///
/// Thread safety: safe to share across threads; `run()` runs on the event loop.
final class DrainQueue: Sendable {
    private struct State {
        var pending: [NIOLoopBound<FrameSinkHandler>] = []
        var spare: [NIOLoopBound<FrameSinkHandler>] = []
        var scheduled = false
    }

    private static let queues = Mutex<[ObjectIdentifier: DrainQueue]>([:])

    /// The queue of `eventLoop` (one per loop, made on first use).
    static func of(_ eventLoop: any EventLoop) -> DrainQueue {
        queues.withLock { queues in
            let key = ObjectIdentifier(eventLoop)
            if let queue = queues[key] { return queue }
            let queue = DrainQueue(eventLoop: eventLoop)
            queues[key] = queue
            return queue
        }
    }

    let eventLoop: any EventLoop
    private let state = Mutex(State())

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Lists a handler to drain; schedules the loop's task unless it is already scheduled.
    func enqueue(_ handler: NIOLoopBound<FrameSinkHandler>) {
        let schedule = state.withLock { state -> Bool in
            state.pending.append(handler)
            if state.scheduled { return false }
            state.scheduled = true
            return true
        }
        if schedule { eventLoop.execute { self.run() } }
    }

    /// Drains every listed handler (on the event loop).
    private func run() {
        var batch = state.withLock { state -> [NIOLoopBound<FrameSinkHandler>] in
            state.scheduled = false
            var batch = state.spare
            swap(&batch, &state.pending)
            state.spare = []
            return batch
        }
        for handler in batch { handler.value.drain() }
        batch.removeAll(keepingCapacity: true)
        state.withLock { state in
            if state.spare.capacity < batch.capacity { state.spare = batch }
        }
    }
}
