import MessagingDelivery
import MessagingWire

/// Settings of a ``Gateway``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct GatewayConfiguration: Hashable, Sendable {
    /// Frame validation limits.
    public var protocolLimits: ProtocolLimits
    /// How long a connection may stay unauthenticated before it is closed with 4401. Default 10 s.
    public var authTimeout: Duration
    /// How often the server sends `ping`. Default 20 s.
    public var pingInterval: Duration
    /// A connection that sends nothing for this long (idle or half-open) is closed with 4408. Default 60 s.
    public var idleTimeout: Duration
    /// The tick of the gateway's timing wheel, which checks every connection's handshake
    /// timeout, token expiry, idle timeout and ping. Deadlines are rounded up to a tick. Each
    /// connection is checked only when its earliest deadline comes (about once per ping
    /// interval when idle), so the tick costs nothing per idle connection. Default 1 s.
    public var housekeepingInterval: Duration
    /// The longest a connection goes between two checks of its access token's expiry
    /// against the wall clock (which can be set back or forward). Default 10 s.
    public var expiryCheckInterval: Duration = .seconds(10)
    /// Open connections per user; one more is refused with 4409. Default 10.
    public var maxConnectionsPerUser: Int
    /// Token-bucket rate limits.
    public var rateLimits: RateLimits
    /// Bounds of each connection's outbound event queue; overflowing it closes with 4410.
    public var outboundQueue: SessionQueueLimits
    /// The presence heartbeat interval advertised in `ready`. Default 30 s.
    public var heartbeatInterval: Duration
    /// How long a revoked session id is remembered, so a token of it is refused at the
    /// handshake even when the verifier is stateless. Set it to at least the access-token
    /// lifetime. Default 1 hour.
    public var revokedSessionRetention: Duration

    /// Makes settings; the defaults are listed on each property.
    public init(
        protocolLimits: ProtocolLimits = .init(), authTimeout: Duration = .seconds(10), pingInterval: Duration = .seconds(20),
        idleTimeout: Duration = .seconds(60), housekeepingInterval: Duration = .seconds(1),
        maxConnectionsPerUser: Int = 10, rateLimits: RateLimits = .default, outboundQueue: SessionQueueLimits = .init(),
        heartbeatInterval: Duration = .seconds(30), revokedSessionRetention: Duration = .seconds(3600)
    ) {
        self.protocolLimits = protocolLimits
        self.authTimeout = authTimeout
        self.pingInterval = pingInterval
        self.idleTimeout = idleTimeout
        self.housekeepingInterval = housekeepingInterval
        self.maxConnectionsPerUser = max(1, maxConnectionsPerUser)
        self.rateLimits = rateLimits
        self.outboundQueue = outboundQueue
        self.heartbeatInterval = heartbeatInterval
        self.revokedSessionRetention = revokedSessionRetention
    }
}
