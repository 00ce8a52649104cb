import Foundation
import MessagingCore
import MessagingDelivery
import MessagingWire
import Testing

/// The exact bytes of protocol v1 `event` frames, one test per event kind
/// (Documentation/Protocol.md §4). A change here is a wire protocol change.
@Suite("Wire format: event frames")
struct WireFormatTests {
    static let conversation = ConversationID("0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a")!
    static let alice = UserID("0193a6c0-1111-7000-8000-000000000001")!
    static let bob = UserID("0193a6c0-1111-7000-8000-000000000002")!
    static let messageID = MessageID("0193a6c2-2222-7000-8000-000000000042")!
    static let replyTo = MessageID("0193a6c2-2222-7000-8000-000000000041")!
    static let at = Timestamp(millisecondsSince1970: 1_767_225_600_000)

    static let c = "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a"
    static let a = "0193a6c0-1111-7000-8000-000000000001"
    static let b = "0193a6c0-1111-7000-8000-000000000002"
    static let m = "0193a6c2-2222-7000-8000-000000000042"

    static func message(
        body: MessageBody? = .text("hello"), kind: MessageKind = .text, editedAt: Int64? = nil, deletedAt: Int64? = nil
    ) throws -> Message {
        Message(
            id: messageID, conversationID: conversation, senderID: alice, seq: 42,
            clientMessageID: try ClientMessageID("c-20260101-0001"), kind: kind, body: body,
            replyToID: deletedAt == nil ? replyTo : nil, threadRootID: nil,
            mentions: deletedAt == nil ? [bob] : [],
            attachments: deletedAt == nil
                ? [try AttachmentReference(id: "media/a/b.png", mediaType: "image/png", byteCount: 2048, name: "b.png")] : [],
            createdAt: at, editedAt: editedAt.map(Timestamp.init(millisecondsSince1970:)),
            deletedAt: deletedAt.map(Timestamp.init(millisecondsSince1970:)), contentDigest: 0xDEAD_BEEF_CAFE_F00D)
    }

    static func frame(seq: Int64 = 42, _ payload: ConversationEvent.Payload) throws -> String {
        let event = ConversationEvent(conversationID: conversation, seq: seq, actorID: alice, occurredAt: at, payload: payload)
        let encoded = try EncodedEvent(event)
        #expect(encoded.seq == seq)
        #expect(encoded.conversationID == conversation)
        return String(decoding: encoded.bytes, as: UTF8.self)
    }

    /// The common head of an event whose kind-specific keys all sort after `kind`
    /// (sorted keys: `actor`, `at`, `conversation`, `kind`, …).
    static func head(_ kind: String) -> String {
        #"{"event":{"actor":"\#(a)","at":1767225600000,"conversation":"\#(c)","kind":"\#(kind)""#
    }

    static let messageJSON =
        #"{"attachments":[{"byteCount":2048,"id":"media/a/b.png","mediaType":"image/png","name":"b.png"}],"#
        + #""clientMessageId":"c-20260101-0001","conversation":"\#(c)","createdAt":1767225600000,"#
        + #""id":"\#(m)","kind":"text","mentions":["\#(b)"],"replyTo":"0193a6c2-2222-7000-8000-000000000041","#
        + #""sender":"\#(a)","seq":42,"text":"hello"}"#

    @Test("message.created: the whole Message object, no contentDigest")
    func messageCreated() throws {
        let json = try Self.frame(.messageCreated(Self.message()))
        #expect(json == Self.head("message.created") + #","message":\#(Self.messageJSON),"seq":42},"type":"event"}"#)
        #expect(!json.contains("contentDigest"))
        #expect(!json.contains("_0"))
    }

    @Test("message.edited: the current state with editedAt")
    func messageEdited() throws {
        let json = try Self.frame(seq: 43, .messageEdited(Self.message(body: .text("hello!"), editedAt: 1_767_225_660_000)))
        let message =
            #"{"attachments":[{"byteCount":2048,"id":"media/a/b.png","mediaType":"image/png","name":"b.png"}],"#
            + #""clientMessageId":"c-20260101-0001","conversation":"\#(Self.c)","createdAt":1767225600000,"#
            + #""editedAt":1767225660000,"id":"\#(Self.m)","kind":"text","mentions":["\#(Self.b)"],"#
            + #""replyTo":"0193a6c2-2222-7000-8000-000000000041","sender":"\#(Self.a)","seq":42,"text":"hello!"}"#
        #expect(json == Self.head("message.edited") + #","message":\#(message),"seq":43},"type":"event"}"#)
    }

    @Test("message.deleted: the tombstone has no text, mentions or attachments, and has deletedAt")
    func messageDeleted() throws {
        let json = try Self.frame(seq: 44, .messageDeleted(Self.message(body: nil, deletedAt: 1_767_225_720_000)))
        let message =
            #"{"attachments":[],"clientMessageId":"c-20260101-0001","conversation":"\#(Self.c)","#
            + #""createdAt":1767225600000,"deletedAt":1767225720000,"id":"\#(Self.m)","kind":"text","mentions":[],"#
            + #""sender":"\#(Self.a)","seq":42}"#
        #expect(json == Self.head("message.deleted") + #","message":\#(message),"seq":44},"type":"event"}"#)
    }

    @Test("an encrypted message carries base64 ciphertext (slashes not escaped), never text")
    func encryptedMessage() throws {
        let bytes = Data([0xFB, 0xFF, 0xBF, 0x00, 0x01])  // base64 "+/+/AAE="
        let json = try Self.frame(.messageCreated(Self.message(body: .ciphertext(bytes), kind: .encrypted)))
        #expect(json.contains(#""ciphertext":"+/+/AAE=""#), "\(json)")
        #expect(json.contains(#""kind":"encrypted""#))
        #expect(!json.contains(#""text":"#))
    }

    @Test("reaction.added: message id, user, emoji")
    func reactionAdded() throws {
        let json = try Self.frame(seq: 45, .reactionAdded(messageID: Self.messageID, userID: Self.bob, emoji: try Emoji("👍")))
        #expect(json == #"{"event":{"actor":"\#(Self.a)","at":1767225600000,"conversation":"\#(Self.c)","emoji":"👍","#
            + #""kind":"reaction.added","message":"\#(Self.m)","seq":45,"user":"\#(Self.b)"},"type":"event"}"#)
    }

    @Test("reaction.removed: message id, user, emoji")
    func reactionRemoved() throws {
        let json = try Self.frame(seq: 46, .reactionRemoved(messageID: Self.messageID, userID: Self.bob, emoji: try Emoji("🔥")))
        #expect(json == #"{"event":{"actor":"\#(Self.a)","at":1767225600000,"conversation":"\#(Self.c)","emoji":"🔥","#
            + #""kind":"reaction.removed","message":"\#(Self.m)","seq":46,"user":"\#(Self.b)"},"type":"event"}"#)
    }

    @Test("member.joined: user and role")
    func memberJoined() throws {
        let json = try Self.frame(seq: 2, .memberJoined(userID: Self.bob, role: .member))
        #expect(json == Self.head("member.joined") + #","role":"member","seq":2,"user":"\#(Self.b)"},"type":"event"}"#)
    }

    @Test("member.left: removedBy present when removed, absent when the member left")
    func memberLeft() throws {
        let removed = try Self.frame(seq: 3, .memberLeft(userID: Self.bob, removedBy: Self.alice))
        #expect(removed == Self.head("member.left") + #","removedBy":"\#(Self.a)","seq":3,"user":"\#(Self.b)"},"type":"event"}"#)
        let left = try Self.frame(seq: 4, .memberLeft(userID: Self.bob, removedBy: nil))
        #expect(left == Self.head("member.left") + #","seq":4,"user":"\#(Self.b)"},"type":"event"}"#)
    }

    @Test("member.role_changed: user, role (the new one) and previousRole")
    func memberRoleChanged() throws {
        let json = try Self.frame(seq: 5, .memberRoleChanged(userID: Self.bob, from: .member, to: .admin))
        #expect(json == Self.head("member.role_changed") + #","previousRole":"member","role":"admin","seq":5,"user":"\#(Self.b)"},"type":"event"}"#)
    }

    @Test("conversation.updated: title and topic always present, null when cleared")
    func conversationUpdated() throws {
        let json = try Self.frame(seq: 6, .conversationUpdated(title: "Launch", topic: nil))
        #expect(json == Self.head("conversation.updated") + #","seq":6,"title":"Launch","topic":null},"type":"event"}"#)
    }

    @Test("every payload case has its own dotted kind")
    func kinds() throws {
        let message = try Self.message()
        let emoji = try Emoji("👍")
        let payloads: [ConversationEvent.Payload] = [
            .messageCreated(message), .messageEdited(message), .messageDeleted(message),
            .reactionAdded(messageID: Self.messageID, userID: Self.bob, emoji: emoji),
            .reactionRemoved(messageID: Self.messageID, userID: Self.bob, emoji: emoji),
            .memberJoined(userID: Self.bob, role: .owner), .memberLeft(userID: Self.bob, removedBy: nil),
            .memberRoleChanged(userID: Self.bob, from: .admin, to: .owner),
            .conversationUpdated(title: nil, topic: "t"),
        ]
        let kinds = payloads.map(\.wireKind)
        #expect(kinds == [
            "message.created", "message.edited", "message.deleted", "reaction.added", "reaction.removed",
            "member.joined", "member.left", "member.role_changed", "conversation.updated",
        ])
        for payload in payloads {
            let json = try Self.frame(payload)
            #expect(!json.contains("contentDigest") && !json.contains("_0") && !json.contains("payload"), "\(json)")
        }
    }

    @Test("the stored Codable form of the payload (SQLite events.data) is unchanged by the wire format")
    func storedPayloadFormatUnchanged() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let stored = String(decoding: try encoder.encode(ConversationEvent.Payload.memberJoined(userID: Self.bob, role: .admin)), as: UTF8.self)
        #expect(stored == #"{"memberJoined":{"role":"admin","userID":"\#(Self.b)"}}"#)
        let decoded = try JSONDecoder().decode(
            ConversationEvent.Payload.self, from: Data(#"{"memberLeft":{"userID":"\#(Self.b)"}}"#.utf8))
        #expect(decoded == .memberLeft(userID: Self.bob, removedBy: nil))
    }
}
