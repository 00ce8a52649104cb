/// How far one device has acknowledged one conversation's events.
///
/// Thread safety: a value type; safe to share across tasks.
public struct AckCursor: Hashable, Sendable {
    /// The device.
    public let deviceID: DeviceID
    /// Its user.
    public let userID: UserID
    /// The conversation.
    public let conversationID: ConversationID
    /// The highest `seq` acknowledged (cumulative).
    public let ackedSeq: Int64

    /// Makes a cursor.
    public init(deviceID: DeviceID, userID: UserID, conversationID: ConversationID, ackedSeq: Int64) {
        self.deviceID = deviceID
        self.userID = userID
        self.conversationID = conversationID
        self.ackedSeq = ackedSeq
    }
}

/// Persists acknowledgement cursors in batches.
///
/// Implementers: ``save(_:at:)`` writes every cursor in one transaction and never moves a
/// cursor backwards (keep the maximum). A stored cursor belongs to the user who first saved
/// it for that device and conversation: a save naming another user changes nothing (device
/// ids are chosen by clients, so two users may name the same one). Implementations must be
/// safe to call from any task.
public protocol AckCursorStore: Sendable {
    /// Saves cursors in one transaction, keeping the higher of the stored and given `seq`.
    func save(_ cursors: [AckCursor], at now: Timestamp) async throws
    /// The stored cursors of a device.
    func cursors(of device: DeviceID) async throws -> [AckCursor]
}
