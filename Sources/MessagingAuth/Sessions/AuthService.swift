import Logging
import MessagingCore
import MessagingSodium

/// Accounts, logins, token refresh and sessions: the auth use cases over an `MessagingCore.AuthStore`.
///
/// ```swift
/// let keys = try AccessTokenKeys(signingKey: try .generateEd25519(id: "2025-01"))
/// let tokens = try await JWTAccessTokens(keys: keys, configuration: .init(issuer: "chat", audience: "chat"))
/// let auth = try await AuthService(store: sqlite.authStore, tokens: tokens)
/// _ = try await auth.register(handle: "alice", password: Password(input))
/// let login = try await auth.login(handle: "alice", password: Password(input), client: try ClientInfo(deviceName: "Laptop"))
/// let next = try await auth.refresh(login.tokens.refreshToken)   // rotates; the old token is spent
/// ```
///
/// Every revocation (logout, password change, account disabled, reuse detection,
/// expiry noticed at refresh) is published on ``events`` after it commits.
///
/// Thread safety: immutable; safe to share across tasks.
public final class AuthService: Sendable {
    /// Issues and verifies access tokens.
    public let tokens: JWTAccessTokens
    /// The settings in use.
    public let configuration: AuthConfiguration
    /// Where revocations are published.
    public let events: any SessionEvents
    let store: any AuthStore
    let throttle: any LoginThrottle
    let clock: any WallClock
    let ids: any IDGenerator
    let hasher: PasswordHasher
    let logger: Logger
    /// A hash of a random password with the current parameters: logins for unknown handles
    /// verify against it, so they take as long as logins with a wrong password.
    private let dummyHash: PasswordHash

    /// Makes the service; computes one password hash (the timing decoy), so it takes as
    /// long as one login.
    public init(
        store: any AuthStore, tokens: JWTAccessTokens, configuration: AuthConfiguration = .init(),
        events: any SessionEvents = InMemorySessionEvents(), throttle: (any LoginThrottle)? = nil,
        clock: any WallClock = SystemWallClock(), ids: (any IDGenerator)? = nil,
        logger: Logger = Logger(label: "swift-messaging.auth")
    ) async throws(AuthError) {
        self.store = store
        self.tokens = tokens
        self.configuration = configuration
        self.events = events
        self.throttle = throttle
            ?? InMemoryLoginThrottle(account: configuration.accountBackoff, address: configuration.addressBackoff)
        self.clock = clock
        self.ids = ids ?? UUIDv7Generator(clock: clock)
        self.logger = logger
        hasher = PasswordHasher(
            parameters: configuration.passwordHashing, maximumConcurrent: configuration.maximumConcurrentHashes)
        dummyHash = try await hasher.hash(Password(Base64URL.encode(Sodium.randomBytes(24))))
    }

    // MARK: Registration

    /// Registers an account: a user with a unique handle and a password hashed with argon2id.
    ///
    /// Throws `invalidInput` for a malformed handle, display name or over-long password,
    /// `weakPassword` when the password breaks the policy, `handleTaken` when the handle is in use.
    public func register(
        handle: String, password: Password, displayName: String? = nil, roles: Set<ServerRole> = []
    ) async throws(AuthError) -> Account {
        let now = clock.now()
        let user: User
        do {
            let handle = try Handle(handle)
            user = try User(id: ids.next(), handle: handle, displayName: displayName ?? handle.rawValue, createdAt: now)
        } catch {
            throw AuthError.wrapping(error)
        }
        try configuration.passwordPolicy.check(password, handle: user.handle)
        let credential = AccountCredential(
            userID: user.id, passwordHash: try await hasher.hash(password), roles: roles, createdAt: now,
            passwordChangedAt: now)
        let inserted = try await write { transaction -> Bool in
            guard try transaction.user(handle: user.handle) == nil else { return false }
            try transaction.insert(user)
            try transaction.insert(credential)
            return true
        }
        guard inserted else {
            throw AuthError(code: .handleTaken, message: "The handle '\(user.handle)' is taken; choose another.")
        }
        logger.info("account registered", metadata: ["user": "\(user.id)"])
        return Account(user: user, credential: credential)
    }

    // MARK: Login

    /// Logs in: checks the password and opens a session with a refresh token and an access token.
    ///
    /// An unknown handle and a wrong password get the same `invalidCredentials`, after the
    /// same argon2id work. Repeated failures for the handle or the client address are
    /// answered `rateLimited` (with ``AuthError/retryAfter``) without checking the password.
    /// A correct password on a disabled account gets `accountDisabled`. When the stored
    /// hash was made with other parameters than the configured ones, it is replaced.
    public func login(handle: String, password: Password, client: ClientInfo) async throws(AuthError) -> LoginResult {
        let now = clock.now()
        let accountKey = Self.throttleKey(handle)
        if let wait = await throttle.admit(account: accountKey, address: client.address, at: now) {
            logger.notice("login throttled", metadata: ["address": "\(client.address ?? "-")"])
            throw AuthError(
                code: .rateLimited, message: "Too many failed logins; wait before trying again.", retryAfter: wait)
        }
        var found: (User, AccountCredential)?
        if let handle = try? Handle(handle) {
            found = try await read { transaction -> (User, AccountCredential)? in
                guard let user = try transaction.user(handle: handle), let credential = try transaction.credential(of: user.id)
                else { return nil }
                return (user, credential)
            }
        }
        let withinLimit = password.utf8.count <= PasswordPolicy.absoluteMaximumBytes
        let matches = await hasher.verify(withinLimit ? password : "", against: found?.1.passwordHash ?? dummyHash)
        guard let (user, credential) = found, matches, withinLimit else {
            // The handle is not logged: people type passwords into the handle field.
            logger.notice("login failed", metadata: ["address": "\(client.address ?? "-")"])
            throw AuthError.invalidCredentials
        }
        await throttle.succeeded(account: accountKey, address: client.address, at: now)
        guard !credential.isDisabled else {
            throw AuthError(code: .accountDisabled, message: "This account is disabled; contact an administrator.")
        }
        let rehash = hasher.needsRehash(credential.passwordHash) ? try await hasher.hash(password) : nil
        let session = AuthSession(
            id: ids.next(), userID: user.id, deviceName: client.deviceName, clientAddress: client.address, createdAt: now,
            lastUsedAt: now, expiresAt: now.adding(milliseconds: configuration.sessionLifetime.milliseconds))
        let refreshToken = RefreshToken.generate()
        let opened = try await write { transaction -> Bool in
            // A password change or a disable that committed since the check above wins.
            guard let current = try transaction.credential(of: user.id), current.passwordHash == credential.passwordHash,
                !current.isDisabled
            else { return false }
            if let rehash { try transaction.updatePasswordHash(of: user.id, to: rehash, changedAt: nil) }
            try transaction.insert(session, refreshTokenHash: refreshToken.hash)
            return true
        }
        guard opened else { throw AuthError.invalidCredentials }
        if rehash != nil { logger.info("password rehashed with new parameters", metadata: ["user": "\(user.id)"]) }
        logger.info("login", metadata: ["user": "\(user.id)", "session": "\(session.id)"])
        let pair = try await tokenPair(for: session, roles: credential.roles, refreshToken: refreshToken)
        return LoginResult(account: Account(user: user, credential: credential), tokens: pair)
    }

    // MARK: Helpers

    /// The throttling key of a typed handle: normalized when it is a valid handle, else
    /// lowercased and bounded, so unknown and malformed handles are throttled like real ones.
    static func throttleKey(_ handle: String) -> String {
        if let handle = try? Handle(handle) { return handle.rawValue }
        return String(handle.lowercased().prefix(64))
    }

    func tokenPair(for session: AuthSession, roles: Set<ServerRole>, refreshToken: RefreshToken) async throws(AuthError)
        -> TokenPair
    {
        let access = try await tokens.issue(
            userID: session.userID, sessionID: session.id, roles: roles, sessionExpiresAt: session.expiresAt)
        let idleEnd = session.lastUsedAt.adding(milliseconds: configuration.sessionIdleTimeout.milliseconds)
        return TokenPair(
            accessToken: access, refreshToken: refreshToken, session: session,
            refreshTokenExpiresAt: min(idleEnd, session.expiresAt))
    }

    func read<Result: Sendable>(_ body: @Sendable (any AuthTransaction) throws -> Result) async throws(AuthError)
        -> Result
    {
        do {
            return try await store.read(body)
        } catch {
            throw AuthError.wrapping(error)
        }
    }

    func write<Result: Sendable>(_ body: @Sendable (any AuthTransaction) throws -> Result) async throws(AuthError)
        -> Result
    {
        do {
            return try await store.write(body)
        } catch {
            throw AuthError.wrapping(error)
        }
    }

    /// Publishes revocations that committed.
    func publish(_ revocations: [SessionRevocation]) async {
        for revocation in revocations {
            logger.info(
                "session revoked",
                metadata: ["session": "\(revocation.sessionID)", "user": "\(revocation.userID)", "reason": "\(revocation.reason)"])
            await events.publish(revocation)
        }
    }
}
