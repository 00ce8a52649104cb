import Foundation
import Testing
@testable import MessagingE2EE

@Suite("Sealed messages")
struct SealedMessageTests {
    let alice: TestDevice
    let bob: TestDevice
    let key: ConversationKey

    init() throws {
        alice = try TestDevice.make()
        bob = try TestDevice.make()
        key = try ConversationKey.generate(conversationID: UUID(), epoch: 9)
    }

    @Test("seal and open round-trip for sizes 0 ... 64 KiB", arguments: [0, 1, 200, 16 * 1024, 64 * 1024])
    func roundTrip(size: Int) throws {
        let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let message = try SealedMessage.seal(plaintext, clientMessageID: "client-1", with: key, from: alice.identity)
        #expect(message.serialized.count == 43 + 8 + 24 + 4 + size + 16 + 64)
        #expect(message.conversationID == key.conversationID && message.epoch == 9)
        #expect(message.senderDeviceID == alice.identity.deviceID && message.clientMessageID == "client-1")
        let parsed = try SealedMessage(textEncoded: message.textEncoded)
        let opened = try parsed.open(with: key, from: alice.bundle)
        #expect(opened.plaintext == plaintext)
        #expect(opened.senderUserID == alice.identity.userID)
        #expect(!opened.description.contains("client-1") || opened.description.contains("\(size) bytes"))
    }

    @Test("client ids: 1...64 UTF-8 bytes accepted, empty and longer refused")
    func clientIDs() throws {
        let ok = String(repeating: "é", count: 32)  // 64 bytes
        let message = try SealedMessage.seal([1, 2, 3], clientMessageID: ok, with: key, from: alice.identity)
        #expect(try message.open(with: key, from: alice.bundle).clientMessageID == ok)
        expectE2EEError(.invalidArgument) { try SealedMessage.seal([1], clientMessageID: "", with: key, from: alice.identity) }
        expectE2EEError(.invalidArgument) {
            try SealedMessage.seal([1], clientMessageID: String(repeating: "x", count: 65), with: key, from: alice.identity)
        }
    }

    @Test("a message opened with another conversation's or epoch's key, or another sender's bundle, is rejected")
    func contextMismatch() throws {
        let message = try SealedMessage.seal([1, 2, 3], clientMessageID: "m", with: key, from: alice.identity)
        let otherConversation = try ConversationKey.generate(conversationID: UUID(), epoch: 9)
        let otherEpoch = try ConversationKey.generate(conversationID: key.conversationID, epoch: 10)
        expectE2EEError(.wrongConversation) { try message.open(with: otherConversation, from: alice.bundle) }
        expectE2EEError(.wrongEpoch) { try message.open(with: otherEpoch, from: alice.bundle) }
        expectE2EEError(.wrongSender) { try message.open(with: key, from: bob.bundle) }
    }

    @Test("moving a message to another conversation, epoch or sender in its header is rejected")
    func movedMessages() throws {
        let message = try SealedMessage.seal(Array("move me".utf8), clientMessageID: "m-1", with: key, from: alice.identity)
        let newConversation = UUID()
        // Rewrite the conversation id: the signature fails; with a key for the new conversation too.
        var moved = message.serialized
        moved.replaceSubrange(2..<18, with: newConversation.wireBytes)
        let movedMessage = try SealedMessage(serialized: moved)
        let keyForNew = ConversationKey(conversationID: newConversation, epoch: 9, secret: key.secret)
        expectE2EEError(.signatureInvalid) { try movedMessage.open(with: keyForNew, from: alice.bundle) }
        // Rewrite the epoch.
        var epochMoved = message.serialized
        epochMoved.replaceSubrange(18..<26, with: [0, 0, 0, 0, 0, 0, 0, 10])
        let keyForEpoch = ConversationKey(conversationID: key.conversationID, epoch: 10, secret: key.secret)
        expectE2EEError(.signatureInvalid) { try SealedMessage(serialized: epochMoved).open(with: keyForEpoch, from: alice.bundle) }
        // Bob (a member with the key) claims Alice's message: re-signs it with his own id.
        var claimed = Array(message.serialized.dropLast(64))
        claimed.replaceSubrange(26..<42, with: bob.identity.deviceID.wireBytes)
        claimed += bob.identity.sign(.message, claimed)
        let claimedMessage = try SealedMessage(serialized: claimed)
        expectE2EEError(.authenticationFailed) { try claimedMessage.open(with: key, from: bob.bundle) }
        // And the receiver refuses a message relayed into another conversation.
        let receiver = MessageReceiver(identity: bob.identity)
        try receiver.add(key)
        expectE2EEError(.wrongConversation) { try receiver.receive(message, in: newConversation, from: alice.bundle) }
    }

    @Test("100,000 messages under one key never repeat a nonce")
    func nonceUniqueness() throws {
        var nonces = Set<[UInt8]>()
        nonces.reserveCapacity(100_000)
        let plaintext: [UInt8] = [0x42]
        for index in 0..<100_000 {
            let message = try SealedMessage.seal(plaintext, clientMessageID: "n\(index)", with: key, from: alice.identity)
            nonces.insert(Array(message.nonce))
        }
        #expect(nonces.count == 100_000)
    }
}
