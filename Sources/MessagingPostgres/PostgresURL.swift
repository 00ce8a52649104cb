import Foundation
import MessagingCore
import PostgresNIO

/// A PostgreSQL connection URL, `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE`,
/// as hosts take it from a flag or an environment variable.
///
/// `sslmode` is `disable`, `prefer` (the default) or `require`; the port defaults to 5432.
/// Percent-escapes in the user and password are decoded. The description never shows the
/// password.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PostgresURL: Sendable, CustomStringConvertible {
    /// How the connection uses TLS.
    public enum TLSMode: String, Sendable {
        /// Plain TCP (loopback and private networks only).
        case disable
        /// TLS when the server offers it.
        case prefer
        /// TLS or no connection.
        case require
    }

    /// The server's host name or address.
    public let host: String
    /// The server's port.
    public let port: Int
    /// The role to log in as.
    public let username: String
    /// Its password, if the URL has one.
    public let password: String?
    /// The database.
    public let database: String
    /// The TLS mode.
    public let tls: TLSMode

    /// Parses `text`; throws `invalidInput` saying what is wrong (never echoing the password).
    public init(_ text: String) throws(MessagingError) {
        func invalid(_ what: String) -> MessagingError {
            MessagingError(
                code: .invalidInput,
                message: "The PostgreSQL URL is not valid: \(what). Expected postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
        }
        guard let components = URLComponents(string: text) else { throw invalid("it does not parse as a URL") }
        guard let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("the scheme must be postgres or postgresql")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("it names no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("it names no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw invalid("its path must be one database name") }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw invalid("sslmode must be disable, prefer or require")
                }
                tls = mode
            default:
                throw invalid("the parameter \(item.name) is not supported (only sslmode is)")
            }
        }
        self.host = host
        port = components.port ?? 5432
        username = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        self.tls = tls
    }

    /// The configuration of a `PostgresClient` for this URL.
    public var clientConfiguration: PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS = switch tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: mode)
    }

    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }
}
