import PostgresNIO

/// How the LISTEN connection (of a ``PostgresEventBus`` or ``PostgresSessionEvents``) connects,
/// checks and reconnects. The channels are the store's (``PostgresStoreConfiguration/channels``).
///
/// Thread safety: a value type; safe to share across tasks.
public struct PostgresListenerConfiguration: Sendable {
    /// Where to connect; the listener holds one connection of its own, outside any pool.
    public var connection: PostgresConnection.Configuration
    /// The pause before reconnecting after the connection was lost. Default 250 ms.
    public var reconnectDelay: Duration
    /// How often the listener checks its connection with a query (a half-open TCP connection
    /// delivers nothing and reports nothing otherwise). Default 2 s.
    public var healthCheckInterval: Duration

    /// Makes a configuration.
    public init(
        connection: PostgresConnection.Configuration,
        reconnectDelay: Duration = .milliseconds(250), healthCheckInterval: Duration = .seconds(2)
    ) {
        self.connection = connection
        self.reconnectDelay = reconnectDelay
        self.healthCheckInterval = healthCheckInterval
    }

    /// A configuration connecting to `url`; throws when its TLS context cannot be made.
    public init(url: PostgresURL) throws {
        self.init(connection: try url.connectionConfiguration())
    }
}

/// What a listener reports to readiness checks and metrics.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PostgresListenerStatus: Hashable, Sendable {
    /// Whether the LISTEN connection is up and listening now.
    public var isListening: Bool = false
    /// Connections made so far (1 after the first; each reconnection adds one).
    public var connections: Int = 0
    /// Notifications received.
    public var notifications: Int = 0
    /// Notifications that could not be decoded or handled (ignored and logged).
    public var rejected: Int = 0
    /// What ended the last connection, if one ended (never contains credentials).
    public var lastError: String?

    /// Makes an empty status.
    public init() {}
}

extension PostgresURL {
    /// The configuration of a single `PostgresConnection` for this URL (a LISTEN
    /// connection). Throws when the TLS context cannot be made.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let mode: PostgresConnection.Configuration.TLS = switch tls {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: mode)
    }
}
