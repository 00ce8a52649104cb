import JWTKit
import MessagingCore

/// The APNs provider token (a JWT signed ES256 with the push key): made once, reused for
/// every request, replaced when it is `lifetimeMilliseconds` old or APNs called it expired.
///
/// Apple rejects tokens older than an hour and refuses new ones more often than every 20
/// minutes (`TooManyProviderTokenUpdates`); 50 minutes sits between the two. Concurrent
/// callers that find no valid token wait for the one signing in flight.
actor APNsProviderTokens {
    /// How long one token is used: 50 minutes.
    static let lifetimeMilliseconds: Int64 = 50 * 60 * 1000

    /// The claims Apple reads: the Team ID and when the token was made, in whole seconds.
    struct Claims: JWTPayload, Equatable {
        let iss: String
        let iat: Int64

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private let teamID: String
    private let keyID: String
    private let key: ES256PrivateKey
    private var keys: JWTKeyCollection?
    private var current: (token: String, issuedAt: Timestamp)?
    private var signing: Task<String, any Error>?

    init(teamID: String, keyID: String, key: ES256PrivateKey) {
        self.teamID = teamID
        self.keyID = keyID
        self.key = key
    }

    /// The token to send at `now`: the current one while it is younger than `lifetimeMilliseconds`,
    /// else a new one issued at `now`.
    func token(now: Timestamp) async throws -> String {
        if let current {
            let age = now.millisecondsSince1970 - current.issuedAt.millisecondsSince1970
            if age >= 0, age < Self.lifetimeMilliseconds { return current.token }
        }
        if let signing { return try await signing.value }
        let task = Task { try await self.sign(issuedAt: now) }
        signing = task
        defer { signing = nil }
        let token = try await task.value
        current = (token, now)
        return token
    }

    /// Forgets `token` (APNs answered `ExpiredProviderToken`), so the next request signs a new one.
    func discard(_ token: String) {
        if current?.token == token { current = nil }
    }

    private func sign(issuedAt: Timestamp) async throws -> String {
        let keys: JWTKeyCollection
        if let existing = self.keys {
            keys = existing
        } else {
            keys = JWTKeyCollection()
            await keys.add(ecdsa: key, kid: JWKIdentifier(string: keyID))
            self.keys = keys
        }
        var header = JWTHeader()
        header.alg = "ES256"
        header.kid = keyID
        let claims = Claims(iss: teamID, iat: issuedAt.millisecondsSince1970 / 1000)
        return try await keys.sign(claims, kid: JWKIdentifier(string: keyID), header: header)
    }
}
