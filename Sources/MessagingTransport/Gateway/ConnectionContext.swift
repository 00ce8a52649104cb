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
        var lastInbound: Instant
        /// When the last `ping` went out (or the handshake completed).
        var lastPing: Instant
        var consecutiveInvalid = 0
        var consecutiveRateLimited = 0
    }

    let id: UInt64
    let openedAt: Instant
    let state: Mutex<State>
    /// Hands the outbound session to the event pump once authenticated.
    let sessions: AsyncStream<OutboundSession>
    let sessionContinuation: AsyncStream<OutboundSession>.Continuation
    /// Hands the presence subscription to the typing pump once authenticated.
    let presenceSubscriptions: AsyncStream<PresenceSubscription>
    let presenceContinuation: AsyncStream<PresenceSubscription>.Continuation
    let presenceSubscription = Mutex<PresenceSubscription?>(nil)

    init(id: UInt64, now: Instant) {
        self.id = id
        openedAt = now
        state = Mutex(State(lastInbound: now, lastPing: now))
        (sessions, sessionContinuation) = AsyncStream.makeStream(of: OutboundSession.self, bufferingPolicy: .bufferingNewest(1))
        (presenceSubscriptions, presenceContinuation) = AsyncStream.makeStream(
            of: PresenceSubscription.self, bufferingPolicy: .bufferingNewest(1))
    }

    var authenticated: Authenticated? { state.withLock { $0.authenticated } }
}
