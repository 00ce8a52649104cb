import Foundation
import MessagingCore
import MessagingSodium

// The JSON shapes of messages and conversation events in realtime protocol v1
// (Documentation/Protocol.md §3 "The Message object" and §4 "Events").
//
// These are deliberate, hand-written encodings: they never follow the domain model's
// synthesized `Codable` (which the SQLite store uses for `events.data` and must not change)
// and they never carry internal fields such as `Message.contentDigest`. Keys are flat and
// camelCase; enum-like string values (`kind`, `role`) are lowercase, dotted or snake_case.
// Optional values are left out when unset, except where `null` means something (the
// cleared title or topic of `conversation.updated`).

/// A message as protocol v1 sends it: `{"id":…,"conversation":…,"seq":…,"sender":…, …}`.
///
/// Used by the `event` frames (`message.created`, `message.edited`, `message.deleted`) and
/// by the `ok` results of `send`, `edit`, `delete` and `history`, so a message has one
/// shape everywhere on the wire.
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireMessage: Encodable, Sendable {
    /// The message encoded.
    public let message: Message
    /// The reader's reaction summaries (`reactions`, always present in reads); `nil` in
    /// events, which are encoded once for every recipient and cannot say whether each one reacted.
    public let reactions: [ReactionSummary]?
    /// The thread summary of a root with replies (`thread`).
    public let thread: ThreadSummary?

    /// Wraps `message` for encoding, without summaries (events, send, edit and delete answers).
    public init(_ message: Message) {
        self.message = message
        self.reactions = nil
        self.thread = nil
    }

    /// Wraps a message read for one reader, with its summaries (history, replies, single reads).
    public init(_ detail: MessageDetail) {
        self.message = detail.message
        self.reactions = detail.reactions
        self.thread = detail.thread
    }

    private enum Keys: String, CodingKey {
        case id, conversation, seq, sender, clientMessageId, kind, text, ciphertext
        case replyTo, threadRoot, mentions, attachments, createdAt, editedAt, deletedAt, epoch, senderDevice
        case reactions, thread, hidden
    }

    private enum ReactionKeys: String, CodingKey {
        case emoji, count, me
    }

    private enum ThreadKeys: String, CodingKey {
        case replyCount, lastReplySeq, lastReplyId, lastReplyAt
    }

    private enum AttachmentKeys: String, CodingKey {
        case id, mediaType, byteCount, name
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(message.id.description, forKey: .id)
        try c.encode(message.conversationID.description, forKey: .conversation)
        try c.encode(message.seq, forKey: .seq)
        try c.encode(message.senderID.description, forKey: .sender)
        try c.encode(message.clientMessageID.rawValue, forKey: .clientMessageId)
        try c.encode(message.kind.rawValue, forKey: .kind)
        switch message.body {
        case .text(let text)?: try c.encode(text, forKey: .text)
        case .ciphertext(let bytes)?: try c.encode(bytes.base64EncodedString(), forKey: .ciphertext)
        case nil: break  // a tombstone: `deletedAt` is set
        }
        if let encryption = message.encryption, !message.isHidden {
            try c.encode(encryption.epoch, forKey: .epoch)
            try c.encode(encryption.senderDeviceID.description, forKey: .senderDevice)
        }
        try c.encodeIfPresent(message.replyToID?.description, forKey: .replyTo)
        try c.encodeIfPresent(message.threadRootID?.description, forKey: .threadRoot)
        try c.encode(message.mentions.map(\.description), forKey: .mentions)
        var attachments = c.nestedUnkeyedContainer(forKey: .attachments)
        for attachment in message.attachments {
            var a = attachments.nestedContainer(keyedBy: AttachmentKeys.self)
            try a.encode(attachment.id, forKey: .id)
            try a.encode(attachment.mediaType, forKey: .mediaType)
            try a.encode(attachment.byteCount, forKey: .byteCount)
            try a.encodeIfPresent(attachment.name, forKey: .name)
        }
        try c.encode(message.createdAt.millisecondsSince1970, forKey: .createdAt)
        try c.encodeIfPresent(message.editedAt?.millisecondsSince1970, forKey: .editedAt)
        try c.encodeIfPresent(message.deletedAt?.millisecondsSince1970, forKey: .deletedAt)
        // Withheld from a reader who blocks the sender: no text, mentions or attachments.
        if message.isHidden { try c.encode(true, forKey: .hidden) }
        if let reactions {
            var list = c.nestedUnkeyedContainer(forKey: .reactions)
            for reaction in reactions {
                var r = list.nestedContainer(keyedBy: ReactionKeys.self)
                try r.encode(reaction.emoji.rawValue, forKey: .emoji)
                try r.encode(reaction.count, forKey: .count)
                try r.encode(reaction.includesReader, forKey: .me)
            }
        }
        if let thread {
            var t = c.nestedContainer(keyedBy: ThreadKeys.self, forKey: .thread)
            try t.encode(thread.replyCount, forKey: .replyCount)
            try t.encode(thread.lastReplySeq, forKey: .lastReplySeq)
            try t.encode(thread.lastReplyID.description, forKey: .lastReplyId)
            try t.encode(thread.lastReplyAt.millisecondsSince1970, forKey: .lastReplyAt)
        }
    }
}

extension ConversationEvent.Payload {
    /// The event's `kind` on the wire (protocol v1): a stable dotted name such as
    /// `message.created`. Clients switch on it and ignore kinds they do not know.
    public var wireKind: String {
        switch self {
        case .messageCreated: "message.created"
        case .messageEdited: "message.edited"
        case .messageDeleted: "message.deleted"
        case .reactionAdded: "reaction.added"
        case .reactionRemoved: "reaction.removed"
        case .memberJoined: "member.joined"
        case .memberLeft: "member.left"
        case .memberRoleChanged: "member.role_changed"
        case .conversationUpdated: "conversation.updated"
        case .deviceAdded: "device.added"
        case .deviceRemoved: "device.removed"
        case .keyDistributed: "key.distributed"
        case .memberBanned: "member.banned"
        case .memberUnbanned: "member.unbanned"
        case .slowModeChanged: "conversation.slow_mode"
        case .messagePinned: "message.pinned"
        case .messageUnpinned: "message.unpinned"
        case .conversationDeleted: "conversation.deleted"
        }
    }
}

/// A conversation event as protocol v1 sends it inside an `event` frame:
/// `{"conversation":…,"seq":…,"kind":"message.created","actor":…,"at":…, …kind-specific fields…}`.
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireEvent: Encodable, Sendable {
    /// The event encoded.
    public let event: ConversationEvent

    /// Wraps `event` for encoding.
    public init(_ event: ConversationEvent) { self.event = event }

    private enum Keys: String, CodingKey {
        case conversation, seq, kind, actor, at
        case message, user, emoji, role, previousRole, removedBy, title, topic
        case device, epoch, senderDevice, devices, rotated, reason, seconds
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(event.conversationID.description, forKey: .conversation)
        try c.encode(event.seq, forKey: .seq)
        try c.encode(event.payload.wireKind, forKey: .kind)
        try c.encode(event.actorID.description, forKey: .actor)
        try c.encode(event.occurredAt.millisecondsSince1970, forKey: .at)
        switch event.payload {
        case .messageCreated(let message), .messageEdited(let message), .messageDeleted(let message):
            try c.encode(WireMessage(message), forKey: .message)
        case .reactionAdded(let messageID, let userID, let emoji), .reactionRemoved(let messageID, let userID, let emoji):
            try c.encode(messageID.description, forKey: .message)
            try c.encode(userID.description, forKey: .user)
            try c.encode(emoji.rawValue, forKey: .emoji)
        case .memberJoined(let userID, let role):
            try c.encode(userID.description, forKey: .user)
            try c.encode(role.rawValue, forKey: .role)
        case .memberLeft(let userID, let removedBy, let reason):
            try c.encode(userID.description, forKey: .user)
            try c.encodeIfPresent(removedBy?.description, forKey: .removedBy)
            try c.encodeIfPresent(reason, forKey: .reason)
        case .memberBanned(let userID, let reason):
            try c.encode(userID.description, forKey: .user)
            try c.encodeIfPresent(reason, forKey: .reason)
        case .memberUnbanned(let userID):
            try c.encode(userID.description, forKey: .user)
        case .slowModeChanged(let seconds):
            try c.encode(seconds, forKey: .seconds)
        case .messagePinned(let messageID), .messageUnpinned(let messageID):
            try c.encode(messageID.description, forKey: .message)
        case .memberRoleChanged(let userID, let from, let to):
            try c.encode(userID.description, forKey: .user)
            try c.encode(to.rawValue, forKey: .role)
            try c.encode(from.rawValue, forKey: .previousRole)
        case .conversationUpdated(let title, let topic):
            // The new state of both: `null` means "none" (cleared), so both keys are always present.
            if let title { try c.encode(title, forKey: .title) } else { try c.encodeNil(forKey: .title) }
            if let topic { try c.encode(topic, forKey: .topic) } else { try c.encodeNil(forKey: .topic) }
        case .deviceAdded(let userID, let deviceID), .deviceRemoved(let userID, let deviceID):
            try c.encode(userID.description, forKey: .user)
            try c.encode(deviceID.description, forKey: .device)
        case .keyDistributed(let epoch, let sender, let recipients, let rotated):
            try c.encode(epoch, forKey: .epoch)
            try c.encode(sender.description, forKey: .senderDevice)
            try c.encode(recipients.map(\.description), forKey: .devices)
            try c.encode(rotated, forKey: .rotated)
        case .conversationDeleted:
            break  // the common keys say it all: the actor is the owner who deleted it
        }
    }
}

/// An entry of a user's feed as protocol v1 sends it inside a `feed` frame:
/// `{"seq":…,"conversation":…,"change":"conversation.joined","at":…, …change-specific fields…}`.
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireFeedEntry: Encodable, Sendable {
    /// The entry encoded.
    public let entry: UserFeedEvent

    /// Wraps `entry` for encoding.
    public init(_ entry: UserFeedEvent) { self.entry = entry }

    private enum Keys: String, CodingKey {
        case seq, conversation, change, at, kind, title, topic, role, by, removedBy, reason, banned
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(entry.seq, forKey: .seq)
        try c.encode(entry.conversationID.description, forKey: .conversation)
        try c.encode(entry.payload.name, forKey: .change)
        try c.encode(entry.occurredAt.millisecondsSince1970, forKey: .at)
        switch entry.payload {
        case .joined(let kind, let title, let role, let by):
            try c.encode(kind.rawValue, forKey: .kind)
            try c.encodeIfPresent(title, forKey: .title)
            try c.encode(role.rawValue, forKey: .role)
            try c.encode(by.description, forKey: .by)
        case .left(let removedBy, let reason, let banned):
            try c.encodeIfPresent(removedBy?.description, forKey: .removedBy)
            try c.encodeIfPresent(reason, forKey: .reason)
            if banned { try c.encode(true, forKey: .banned) }
        case .updated(let title, let topic):
            // The new state of both: `null` means "none" (cleared), so both keys are always present.
            if let title { try c.encode(title, forKey: .title) } else { try c.encodeNil(forKey: .title) }
            if let topic { try c.encode(topic, forKey: .topic) } else { try c.encodeNil(forKey: .topic) }
        case .roleChanged(let role, let by):
            try c.encode(role.rawValue, forKey: .role)
            try c.encode(by.description, forKey: .by)
        case .deleted(let by):
            try c.encode(by.description, forKey: .by)
        }
    }
}

/// A conversation's unread count as protocol v1 sends it: `{"conversation","unread","readSeq"}`.
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireUnreadCount: Encodable, Sendable {
    /// The count encoded.
    public let count: UnreadCount

    /// Wraps `count` for encoding.
    public init(_ count: UnreadCount) { self.count = count }

    private enum Keys: String, CodingKey { case conversation, unread, readSeq }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(count.conversationID.description, forKey: .conversation)
        try c.encode(count.count, forKey: .unread)
        try c.encode(count.readSeq, forKey: .readSeq)
    }
}

/// A member's receipt as protocol v1 sends it: `{"user","readSeq"?,"deliveredSeq"}` (no
/// `readSeq` for a member who hides read receipts).
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireMemberReceipt: Encodable, Sendable {
    /// The receipt encoded.
    public let receipt: MemberReceipt

    /// Wraps `receipt` for encoding.
    public init(_ receipt: MemberReceipt) { self.receipt = receipt }

    private enum Keys: String, CodingKey { case user, readSeq, deliveredSeq }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(receipt.userID.description, forKey: .user)
        try c.encodeIfPresent(receipt.readSeq, forKey: .readSeq)
        try c.encode(receipt.deliveredSeq, forKey: .deliveredSeq)
    }
}

/// The text form of end-to-end encryption objects (device bundles, key envelopes):
/// base64url without padding, canonical (see `Documentation/E2EE.md` §3), through the one
/// libsodium codec every module of the package uses.
public enum E2EEText {
    /// Encodes bytes.
    public static func encode(_ bytes: Data) -> String {
        Base64URL.encode(bytes)
    }

    /// Decodes canonical text; `nil` for anything else (padding, whitespace, other alphabets,
    /// non-zero unused bits) and for an empty or over-long (more than 1 MiB) text.
    public static func decode(_ text: String) -> Data? {
        guard !text.isEmpty, text.utf8.count <= 1 << 20, let bytes = Base64URL.decode(text) else { return nil }
        return Data(bytes)
    }
}

/// A device of the end-to-end encryption directory as protocol v1 sends it:
/// `{"id","user","bundle","addedAt","removedAt"?}` (+ `"hasKey"` in a `devices` result).
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireDevice: Encodable, Sendable {
    /// The device.
    public let device: Device
    /// Whether it holds an envelope for the conversation's current epoch (`devices` results only).
    public let hasKey: Bool?

    /// Wraps a device for encoding.
    public init(_ device: Device, hasKey: Bool? = nil) {
        self.device = device
        self.hasKey = hasKey
    }

    private enum Keys: String, CodingKey { case id, user, bundle, addedAt, removedAt, hasKey }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(device.id.description, forKey: .id)
        try c.encode(device.userID.description, forKey: .user)
        try c.encode(E2EEText.encode(device.bundle), forKey: .bundle)
        try c.encode(device.addedAt.millisecondsSince1970, forKey: .addedAt)
        try c.encodeIfPresent(device.removedAt?.millisecondsSince1970, forKey: .removedAt)
        try c.encodeIfPresent(hasKey, forKey: .hasKey)
    }
}

/// A stored key envelope as protocol v1 sends it:
/// `{"seq","conversation","epoch","senderDevice","envelope"}`.
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireEnvelope: Encodable, Sendable {
    /// The envelope.
    public let envelope: StoredKeyEnvelope

    /// Wraps an envelope for encoding.
    public init(_ envelope: StoredKeyEnvelope) { self.envelope = envelope }

    private enum Keys: String, CodingKey { case seq, conversation, epoch, senderDevice, envelope }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(envelope.seq, forKey: .seq)
        try c.encode(envelope.conversationID.description, forKey: .conversation)
        try c.encode(envelope.epoch, forKey: .epoch)
        try c.encode(envelope.senderDeviceID.description, forKey: .senderDevice)
        try c.encode(E2EEText.encode(envelope.envelope), forKey: .envelope)
    }
}

/// The devices of an encrypted conversation as protocol v1 sends them:
/// `{"keyEpoch","requiredEpoch","devices":[WireDevice with hasKey]}`.
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireConversationDevices: Encodable, Sendable {
    /// The devices and key state.
    public let value: ConversationDevices

    /// Wraps the value for encoding.
    public init(_ value: ConversationDevices) { self.value = value }

    private enum Keys: String, CodingKey { case keyEpoch, requiredEpoch, devices }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(value.keyState.keyEpoch, forKey: .keyEpoch)
        try c.encode(value.keyState.requiredEpoch, forKey: .requiredEpoch)
        try c.encode(
            value.devices.map { WireDevice($0, hasKey: value.devicesWithCurrentKey.contains($0.id)) }, forKey: .devices)
    }
}

/// An attachment record as protocol v1 and ChatServer's HTTP API send it:
/// `{"id","fileName","contentType","size","createdAt","expiresAt","messageId"?}` (times in
/// milliseconds; `messageId` once attached).
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireAttachment: Encodable, Sendable {
    /// The record.
    public let attachment: Attachment

    /// Wraps a record for encoding.
    public init(_ attachment: Attachment) { self.attachment = attachment }

    private enum Keys: String, CodingKey { case id, fileName, contentType, size, createdAt, expiresAt, messageId }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(attachment.id.description, forKey: .id)
        try c.encode(attachment.fileName, forKey: .fileName)
        try c.encode(attachment.contentType, forKey: .contentType)
        try c.encode(attachment.byteCount, forKey: .size)
        try c.encode(attachment.createdAt.millisecondsSince1970, forKey: .createdAt)
        try c.encode(attachment.expiresAt.millisecondsSince1970, forKey: .expiresAt)
        try c.encodeIfPresent(attachment.messageID?.description, forKey: .messageId)
    }
}

/// A signed upload request as protocol v1 and ChatServer's HTTP API send it:
/// `{"method","url","headers","expiresAt"}` (`expiresAt` in milliseconds).
///
/// Thread safety: a value type; safe to share across tasks.
public struct WireTransferTarget: Encodable, Sendable {
    /// The target.
    public let target: AttachmentTransferTarget

    /// Wraps a target for encoding.
    public init(_ target: AttachmentTransferTarget) { self.target = target }

    private enum Keys: String, CodingKey { case method, url, headers, expiresAt }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(target.method, forKey: .method)
        try c.encode(target.url.absoluteString, forKey: .url)
        try c.encode(target.headers, forKey: .headers)
        try c.encode(target.expiresAt.millisecondsSince1970, forKey: .expiresAt)
    }
}
