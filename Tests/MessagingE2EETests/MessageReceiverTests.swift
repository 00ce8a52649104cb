import Foundation
import Testing
@testable import MessagingE2EE

@Suite("Message receiver: keys and replay detection")
struct MessageReceiverTests {
    @Test("a message is fresh once, then reported as replayed")
    func replay() throws {
        let alice = try TestDevice.make(), bob = try TestDevice.make()
        let conversation = UUID()
        let rotation = try EpochRotation.start(conversationID: conversation, epoch: 1, sender: alice.identity, devices: [alice.bundle, bob.bundle])
        let receiver = MessageReceiver(identity: bob.identity)
        try receiver.accept(try #require(rotation.envelope(for: bob.identity.deviceID)), from: alice.bundle, conversationID: conversation)
        let message = try SealedMessage.seal(Array("hi".utf8), clientMessageID: "c1", with: rotation.key, from: alice.identity)
        let first = try receiver.receive(message, in: conversation, from: alice.bundle)
        #expect(!first.isReplay)
        #expect(first.plaintext == Array("hi".utf8))
        let second = try receiver.receive(message, in: conversation, from: alice.bundle)
        #expect(second.isReplay)
        guard case .replayed(let opened) = second else { Issue.record("expected .replayed"); return }
        #expect(opened.plaintext == Array("hi".utf8))
        // A re-sealed copy with the same client id (a retried send) is also a replay.
        let retried = try SealedMessage.seal(Array("hi".utf8), clientMessageID: "c1", with: rotation.key, from: alice.identity)
        #expect(retried != message)
        #expect(try receiver.receive(retried, in: conversation, from: alice.bundle).isReplay)
        // Another client id is fresh.
        let other = try SealedMessage.seal(Array("yo".utf8), clientMessageID: "c2", with: rotation.key, from: alice.identity)
        #expect(try !receiver.receive(other, in: conversation, from: alice.bundle).isReplay)
    }

    @Test("forged messages do not enter the replay window")
    func forgeriesDoNotPoison() throws {
        let alice = try TestDevice.make(), bob = try TestDevice.make()
        let key = try ConversationKey.generate(conversationID: UUID(), epoch: 1)
        let receiver = MessageReceiver(identity: bob.identity)
        try receiver.add(key)
        let message = try SealedMessage.seal([1], clientMessageID: "x", with: key, from: alice.identity)
        let tampered = try SealedMessage(serialized: message.serialized.flippingBit(0, at: message.serialized.count - 1))
        expectE2EEError(.signatureInvalid) { try receiver.receive(tampered, in: key.conversationID, from: alice.bundle) }
        #expect(try !receiver.receive(message, in: key.conversationID, from: alice.bundle).isReplay)
    }

    @Test("unknown epochs are keyNotFound; conflicting keys for one epoch are refused")
    func keyRing() throws {
        let alice = try TestDevice.make(), bob = try TestDevice.make()
        let key = try ConversationKey.generate(conversationID: UUID(), epoch: 5)
        let receiver = MessageReceiver(identity: bob.identity)
        let message = try SealedMessage.seal([1], clientMessageID: "x", with: key, from: alice.identity)
        expectE2EEError(.keyNotFound) { try receiver.receive(message, in: key.conversationID, from: alice.bundle) }
        try receiver.add(key)
        try receiver.add(key)  // same key again: fine
        let conflicting = try ConversationKey.generate(conversationID: key.conversationID, epoch: 5)
        expectE2EEError(.keyConflict) { try receiver.add(conflicting) }
        receiver.removeKeys(for: key.conversationID, before: 6)
        #expect(receiver.key(for: key.conversationID, epoch: 5) == nil)
    }

    @Test("the replay window is bounded and evicts the oldest entry first")
    func windowBound() {
        var window = ReplayWindow(capacity: 3)
        let conversation = UUID(), sender = UUID()
        func entry(_ id: String) -> ReplayWindow.Entry { .init(conversationID: conversation, senderDeviceID: sender, clientMessageID: id) }
        func record(_ e: ReplayWindow.Entry) -> Bool { window.record(e) }
        #expect(record(entry("a")))
        #expect(record(entry("b")))
        #expect(record(entry("c")))
        #expect(!record(entry("a")))
        #expect(record(entry("d")))  // evicts "a"
        #expect(window.count == 3)
        #expect(!window.contains(entry("a")))
        #expect(record(entry("a")))  // forgotten: fresh again (documented)
        #expect(!record(entry("c")))
        // Same client id from another sender or conversation is a different triple.
        #expect(record(.init(conversationID: conversation, senderDeviceID: UUID(), clientMessageID: "c")))
        #expect(record(.init(conversationID: UUID(), senderDeviceID: sender, clientMessageID: "c")))
    }

    @Test("concurrent receives of the same message yield exactly one fresh result")
    func concurrentReceive() async throws {
        let alice = try TestDevice.make(), bob = try TestDevice.make()
        let key = try ConversationKey.generate(conversationID: UUID(), epoch: 1)
        let receiver = MessageReceiver(identity: bob.identity)
        try receiver.add(key)
        let message = try SealedMessage.seal([7], clientMessageID: "race", with: key, from: alice.identity)
        let bundle = alice.bundle
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask { try receiver.receive(message, in: key.conversationID, from: bundle).isReplay }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { !$0 }.count == 1)
        #expect(results.count == 16)
    }
}
