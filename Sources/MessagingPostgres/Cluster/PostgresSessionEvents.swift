import Logging
import MessagingCore
import ServiceLifecycle
import Synchronization

/// The `MessagingCore.SessionEvents` feed of several nodes on one PostgreSQL database:
/// a session revoked on any node closes its connections on every node.
///
/// ``PostgresAuthStore`` sends `pg_notify` on ``PostgresChannels/revocations`` inside the
/// transaction that revokes a session, so a revocation is announced exactly when it
/// committed. Each node's feed listens (``run()``, one connection of its own) and yields
/// every announced revocation to its subscribers; ``publish(_:)`` (what `AuthService` calls
/// after its commit) yields to this node's subscribers at once. A revocation reaches a
/// node's subscribers once: the feed remembers the last 4,096 session ids it yielded, and a
/// session is revoked only once.
///
/// While the LISTEN connection is down, revocations of other nodes are not seen; the feed
/// reconnects after ``PostgresListenerConfiguration/reconnectDelay``. Access tokens stay
/// short-lived, so that is the bound on a missed revocation, as on one node.
///
/// Thread safety: subscribers behind a `Mutex`; safe to share across tasks.
public final class PostgresSessionEvents: SessionEvents, Service {
    private struct State {
        var recent = Set<SessionID>()
        var order: [SessionID] = []
        var next = 0

        /// Records `id`; `false` when it was recorded already.
        mutating func insert(_ id: SessionID, capacity: Int) -> Bool {
            guard recent.insert(id).inserted else { return false }
            if order.count < capacity {
                order.append(id)
            } else {
                recent.remove(order[next])
                order[next] = id
                next = (next + 1) % capacity
            }
            return true
        }
    }

    private let local = InMemorySessionEvents()
    private let state = Mutex(State())
    private let loop: ListenLoop
    private let logger: Logger
    private static let memory = 4_096

    /// A feed listening on the revocation channel of `store`'s configuration through a
    /// connection of its own made with `listener`.
    public init(store: PostgresMessagingStore, listener: PostgresListenerConfiguration, logger: Logger) {
        self.logger = logger
        loop = ListenLoop(configuration: listener, channel: store.configuration.channels.revocations, logger: logger)
    }

    /// The LISTEN connection's state (for readiness and metrics).
    public var status: PostgresListenerStatus { loop.status.withLock { $0 } }

    /// Yields a committed revocation to this node's subscribers (other nodes learn of it
    /// from the notification its transaction sent).
    public func publish(_ revocation: SessionRevocation) async {
        await yield(revocation)
    }

    public func revocations() -> AsyncStream<SessionRevocation> {
        local.revocations()
    }

    /// Holds the LISTEN connection (reconnecting as needed) until cancelled or graceful shutdown.
    public func run() async throws {
        await loop.run(onListening: {}, onNotification: { [self] payload in
            guard let revocation = RevocationAnnouncement.revocation(from: payload) else {
                logger.warning("ignored a notification this library did not send", metadata: ["bytes": "\(payload.utf8.count)"])
                return false
            }
            await yield(revocation)
            return true
        })
    }

    private func yield(_ revocation: SessionRevocation) async {
        guard state.withLock({ $0.insert(revocation.sessionID, capacity: Self.memory) }) else { return }
        await local.publish(revocation)
    }
}
