/// What the notification scan knows of one member of a conversation.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MemberNotificationState: Hashable, Sendable {
    /// The member.
    public let userID: UserID
    /// Its read position.
    public let readSeq: Int64
    /// The highest `seq` any of its devices acknowledged (0 when none did).
    public let deliveredSeq: Int64
    /// The highest `seq` a notification already covered (0 before the first).
    public let notifiedSeq: Int64
    /// Until when it muted the conversation, if it did.
    public let mutedUntil: Timestamp?

    /// Makes a state value (stores build them).
    public init(userID: UserID, readSeq: Int64, deliveredSeq: Int64, notifiedSeq: Int64, mutedUntil: Timestamp?) {
        self.userID = userID
        self.readSeq = readSeq
        self.deliveredSeq = deliveredSeq
        self.notifiedSeq = notifiedSeq
        self.mutedUntil = mutedUntil
    }

    /// The position up to which the member needs no notification: what it read, received
    /// on a device, or was already notified of.
    public var coveredSeq: Int64 { max(readSeq, deliveredSeq, notifiedSeq) }
}

/// Notification records, the per-member position they cover, and device push tokens.
public protocol NotificationStore {
    /// Up to `limit` members of `conversation` ordered by user id, after `user` (exclusive),
    /// each with its read, delivered and notified positions and its mute, in one query
    /// (answered from the members' key and the cursors' conversation index).
    func notificationStates(in conversation: ConversationID, after user: UserID?, limit: Int) throws -> [MemberNotificationState]
    /// Inserts `record` unless a record with the same `sourceKey` exists (then returns that
    /// one unchanged). The member's notified position is not changed (``setNotifiedSeq(_:of:in:)``).
    func insert(_ record: NotificationRecord, sourceKey: String) throws -> NotificationRecord
    /// The record inserted with `sourceKey`, if any.
    func notification(sourceKey: String) throws -> NotificationRecord?
    /// The highest `seq` a notification of `user` in `conversation` covered (0 before the first).
    func notifiedSeq(of user: UserID, in conversation: ConversationID) throws -> Int64
    /// Raises the member's notified position to `seq` (never lowers it).
    func setNotifiedSeq(_ seq: Int64, of user: UserID, in conversation: ConversationID) throws
    /// Up to `limit` records of `user` with an id below `before` (all when `nil`), newest first.
    func notifications(of user: UserID, before id: NotificationID?, limit: Int) throws -> [NotificationRecord]
    /// How many records of `user` are unread.
    func unreadNotificationCount(of user: UserID) throws -> Int
    /// Marks `user`'s records with these ids (every unread one when `nil`) read at `time`,
    /// leaving records that are read already or belong to someone else unchanged. Returns
    /// how many changed.
    func markNotificationsRead(of user: UserID, ids: [NotificationID]?, at time: Timestamp) throws -> Int

    /// Saves a device's push token, replacing the device's previous one; the same token
    /// held by any other device (or user) is deleted, since a token addresses one installation.
    func upsert(_ token: PushToken) throws
    /// The push tokens of `user`, ordered by device id.
    func pushTokens(of user: UserID) throws -> [PushToken]
    /// Deletes the token of one device of `user`; `false` when it had none.
    func deletePushToken(of user: UserID, device: DeviceID) throws -> Bool
    /// Deletes a token the push service rejected; `false` when no device holds it.
    func deletePushToken(platform: PushPlatform, token: String) throws -> Bool
    /// Deletes every record, notified position and push token of `user` (account deletion).
    func deleteNotificationData(of user: UserID) throws
}
