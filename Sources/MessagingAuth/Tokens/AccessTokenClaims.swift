import JWTKit
import MessagingCore

/// The claims of an access token.
///
/// | claim | meaning |
/// |---|---|
/// | `sub` | the user id |
/// | `sid` | the session id |
/// | `roles` | server roles, sorted |
/// | `iat`, `nbf`, `exp` | issued, valid from, expires (whole seconds since 1970) |
/// | `iss`, `aud` | the configured issuer and audience |
/// | `token_type` | always `access`; anything else is rejected |
///
/// Thread safety: a value type; safe to share across tasks.
public struct AccessTokenClaims: Hashable, Sendable {
    /// The value of `token_type` in every access token.
    public static let tokenType = "access"

    /// The user (`sub`).
    public let userID: UserID
    /// The session (`sid`).
    public let sessionID: SessionID
    /// Server roles (`roles`).
    public let roles: Set<ServerRole>
    /// `iat`, whole seconds.
    public let issuedAt: Timestamp
    /// `nbf`, whole seconds.
    public let notBefore: Timestamp
    /// `exp`, whole seconds.
    public let expiresAt: Timestamp
    /// `iss`.
    public let issuer: String
    /// `aud` (one or more audiences).
    public let audience: [String]

    /// The principal these claims speak for.
    public var principal: AuthenticatedPrincipal {
        AuthenticatedPrincipal(userID: userID, sessionID: sessionID, roles: roles, issuedAt: issuedAt, expiresAt: expiresAt)
    }
}

/// The JSON payload as jwt-kit encodes and decodes it. Claims are checked by
/// ``JWTAccessTokens`` with its injected clock, not here.
struct AccessTokenPayload: JWTPayload, Equatable {
    var sub: String
    var sid: String
    var roles: [String]
    var iat: Int64
    var nbf: Int64
    var exp: Int64
    var iss: String
    var aud: Audience
    var tokenType: String

    enum CodingKeys: String, CodingKey {
        case sub, sid, roles, iat, nbf, exp, iss, aud
        case tokenType = "token_type"
    }

    /// `aud` is a string or an array of strings (RFC 7519 §4.1.3); one audience is written as a string.
    struct Audience: Codable, Equatable {
        var values: [String]

        init(_ values: [String]) { self.values = values }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let single = try? container.decode(String.self) {
                values = [single]
            } else {
                values = try container.decode([String].self)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if values.count == 1 { try container.encode(values[0]) } else { try container.encode(values) }
        }
    }

    func verify(using _: some JWTAlgorithm) async throws {}
}
