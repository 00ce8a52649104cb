import Foundation
import MessagingCore
import MessagingDelivery
import MessagingWire
import Testing

/// Moderation on the wire and in fanout: the exact frames of the moderation event kinds, and
/// the withheld form a session of a user who blocks the sender gets (same `seq`, no content).
@Suite("Wire format and fanout: moderation")
struct ModerationWireTests {
    typealias W = WireFormatTests

    @Test("member.left with a reason, member.banned, member.unbanned, conversation.slow_mode, message.pinned, message.unpinned")
    func kinds() throws {
        let kicked = try W.frame(seq: 3, .memberLeft(userID: W.bob, removedBy: W.alice, reason: "off topic"))
        #expect(kicked == W.head("member.left") + #","reason":"off topic","removedBy":"\#(W.a)","seq":3,"user":"\#(W.b)"},"type":"event"}"#)
        let banned = try W.frame(seq: 4, .memberBanned(userID: W.bob, reason: "spam"))
        #expect(banned == W.head("member.banned") + #","reason":"spam","seq":4,"user":"\#(W.b)"},"type":"event"}"#)
        let silent = try W.frame(seq: 5, .memberBanned(userID: W.bob, reason: nil))
        #expect(silent == W.head("member.banned") + #","seq":5,"user":"\#(W.b)"},"type":"event"}"#)
        let unbanned = try W.frame(seq: 6, .memberUnbanned(userID: W.bob))
        #expect(unbanned == W.head("member.unbanned") + #","seq":6,"user":"\#(W.b)"},"type":"event"}"#)
        let slow = try W.frame(seq: 7, .slowModeChanged(seconds: 30))
        #expect(slow == W.head("conversation.slow_mode") + #","seconds":30,"seq":7},"type":"event"}"#)
        let pinned = try W.frame(seq: 8, .messagePinned(messageID: W.messageID))
        #expect(pinned == W.head("message.pinned") + #","message":"\#(W.m)","seq":8},"type":"event"}"#)
        let unpinned = try W.frame(seq: 9, .messageUnpinned(messageID: W.messageID))
        #expect(unpinned == W.head("message.unpinned") + #","message":"\#(W.m)","seq":9},"type":"event"}"#)
    }

    @Test("the stored form of the new payloads round-trips, and a member.left stored before reasons existed still reads")
    func storedForm() throws {
        let payloads: [ConversationEvent.Payload] = [
            .memberLeft(userID: W.bob, removedBy: W.alice, reason: "r"), .memberBanned(userID: W.bob, reason: nil),
            .memberUnbanned(userID: W.bob), .slowModeChanged(seconds: 5), .messagePinned(messageID: W.messageID),
            .messageUnpinned(messageID: W.messageID),
        ]
        for payload in payloads {
            let decoded = try JSONDecoder().decode(ConversationEvent.Payload.self, from: JSONEncoder().encode(payload))
            #expect(decoded == payload)
        }
        let old = try JSONDecoder().decode(
            ConversationEvent.Payload.self, from: Data(#"{"memberLeft":{"removedBy":"\#(W.a)","userID":"\#(W.b)"}}"#.utf8))
        #expect(old == .memberLeft(userID: W.bob, removedBy: W.alice, reason: nil))
    }

    @Test("an encoded event names what fanout needs: the sender of a message with content, the user a ban removes")
    func encodedEventFacts() throws {
        let message = try W.message()
        let created = try EncodedEvent(event(.messageCreated(message)))
        #expect(created.messageSender == W.alice && created.endsMembershipOf == nil)
        #expect(try EncodedEvent(event(.messageEdited(message))).messageSender == W.alice)
        #expect(try EncodedEvent(event(.messageDeleted(message))).messageSender == nil, "a tombstone has nothing to withhold")
        #expect(try EncodedEvent(event(.messageCreated(message.withheld()))).messageSender == nil, "already withheld")
        let ban = try EncodedEvent(event(.memberBanned(userID: W.bob, reason: nil)))
        #expect(ban.endsMembershipOf == W.bob && ban.messageSender == nil)
        #expect(try EncodedEvent(event(.memberLeft(userID: W.bob, removedBy: W.alice, reason: "x"))).endsMembershipOf == W.bob)
    }

    @Test("withheld(): the same event with the message as a history read shows it to a blocker (hidden, no content)")
    func withheldFrame() throws {
        let message = try W.message()
        for payload in [ConversationEvent.Payload.messageCreated(message), .messageEdited(message)] {
            let withheld = try EncodedEvent(event(payload)).withheld()
            let expected = try EncodedEvent(event(payload == .messageCreated(message)
                ? .messageCreated(message.withheld()) : .messageEdited(message.withheld())))
            #expect(try parse(withheld.bytes) == parse(expected.bytes))
            #expect(withheld.seq == 42 && withheld.messageSender == nil)
            let text = String(decoding: withheld.bytes, as: UTF8.self)
            #expect(text.contains(#""hidden":true"#) && !text.contains("hello") && !text.contains("b.png"), "\(text)")
        }
        let reaction = try EncodedEvent(event(.reactionAdded(messageID: W.messageID, userID: W.alice, emoji: try Emoji("👍"))))
        #expect(reaction.withheld().bytes == reaction.bytes, "only message events with content are withheld")
    }

    @Test("a session withholds the message events of the users its user blocks, from the set it was last given")
    func sessionWithholds() throws {
        let session = OutboundSession(id: ConnectionID(1), userID: W.bob, deviceID: DeviceID(UUIDv7Generator().next()))
        let message = try W.message()
        let created = try EncodedEvent(event(.messageCreated(message)))
        session.enqueue(created)
        session.setBlockedUsers([W.alice], version: 2)
        session.enqueue(created)
        session.setBlockedUsers([], version: 1)  // an older read finishing late changes nothing
        #expect(session.blockedUsers == [W.alice])
        session.enqueue(try EncodedEvent(event(.memberJoined(userID: W.alice, role: .member))))
        session.setBlockedUsers([], version: 3)
        session.enqueue(created)
        var texts: [String] = []
        session.drain { texts.append(String(decoding: $0.bytes, as: UTF8.self)) }
        #expect(texts.count == 4)
        #expect(texts.map { $0.contains(#""hidden":true"#) } == [false, true, false, false])
        #expect(texts[1].contains(#""seq":42"#) && !texts[1].contains("hello"))
    }

    private func event(_ payload: ConversationEvent.Payload) -> ConversationEvent {
        ConversationEvent(conversationID: W.conversation, seq: 42, actorID: W.alice, occurredAt: W.at, payload: payload)
    }

    private func parse(_ bytes: [UInt8]) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? NSDictionary)
    }
}
