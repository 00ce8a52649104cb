import MessagingCore
import MessagingDelivery
import MessagingPresence
import Synchronization

/// The per-connection state the gateway's tasks share.
///
/// Thread safety: state behind a `Mutex`; safe to share across the connection's tasks.
final class ConnectionContext<Instant: InstantProtocol>: Sendable {
    struct Authenticated: Sendable {
        let principal: AuthenticatedPrincipal
        let deviceID: DeviceID
        let session: OutboundSession
    }

    struct State {
        var authenticated: Authenticated?
        var subscribed: Set<ConversationID> = []
        /// The follower of the user's feed (`feed.subscribe`), if any.
        var feed: FeedFollower?
        var lastInbound: Instant
        /// When the last `ping` went out (or the handshake completed).
        var lastPing: Instant
        var consecutiveInvalid = 0
        var consecutiveRateLimited = 0
    }

    /// The hand-over of the outbound session and the presence subscription to the event and
    /// typing tasks of a connection that does not stream sessions itself.
    struct Pumps: Sendable {
        let sessions: AsyncStream<OutboundSession>
        let sessionContinuation: AsyncStream<OutboundSession>.Continuation
        let presenceSubscriptions: AsyncStream<PresenceSubscription>
        let presenceContinuation: AsyncStream<PresenceSubscription>.Continuation

        init() {
            (sessions, sessionContinuation) = AsyncStream.makeStream(of: OutboundSession.self, bufferingPolicy: .bufferingNewest(1))
            (presenceSubscriptions, presenceContinuation) = AsyncStream.makeStream(
                of: PresenceSubscription.self, bufferingPolicy: .bufferingNewest(1))
        }

        func finish() {
            sessionContinuation.finish()
            presenceContinuation.finish()
        }
    }

    let id: UInt64
    let openedAt: Instant
    let state: Mutex<State>
    /// Only for a connection that does not stream sessions itself: a streaming one has no
    /// such tasks (and holds nothing for them).
    let pumps: Pumps?
    let presenceSubscription = Mutex<PresenceSubscription?>(nil)

    /// `streams`: whether the connection streams sessions itself (decided once, when it
    /// opens; the gateway passes the connection as a ``SessionStreamingConnection`` along,
    /// never keeps it here, so nothing of the connection refers back to itself).
    init(id: UInt64, now: Instant, streams: Bool) {
        self.id = id
        openedAt = now
        state = Mutex(State(lastInbound: now, lastPing: now))
        pumps = streams ? nil : Pumps()
    }

    var authenticated: Authenticated? { state.withLock { $0.authenticated } }
}
