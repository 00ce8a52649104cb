/// How access tokens are issued and checked.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AccessTokenConfiguration: Hashable, Sendable {
    /// The `iss` claim written and required.
    public var issuer: String
    /// The `aud` claim written and required (a token must name it).
    public var audience: String
    /// How long an access token is valid. Default 15 minutes.
    public var lifetime: Duration
    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Default 30 seconds.
    public var leeway: Duration
    /// The longest token accepted, in bytes; longer ones are rejected before parsing. Default 4,096.
    public var maximumTokenBytes: Int

    /// Makes a configuration with the defaults listed on each property; values are clamped
    /// to sane bounds (lifetime ≥ 1 s, leeway ≥ 0, size limit ≥ 512 bytes).
    public init(
        issuer: String, audience: String, lifetime: Duration = .seconds(15 * 60), leeway: Duration = .seconds(30),
        maximumTokenBytes: Int = 4_096
    ) {
        self.issuer = issuer
        self.audience = audience
        self.lifetime = max(.seconds(1), lifetime)
        self.leeway = max(.zero, leeway)
        self.maximumTokenBytes = max(512, maximumTokenBytes)
    }
}

extension Duration {
    /// Whole milliseconds (truncated).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
