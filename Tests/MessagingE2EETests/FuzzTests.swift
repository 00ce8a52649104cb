import Foundation
import Testing
@_spi(Benchmarks) @testable import MessagingE2EE
import MessagingSodium

/// Random and mutated inputs to every parse / open / verify / decrypt entry point of the
/// module (issue 13 A.3). Each entry point must return a value or throw an ``E2EEError``,
/// never trap or corrupt memory (the suite runs under AddressSanitizer in `make test`), and a
/// mutation of an authenticated object must never open or verify.
///
/// Entry points (`grep -rn "public .*\(init\|func\)" Sources/MessagingE2EE`): `DeviceBundle`,
/// `KeyEnvelope`, `SealedMessage`, `MediaReference`, `PasswordProtectedKeys` `init(serialized:)`
/// (bytes, `Data`) and `init(textEncoded:)`; `AgreementPublicKey` / `SigningPublicKey`
/// `init(rawRepresentation:)`; `KeyEnvelope.verify(from:to:)` /
/// `open(as:from:conversationID:epoch:)`; `MessageReceiver.accept(_:from:conversationID:epoch:)`
/// / `receive(_:in:from:)`; `SealedMessage.verifySignature(from:)` / `open(with:from:)`;
/// `DeviceIdentity(importingSecretKeys:)` / `(importingSecretKeysText:)` / `(importing:password:)`;
/// `MediaDecryptor(reference:)` / `decrypt(_:)` / `finish()`; `E2EEBenchmarkSupport.aeadOpen`.
///
/// Deterministic: every test draws from a seeded generator; each is bounded to a few seconds
/// (fewer rounds on a slow, sanitized build).
@Suite("Fuzzing the E2EE entry points")
struct FuzzTests {
    let alice: DeviceIdentity
    let bob: DeviceIdentity
    let key: ConversationKey

    init() throws {
        let random = RandomSource.deterministic(seed: Array("fuzz devices".utf8))
        alice = try DeviceIdentity.generate(deviceID: UUID(), userID: UUID(), createdAtMilliseconds: 1_750_000_000_000, random: random)
        bob = try DeviceIdentity.generate(deviceID: UUID(), userID: UUID(), createdAtMilliseconds: 1_750_000_000_000, random: random)
        key = try ConversationKey.generate(conversationID: UUID(), epoch: 4, random: random)
    }

    @Test("device bundles: mutations never decode (they are self-signed)")
    func bundles() throws {
        let original = alice.makeBundle().serialized
        var mutator = Mutator(seed: 0xB0_0D1E)
        fuzzRounds(600) { _ in
            let (mutation, bytes) = mutator.mutate(original)
            let decoded = attempt("DeviceBundle(serialized:)", mutation) { try DeviceBundle(serialized: bytes) }
            _ = attempt("DeviceBundle(serialized: Data)", mutation) { try DeviceBundle(serialized: Data(bytes)) }
            _ = attempt("DeviceBundle(textEncoded:)", mutation) { try DeviceBundle(textEncoded: Base64URL.encode(bytes)) }
            _ = attempt("AgreementPublicKey(rawRepresentation:)", mutation) { try AgreementPublicKey(rawRepresentation: bytes.prefix(32)) }
            _ = attempt("SigningPublicKey(rawRepresentation:)", mutation) { try SigningPublicKey(rawRepresentation: bytes.suffix(32)) }
            if bytes != original {
                #expect(decoded == nil, "a mutated bundle (\(mutation)) decoded")
            }
        }
    }

    @Test("key envelopes: mutations never verify or open; the original still opens afterwards")
    func envelopes() throws {
        let envelope = try KeyEnvelope.seal(key, to: bob.makeBundle(), from: alice, random: .deterministic(seed: [1]))
        let original = envelope.serialized
        let receiver = MessageReceiver(identity: bob)
        var mutator = Mutator(seed: 0xE0_E10E)
        fuzzRounds(500) { _ in
            let (mutation, bytes) = mutator.mutate(original)
            guard let parsed = attempt("KeyEnvelope(serialized:)", mutation, { try KeyEnvelope(serialized: bytes) }) else { return }
            let verified = attempt("KeyEnvelope.verify", mutation) { try parsed.verify(from: alice.makeBundle(), to: bob.makeBundle()) }
            let opened = attempt("KeyEnvelope.open", mutation) {
                try parsed.open(as: bob, from: alice.makeBundle(), conversationID: key.conversationID)
            }
            let accepted = attempt("MessageReceiver.accept", mutation) {
                try receiver.accept(parsed, from: alice.makeBundle(), conversationID: key.conversationID)
            }
            if bytes != original {
                #expect(verified == nil, "a mutated envelope (\(mutation)) verified")
                #expect(opened == nil && accepted == nil, "a mutated envelope (\(mutation)) opened")
            }
        }
        let reopened = try envelope.open(as: bob, from: alice.makeBundle(), conversationID: key.conversationID, epoch: 4)
        #expect(reopened.hasSameKeyMaterial(as: key))
    }

    @Test("key envelopes with a valid signature over a mutated body (a malicious member's device): open throws, never crashes")
    func signedGarbageEnvelopes() throws {
        let original = try KeyEnvelope.seal(key, to: bob.makeBundle(), from: alice, random: .deterministic(seed: [2])).serialized
        var mutator = Mutator(seed: 0x51_6E0)
        fuzzRounds(300) { _ in
            // Mutate the sealed box (and sometimes the header after the recipient's fields),
            // then re-sign as Alice: the signature holds, the sealed box does not open.
            var body = Array(original[0..<KeyEnvelope.signedLength])
            let start = mutator.int(KeyEnvelope.headerLength + 2...KeyEnvelope.signedLength - 1)
            body[start] ^= UInt8(1 << mutator.int(0...7))
            if mutator.int(0...3) == 0 {
                body.replaceSubrange(KeyEnvelope.headerLength + 2..<KeyEnvelope.signedLength, with: mutator.bytes(KeyEnvelope.sealedLength))
            }
            let bytes = body + alice.sign(.keyEnvelope, body)
            guard let parsed = attempt("KeyEnvelope(serialized:)", "re-signed", { try KeyEnvelope(serialized: bytes) }) else {
                Issue.record("a re-signed envelope of the right length did not parse")
                return
            }
            #expect(attempt("KeyEnvelope.verify", "re-signed") { try parsed.verify(from: alice.makeBundle(), to: bob.makeBundle()) } != nil)
            expectE2EEError(.authenticationFailed) { try parsed.open(as: bob, from: alice.makeBundle(), conversationID: key.conversationID) }
        }
    }

    @Test("sealed messages: mutations never verify, open or get received")
    func sealedMessages() throws {
        let message = try Array("fuzz me, not my heap".utf8).withUnsafeBytes {
            try SealedMessage.seal($0, clientMessageID: "fuzz-1", with: key, from: alice, random: .deterministic(seed: [3]))
        }
        let original = message.serialized
        let receiver = MessageReceiver(identity: bob)
        try receiver.add(key)
        var mutator = Mutator(seed: 0x5E_A1ED)
        fuzzRounds(500) { _ in
            let (mutation, bytes) = mutator.mutate(original)
            guard let parsed = attempt("SealedMessage(serialized:)", mutation, { try SealedMessage(serialized: bytes) }) else { return }
            _ = attempt("SealedMessage(textEncoded:)", mutation) { try SealedMessage(textEncoded: parsed.textEncoded) }
            let signed = attempt("SealedMessage.verifySignature", mutation) { try parsed.verifySignature(from: alice.makeBundle()) }
            let opened = attempt("SealedMessage.open", mutation) { try parsed.open(with: key, from: alice.makeBundle()) }
            let received = attempt("MessageReceiver.receive", mutation) {
                try receiver.receive(parsed, in: key.conversationID, from: alice.makeBundle())
            }
            if bytes != original {
                #expect(signed == nil && opened == nil && received == nil, "a mutated message (\(mutation)) was accepted")
            }
        }
        #expect(try message.open(with: key, from: alice.makeBundle()).plaintext == Array("fuzz me, not my heap".utf8))
    }

    @Test("AEAD (benchmark entry point): mutated ciphertexts never open")
    func aead() throws {
        let original = E2EEBenchmarkSupport.aeadSeal(Array("aead".utf8), associatedData: [9, 9], key: key)
        var mutator = Mutator(seed: 0xAE_AD)
        fuzzRounds(500) { _ in
            let (mutation, bytes) = mutator.mutate(original)
            let opened = attempt("aeadOpen", mutation) { try E2EEBenchmarkSupport.aeadOpen(bytes, associatedData: [9, 9], key: key) }
            if bytes != original { #expect(opened == nil, "a mutated AEAD box (\(mutation)) opened") }
        }
    }

    @Test("secret-key exports, plain and password-protected: mutations never import")
    func exports() throws {
        let plain = alice.exportSecretKeys()
        let protected = try alice.exportSecretKeys(password: "fuzzing passphrase", limits: .minimum).serialized
        var mutator = Mutator(seed: 0xE4_BE07)
        fuzzRounds(300) { _ in
            let (mutation, bytes) = mutator.mutate(plain)
            let imported = attempt("DeviceIdentity(importingSecretKeys:)", mutation) { try DeviceIdentity(importingSecretKeys: bytes) }
            _ = attempt("DeviceIdentity(importingSecretKeysText:)", mutation) {
                try DeviceIdentity(importingSecretKeysText: Base64URL.encode(bytes))
            }
            if bytes != plain { #expect(imported == nil, "a mutated export (\(mutation)) imported") }

            let (pwMutation, pwBytes) = mutator.mutate(protected)
            guard let parsed = attempt("PasswordProtectedKeys(serialized:)", pwMutation, { try PasswordProtectedKeys(serialized: pwBytes) })
            else { return }
            // Limits are authenticated only after Argon2id ran with them: keep the fuzzer fast.
            guard parsed.limits.memoryBytes <= 1 << 20, parsed.limits.operations <= 4 else { return }
            let restored = attempt("DeviceIdentity(importing:password:)", pwMutation) {
                try DeviceIdentity(importing: parsed, password: "fuzzing passphrase")
            }
            if pwBytes != protected { #expect(restored == nil, "a mutated password export (\(pwMutation)) imported") }
        }
    }

    @Test("media streams: mutated streams never decrypt to the end; mutated references decrypt only to the original")
    func media() throws {
        var mutator = Mutator(seed: 0x3E_D1A)
        try fuzzRounds(150) { round in
            let chunkSize = [16, 24, 64][round % 3]
            let plaintext = mutator.bytes(mutator.int(0...200))
            let encryptor = try MediaEncryptor(chunkSize: chunkSize, random: .deterministic(seed: [UInt8(round & 0xFF), 4]))
            var stream = try encryptor.encrypt(plaintext)
            let (tail, reference) = try encryptor.finish(contentType: "application/octet-stream", locator: "blob-\(round)")
            stream += tail

            let (mutation, bytes) = mutator.mutate(stream)
            let decrypted = Self.decrypt(bytes, with: reference, mutation: mutation, pieces: &mutator)
            if bytes == stream {
                #expect(decrypted == plaintext, "the original stream did not decrypt")
            } else {
                #expect(decrypted == nil, "a mutated stream (\(mutation)) decrypted to the end")
            }

            let (refMutation, refBytes) = mutator.mutate(reference.serialized)
            _ = attempt("MediaReference(textEncoded:)", refMutation) { try MediaReference(textEncoded: Base64URL.encode(refBytes)) }
            guard let parsed = attempt("MediaReference(serialized:)", refMutation, { try MediaReference(serialized: refBytes) }) else { return }
            if let output = Self.decrypt(stream, with: parsed, mutation: refMutation, pieces: &mutator) {
                #expect(output == plaintext, "a mutated reference (\(refMutation)) decrypted to other bytes")
            }
        }
    }

    /// Decrypts `stream` in pieces of random sizes; the plaintext when every call (and
    /// `finish`) succeeded, else `nil`.
    static func decrypt(_ stream: [UInt8], with reference: MediaReference, mutation: String, pieces: inout Mutator) -> [UInt8]? {
        guard let decryptor = attempt("MediaDecryptor(reference:)", mutation, { try MediaDecryptor(reference: reference) }) else { return nil }
        var output: [UInt8] = []
        var rest = stream[...]
        while !rest.isEmpty {
            let piece = Array(rest.prefix(pieces.int(1...97)))
            rest = rest.dropFirst(piece.count)
            guard let plain = attempt("MediaDecryptor.decrypt", mutation, { try decryptor.decrypt(piece) }) else {
                // After a failure the decryptor refuses everything.
                expectE2EEError(.streamFinished) { try decryptor.decrypt([0]) }
                return nil
            }
            output += plain
        }
        guard attempt("MediaDecryptor.finish", mutation, { try decryptor.finish() }) != nil else { return nil }
        return output
    }

    @Test("random text never decodes into an object and never traps")
    func text() throws {
        var mutator = Mutator(seed: 0x7E_47)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ \n\u{0}é")
        fuzzRounds(500) { _ in
            let text = String((0..<mutator.int(0...420)).map { _ in alphabet[mutator.int(0...alphabet.count - 1)] })
            _ = attempt("DeviceBundle(textEncoded:)", "random text") { try DeviceBundle(textEncoded: text) }
            _ = attempt("KeyEnvelope(textEncoded:)", "random text") { try KeyEnvelope(textEncoded: text) }
            _ = attempt("SealedMessage(textEncoded:)", "random text") { try SealedMessage(textEncoded: text) }
            _ = attempt("MediaReference(textEncoded:)", "random text") { try MediaReference(textEncoded: text) }
            _ = attempt("PasswordProtectedKeys(textEncoded:)", "random text") { try PasswordProtectedKeys(textEncoded: text) }
            _ = attempt("DeviceIdentity(importingSecretKeysText:)", "random text") { try DeviceIdentity(importingSecretKeysText: text) }
        }
    }
}
