/// One entry of a conversation's event log, with its gapless per-conversation `seq`.
///
/// Message events carry the message's *current* state when read (a deleted message's
/// events carry its tombstone), so deleting a message removes its body from the log too.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ConversationEvent: Hashable, Sendable, Codable {
    /// The conversation.
    public let conversationID: ConversationID
    /// The position in the conversation's log, 1, 2, 3… with no gaps.
    public let seq: Int64
    /// Who caused the change.
    public let actorID: UserID
    /// When it happened.
    public let occurredAt: Timestamp
    /// What happened.
    public let payload: Payload

    /// Makes an event value.
    public init(conversationID: ConversationID, seq: Int64, actorID: UserID, occurredAt: Timestamp, payload: Payload) {
        self.conversationID = conversationID
        self.seq = seq
        self.actorID = actorID
        self.occurredAt = occurredAt
        self.payload = payload
    }

    /// The user whose membership this event ends (`memberLeft`, `memberBanned`), or `nil`.
    public var endsMembershipOf: UserID? {
        switch payload {
        case .memberLeft(let userID, _, _), .memberBanned(let userID, _): userID
        default: nil
        }
    }

    /// What happened.
    public enum Payload: Hashable, Sendable, Codable {
        /// A message was sent (current state).
        case messageCreated(Message)
        /// A message was edited (current state).
        case messageEdited(Message)
        /// A message was deleted (its tombstone).
        case messageDeleted(Message)
        /// A reaction was added.
        case reactionAdded(messageID: MessageID, userID: UserID, emoji: Emoji)
        /// A reaction was removed.
        case reactionRemoved(messageID: MessageID, userID: UserID, emoji: Emoji)
        /// A member joined or was added.
        case memberJoined(userID: UserID, role: Role)
        /// A member left (`removedBy` is `nil`) or was removed (kicked), with the remover's `reason` if given.
        case memberLeft(userID: UserID, removedBy: UserID?, reason: String? = nil)
        /// A user was banned (the actor is who banned them): removed if a member, and unable to
        /// join or be added until unbanned.
        case memberBanned(userID: UserID, reason: String?)
        /// A ban was lifted (the actor is who lifted it).
        case memberUnbanned(userID: UserID)
        /// The slow-mode interval changed (0: off).
        case slowModeChanged(seconds: Int)
        /// A message was pinned.
        case messagePinned(messageID: MessageID)
        /// A message was unpinned.
        case messageUnpinned(messageID: MessageID)
        /// A member's role changed.
        case memberRoleChanged(userID: UserID, from: Role, to: Role)
        /// The title or topic changed; the values are the new state.
        case conversationUpdated(title: String?, topic: String?)
        /// A member published a device (encrypted conversations only): share keys with it.
        case deviceAdded(userID: UserID, deviceID: DeviceID)
        /// A member removed a device (encrypted conversations only): a new epoch is required.
        case deviceRemoved(userID: UserID, deviceID: DeviceID)
        /// Key envelopes for `epoch` were uploaded for `recipients`; `rotated` when this started the epoch.
        case keyDistributed(epoch: UInt64, senderDeviceID: DeviceID, recipients: [DeviceID], rotated: Bool)
        /// The owner deleted the conversation: the last event of its log. Every membership
        /// ended with it; live sessions receive it and then nothing more of the conversation,
        /// and the log itself is deleted (see ``ConversationService/delete(_:by:)``).
        case conversationDeleted

        /// The message an event is about, for message events.
        public var messageID: MessageID? {
            switch self {
            case .messageCreated(let message), .messageEdited(let message), .messageDeleted(let message):
                message.id
            case .reactionAdded(let messageID, _, _), .reactionRemoved(let messageID, _, _):
                messageID
            case .messagePinned(let messageID), .messageUnpinned(let messageID):
                messageID
            default:
                nil
            }
        }
    }
}
