import AsyncHTTPClient
import Foundation
import JWTKit
import MessagingCore
import MessagingDelivery
import NIOCore

/// The OAuth 2.0 access token FCM requests carry: obtained with a service-account
/// assertion (RFC 7523, a JWT signed RS256), reused until shortly before it expires, and
/// dropped when FCM answers 401 so the retry fetches a new one.
///
/// Concurrent callers that find no valid token wait for the one fetch in flight.
actor FCMAccessTokens {
    /// The scope FCM's send endpoint requires.
    static let scope = "https://www.googleapis.com/auth/firebase.messaging"
    /// The grant type of a JWT bearer assertion.
    static let grantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    /// An assertion's lifetime: one hour, the most Google accepts.
    static let assertionLifetimeSeconds: Int64 = 3600

    /// The assertion's claims.
    struct Assertion: JWTPayload, Equatable {
        let iss: String
        let scope: String
        let aud: String
        let iat: Int64
        let exp: Int64

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private let account: FCMServiceAccount
    private let key: Insecure.RSA.PrivateKey
    private let httpClient: HTTPClient
    private let timeout: Duration
    private let refreshMarginMilliseconds: Int64
    private var keys: JWTKeyCollection?
    private var current: (token: String, refreshAt: Timestamp)?
    private var fetching: Task<String, any Error>?

    init(account: FCMServiceAccount, key: Insecure.RSA.PrivateKey, httpClient: HTTPClient, timeout: Duration, refreshMargin: Duration) {
        self.account = account
        self.key = key
        self.httpClient = httpClient
        self.timeout = timeout
        refreshMarginMilliseconds = refreshMargin.components.seconds * 1000 + refreshMargin.components.attoseconds / 1_000_000_000_000_000
    }

    /// The access token to send at `now`: the cached one until its refresh time, else a new one.
    func token(now: Timestamp) async throws -> String {
        if let current, now < current.refreshAt { return current.token }
        if let fetching { return try await fetching.value }
        let task = Task { try await self.fetch(now: now) }
        fetching = task
        defer { fetching = nil }
        return try await task.value
    }

    /// Forgets `token` (FCM answered 401), so the next send fetches a new one.
    func discard(_ token: String) {
        if current?.token == token { current = nil }
    }

    /// Signs an assertion issued at `now` and exchanges it for an access token.
    private func fetch(now: Timestamp) async throws -> String {
        let assertion: String
        do {
            assertion = try await sign(issuedAt: now)
        } catch {
            throw DeliveryError(code: .pushFailed, message: "FCM: signing the OAuth assertion failed; check the service account's private key.")
        }
        var request = HTTPClientRequest(url: account.tokenURI.absoluteString)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "accept", value: "application/json")
        let form = "grant_type=" + Self.formEncode(Self.grantType) + "&assertion=" + Self.formEncode(assertion)
        request.body = .bytes(ByteBuffer(string: form))
        let answer = try await PushHTTP.execute(
            request, on: httpClient, timeout: timeout, service: "The OAuth token endpoint", secrets: [assertion])
        let object = PushHTTP.jsonObject(answer.body)
        guard answer.status == 200 else {
            let error = PushHTTP.safeCode(object?["error"] as? String) ?? "(no error code)"
            throw DeliveryError(
                code: .pushFailed,
                message: "FCM: the OAuth token endpoint answered \(answer.status) \(error); check the service account "
                    + "(client_email, private_key_id, key not revoked) and the server clock. The job is retried.")
        }
        guard let token = object?["access_token"] as? String, !token.isEmpty,
            let expiresIn = (object?["expires_in"] as? NSNumber)?.int64Value ?? (object?["expires_in"] as? String).flatMap(Int64.init)
        else {
            throw DeliveryError(code: .pushFailed, message: "FCM: the OAuth token endpoint answered 200 without access_token and expires_in.")
        }
        let lifetime = max(0, expiresIn * 1000 - refreshMarginMilliseconds)
        current = (token, now.adding(milliseconds: lifetime))
        return token
    }

    private func sign(issuedAt: Timestamp) async throws -> String {
        let keys: JWTKeyCollection
        if let existing = self.keys {
            keys = existing
        } else {
            keys = JWTKeyCollection()
            await keys.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: account.privateKeyID))
            self.keys = keys
        }
        var header = JWTHeader()
        header.alg = "RS256"
        header.kid = account.privateKeyID
        let iat = issuedAt.millisecondsSince1970 / 1000
        let claims = Assertion(
            iss: account.clientEmail, scope: Self.scope, aud: account.tokenURI.absoluteString, iat: iat,
            exp: iat + Self.assertionLifetimeSeconds)
        return try await keys.sign(claims, kid: JWKIdentifier(string: account.privateKeyID), header: header)
    }

    /// `value` percent-encoded for an `application/x-www-form-urlencoded` body: everything but
    /// `A–Z a–z 0–9 - . _ *` is escaped.
    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet()
        allowed.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._*")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
