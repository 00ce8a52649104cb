/// A user's privacy settings.
///
/// Thread safety: a value type; safe to share across tasks.
public struct UserSettings: Hashable, Sendable, Codable {
    /// Whether the user's read position is kept from the other members (receipts and the
    /// `read` frames show nothing of it). Default `false`.
    public var hidesReadReceipts: Bool

    /// Makes settings; the default shows read receipts.
    public init(hidesReadReceipts: Bool = false) {
        self.hidesReadReceipts = hidesReadReceipts
    }
}

/// How far one member of a conversation has read and received it.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MemberReceipt: Hashable, Sendable {
    /// The member.
    public let userID: UserID
    /// The member's read position (highest `seq` read), or `nil` when the member hides read
    /// receipts (``UserSettings/hidesReadReceipts``) and is not the asker.
    public let readSeq: Int64?
    /// The highest `seq` any device of the member acknowledged (received), 0 when none did.
    /// Acknowledgement cursors are stored in batches, so this trails the live position by
    /// up to the acknowledgement flush interval.
    public let deliveredSeq: Int64

    /// Makes a receipt.
    public init(userID: UserID, readSeq: Int64?, deliveredSeq: Int64) {
        self.userID = userID
        self.readSeq = readSeq
        self.deliveredSeq = deliveredSeq
    }
}
