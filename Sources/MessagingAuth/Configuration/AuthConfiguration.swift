/// Settings of ``AuthService``.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AuthConfiguration: Hashable, Sendable {
    /// The rules for new passwords.
    public var passwordPolicy: PasswordPolicy
    /// The argon2id cost of new hashes; stored hashes made with other parameters are
    /// rehashed at their owner's next login. Default ``Argon2idParameters/interactive``.
    public var passwordHashing: Argon2idParameters
    /// How many password hashes may run at once (each holds its memory cost). Default 2.
    public var maximumConcurrentHashes: Int
    /// A session whose refresh token is unused this long expires. Default 14 days.
    public var sessionIdleTimeout: Duration
    /// A session expires this long after its login, however active. Default 30 days.
    public var sessionLifetime: Duration
    /// When positive: the token rotated away by the latest refresh may be presented again
    /// for this long without revoking its session (answered `refreshConflict`), so two
    /// tabs refreshing at once do not log the user out. Default zero: strict RFC 9700 reuse
    /// detection, where any second use revokes the session.
    public var reuseGracePeriod: Duration
    /// Failure backoff per account, for the default throttle.
    public var accountBackoff: LoginBackoff
    /// Failure backoff per client address, for the default throttle.
    public var addressBackoff: LoginBackoff
    /// Which server roles may take which server actions.
    public var rolePolicy: RolePolicy

    /// Makes a configuration with the defaults listed on each property.
    public init(
        passwordPolicy: PasswordPolicy = .init(), passwordHashing: Argon2idParameters = .interactive,
        maximumConcurrentHashes: Int = 2, sessionIdleTimeout: Duration = .seconds(14 * 86_400),
        sessionLifetime: Duration = .seconds(30 * 86_400), reuseGracePeriod: Duration = .zero,
        accountBackoff: LoginBackoff = .perAccount, addressBackoff: LoginBackoff = .perAddress,
        rolePolicy: RolePolicy = .standard
    ) {
        self.passwordPolicy = passwordPolicy
        self.passwordHashing = passwordHashing
        self.maximumConcurrentHashes = maximumConcurrentHashes
        self.sessionIdleTimeout = sessionIdleTimeout
        self.sessionLifetime = sessionLifetime
        self.reuseGracePeriod = reuseGracePeriod
        self.accountBackoff = accountBackoff
        self.addressBackoff = addressBackoff
        self.rolePolicy = rolePolicy
    }
}
