/// A login session: created by one login on one device, kept alive by refreshing, ended by
/// revocation or expiry. All refresh tokens of a session form one rotation family.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AuthSession: Hashable, Sendable, Identifiable {
    /// The session's id (the `sid` claim of its access tokens).
    public let id: SessionID
    /// The user who logged in.
    public let userID: UserID
    /// The device name the client gave at login.
    public let deviceName: String
    /// The client's network address as last seen (login or refresh), if the host passed one.
    public var clientAddress: String?
    /// When the login happened.
    public let createdAt: Timestamp
    /// When the session was last used (login or refresh).
    public var lastUsedAt: Timestamp
    /// The absolute end of the session, whatever its activity.
    public let expiresAt: Timestamp
    /// How many times its refresh token was rotated.
    public var generation: Int64
    /// When the session was revoked; `nil` while it is not.
    public var revokedAt: Timestamp?
    /// Why the session was revoked.
    public var revocationReason: RevocationReason?

    /// Makes a session value.
    public init(
        id: SessionID, userID: UserID, deviceName: String, clientAddress: String?, createdAt: Timestamp,
        lastUsedAt: Timestamp, expiresAt: Timestamp, generation: Int64 = 0, revokedAt: Timestamp? = nil,
        revocationReason: RevocationReason? = nil
    ) {
        self.id = id
        self.userID = userID
        self.deviceName = deviceName
        self.clientAddress = clientAddress
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.generation = generation
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
    }

    /// Whether the session was revoked.
    public var isRevoked: Bool { revokedAt != nil }
}

/// What a client says about itself at login: a device name and, when the host knows it,
/// its network address (used for throttling and shown in the session list).
///
/// Thread safety: a value type; safe to share across tasks.
public struct ClientInfo: Hashable, Sendable {
    /// The device name shown in the session list: 1–64 characters, one line.
    public let deviceName: String
    /// The client's network address (an IP address, as text), at most 64 bytes.
    public let address: String?

    /// Validates the device name and address; throws `invalidInput` saying which rule failed.
    public init(deviceName: String, address: String? = nil) throws(MessagingError) {
        self.deviceName = try TextRules.singleLine(deviceName, field: "device name", maxCharacters: 64, allowEmpty: false)
        if let address {
            let trimmed = address.trimmingSpaces()
            guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else {
                throw .invalidInput("The client address must be 1 to 64 bytes (an IP address as text).")
            }
            try TextRules.rejectControlCharacters(in: trimmed, field: "client address", allowingNewlineAndTab: false)
            self.address = trimmed
        } else {
            self.address = nil
        }
    }
}
