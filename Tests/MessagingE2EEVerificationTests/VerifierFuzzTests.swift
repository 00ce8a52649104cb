import Foundation
import MessagingCore
import MessagingE2EE
import MessagingE2EEVerification
import Testing

/// Random and mutated bundles, envelopes and sealed messages against every entry point of
/// `SodiumEndToEndVerifier` (issue 13 A.3): each returns or throws `MessagingError` with
/// `invalidInput` (the only error it may throw), never traps (the suite runs under
/// AddressSanitizer in `make test`), and a mutation of a signed object never verifies.
/// Deterministic (seeded) and bounded to a few seconds.
@Suite("Fuzzing SodiumEndToEndVerifier")
struct VerifierFuzzTests {
    let verifier = SodiumEndToEndVerifier()
    let alice: DeviceIdentity
    let bob: DeviceIdentity
    let bundles: (alice: Data, bob: Data)
    let envelope: [UInt8]
    let message: [UInt8]

    init() throws {
        alice = try DeviceIdentity.generate(deviceID: newUUID(), userID: newUUID())
        bob = try DeviceIdentity.generate(deviceID: newUUID(), userID: newUUID())
        bundles = (Data(alice.makeBundle().serialized), Data(bob.makeBundle().serialized))
        let key = try ConversationKey.generate(conversationID: newUUID(), epoch: 2)
        envelope = try KeyEnvelope.seal(key, to: bob.makeBundle(), from: alice).serialized
        message = try SealedMessage.seal(Array("hello".utf8), clientMessageID: "fuzz-1", with: key, from: alice).serialized
    }

    /// The verifier's answer: its value, or `nil` after `invalidInput`; any other code is recorded.
    func attempt<T>(_ entry: String, _ mutation: String, _ body: () throws(MessagingError) -> T) -> T? {
        do {
            return try body()
        } catch {
            #expect(error.code == .invalidInput, "\(entry) on \(mutation) answered \(error.code): \(error.message)")
            return nil
        }
    }

    @Test("the originals verify (so the mutations below are refused for their mutation)")
    func originals() throws {
        _ = try verifier.verifyBundle(bundles.alice)
        _ = try verifier.envelopeHeader(Data(envelope))
        try verifier.verifyEnvelope(Data(envelope), senderBundle: bundles.alice, recipientBundle: bundles.bob)
        _ = try verifier.verifyMessage(Data(message), senderBundle: bundles.alice)
    }

    @Test("mutated bundles never verify, alone or as the sender or recipient of an envelope or message")
    func mutatedBundles() {
        var mutator = Mutator(seed: 0xB_0D1E5)
        fuzzRounds(400) { _ in
            let (mutation, bytes) = mutator.mutate(Array(bundles.alice))
            guard bytes != Array(bundles.alice) else { return }
            let mutated = Data(bytes)
            #expect(attempt("verifyBundle", mutation) { () throws(MessagingError) in try verifier.verifyBundle(mutated) } == nil)
            let asSender: Void? = attempt("verifyEnvelope", mutation) { () throws(MessagingError) in
                try verifier.verifyEnvelope(Data(envelope), senderBundle: mutated, recipientBundle: bundles.bob)
            }
            let asRecipient: Void? = attempt("verifyEnvelope", mutation) { () throws(MessagingError) in
                try verifier.verifyEnvelope(Data(envelope), senderBundle: bundles.bob, recipientBundle: mutated)
            }
            let messageSender = attempt("verifyMessage", mutation) { () throws(MessagingError) in
                try verifier.verifyMessage(Data(message), senderBundle: mutated)
            }
            #expect(asSender == nil && asRecipient == nil && messageSender == nil, "\(mutation) verified")
        }
    }

    @Test("mutated envelopes never verify; their header parses or is refused with invalidInput")
    func mutatedEnvelopes() {
        var mutator = Mutator(seed: 0xE0_E10E)
        fuzzRounds(500) { _ in
            let (mutation, bytes) = mutator.mutate(envelope)
            _ = attempt("envelopeHeader", mutation) { () throws(MessagingError) in try verifier.envelopeHeader(Data(bytes)) }
            let verified: Void? = attempt("verifyEnvelope", mutation) { () throws(MessagingError) in
                try verifier.verifyEnvelope(Data(bytes), senderBundle: bundles.alice, recipientBundle: bundles.bob)
            }
            if bytes != envelope { #expect(verified == nil, "a mutated envelope (\(mutation)) verified") }
        }
    }

    @Test("mutated sealed messages never verify")
    func mutatedMessages() {
        var mutator = Mutator(seed: 0x5E_A1ED)
        fuzzRounds(500) { _ in
            let (mutation, bytes) = mutator.mutate(message)
            let verified = attempt("verifyMessage", mutation) { () throws(MessagingError) in
                try verifier.verifyMessage(Data(bytes), senderBundle: bundles.alice)
            }
            if bytes != message { #expect(verified == nil, "a mutated message (\(mutation)) verified") }
        }
    }

    @Test("random bytes, of any length, as any of the three objects")
    func randomBytes() {
        var mutator = Mutator(seed: 0x7A_4D0)
        fuzzRounds(500) { _ in
            let bytes = Data(mutator.bytes(mutator.int(0...400)))
            _ = attempt("verifyBundle", "random bytes") { () throws(MessagingError) in try verifier.verifyBundle(bytes) }
            _ = attempt("envelopeHeader", "random bytes") { () throws(MessagingError) in try verifier.envelopeHeader(bytes) }
            _ = attempt("verifyEnvelope", "random bytes") { () throws(MessagingError) in
                try verifier.verifyEnvelope(bytes, senderBundle: bytes, recipientBundle: bytes)
            }
            _ = attempt("verifyMessage", "random bytes") { () throws(MessagingError) in try verifier.verifyMessage(bytes, senderBundle: bytes) }
        }
    }
}
