// E2EE benchmarks for package-benchmark (ordo-one/benchmark 1.38.1).
//
// Each size is measured four ways in the same run:
//   1. "raw AEAD"      crypto_aead_xchacha20poly1305_ietf_encrypt/decrypt called directly,
//                      with the work any caller must do (random nonce, output allocation);
//   2. "AEAD layer"    MessagingE2EE's internal AEAD wrapper (via E2EEBenchmarkSupport);
//   3. "raw signed"    the same libsodium calls the message format needs (AEAD + Ed25519
//                      detached sign / verify over label ‖ header ‖ nonce ‖ ciphertext);
//   4. "message"       SealedMessage.seal / SealedMessage.open (header, AEAD, signature, parsing).
// Compare 2 against 1 (target: within 1.1×) and 4 against 3.

import Benchmark
import CSodium
import Foundation
@_spi(Benchmarks) import MessagingE2EE

private struct Fixture: @unchecked Sendable {  // immutable after creation; read-only in benchmarks
    let plaintext: [UInt8]
    let associatedData: [UInt8]
    let key: ConversationKey
    let keyBytes: [UInt8]
    let sender: DeviceIdentity
    let senderBundle: DeviceBundle
    let signingSecretKey: [UInt8]
    let signingPublicKey: [UInt8]
    let sealedAEAD: [UInt8]
    let rawSealedAEAD: [UInt8]
    let message: SealedMessage
    let rawSigned: [UInt8]

    init(size: Int) {
        _ = sodium_init()
        plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
        // Same shape as a message header: version, kind, conversation, epoch, sender, client id.
        associatedData = Array("messaging-e2ee/v1/message".utf8) + [0] + [UInt8](repeating: 0x42, count: 51)
        key = try! ConversationKey.generate(conversationID: UUID(), epoch: 1)
        // The raw baselines use their own random key: key contents do not affect timing, and the
        // module deliberately offers no way to extract a conversation key.
        var rawKey = [UInt8](repeating: 0, count: 32)
        randombytes_buf(&rawKey, 32)
        keyBytes = rawKey
        sender = try! DeviceIdentity.generate(deviceID: UUID(), userID: UUID())
        senderBundle = sender.makeBundle()
        var pk = [UInt8](repeating: 0, count: 32), sk = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_keypair(&pk, &sk)
        signingPublicKey = pk
        signingSecretKey = sk
        sealedAEAD = E2EEBenchmarkSupport.aeadSeal(plaintext, associatedData: associatedData, key: key)
        rawSealedAEAD = rawSeal(plaintext, associatedData: associatedData, key: keyBytes)
        message = try! SealedMessage.seal(plaintext, clientMessageID: "bench-0001", with: key, from: sender)
        rawSigned = rawSignedSeal(plaintext, associatedData: associatedData, key: keyBytes, secretKey: sk)
    }
}

/// nonce ‖ ciphertext ‖ tag, with libsodium only.
@inline(never)
private func rawSeal(_ plaintext: [UInt8], associatedData: [UInt8], key: [UInt8]) -> [UInt8] {
    let count = 24 + plaintext.count + 16
    return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
        randombytes_buf(out.baseAddress!, 24)
        var written: UInt64 = 0
        plaintext.withUnsafeBufferPointer { p in
            associatedData.withUnsafeBufferPointer { ad in
                key.withUnsafeBufferPointer { k in
                    _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                        out.baseAddress! + 24, &written, p.baseAddress!, UInt64(p.count),
                        ad.baseAddress!, UInt64(ad.count), nil, out.baseAddress!, k.baseAddress!)
                }
            }
        }
        initialized = count
    }
}

@inline(never)
private func rawOpen(_ sealed: [UInt8], associatedData: [UInt8], key: [UInt8]) -> [UInt8] {
    let count = sealed.count - 24 - 16
    return [UInt8](unsafeUninitializedCapacity: max(count, 1)) { out, initialized in
        var written: UInt64 = 0
        sealed.withUnsafeBufferPointer { s in
            associatedData.withUnsafeBufferPointer { ad in
                key.withUnsafeBufferPointer { k in
                    let result = crypto_aead_xchacha20poly1305_ietf_decrypt(
                        out.baseAddress!, &written, nil, s.baseAddress! + 24, UInt64(s.count - 24),
                        ad.baseAddress!, UInt64(ad.count), s.baseAddress!, k.baseAddress!)
                    precondition(result == 0)
                }
            }
        }
        initialized = count
    }
}

/// AD ‖ nonce ‖ ciphertext ‖ signature: AEAD then Ed25519 over AD ‖ nonce ‖ ciphertext.
@inline(never)
private func rawSignedSeal(_ plaintext: [UInt8], associatedData: [UInt8], key: [UInt8], secretKey: [UInt8]) -> [UInt8] {
    let bodyCount = associatedData.count + 24 + plaintext.count + 16
    var body = [UInt8](unsafeUninitializedCapacity: bodyCount + 64) { out, initialized in
        associatedData.withUnsafeBufferPointer { ad in
            out.baseAddress!.update(from: ad.baseAddress!, count: ad.count)
            let nonce = out.baseAddress! + ad.count
            randombytes_buf(nonce, 24)
            var written: UInt64 = 0
            plaintext.withUnsafeBufferPointer { p in
                key.withUnsafeBufferPointer { k in
                    _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                        nonce + 24, &written, p.baseAddress!, UInt64(p.count),
                        ad.baseAddress!, UInt64(ad.count), nil, nonce, k.baseAddress!)
                }
            }
        }
        initialized = bodyCount
    }
    var signature = [UInt8](repeating: 0, count: 64)
    _ = crypto_sign_detached(&signature, nil, body, UInt64(body.count), secretKey)
    body.append(contentsOf: signature)
    return body
}

@inline(never)
private func rawSignedOpen(_ signed: [UInt8], associatedData: [UInt8], key: [UInt8], publicKey: [UInt8]) -> [UInt8] {
    let bodyCount = signed.count - 64
    let verified = signed.withUnsafeBufferPointer { s in
        crypto_sign_verify_detached(s.baseAddress! + bodyCount, s.baseAddress!, UInt64(bodyCount), publicKey)
    }
    precondition(verified == 0)
    let adCount = associatedData.count
    let count = bodyCount - adCount - 24 - 16
    return [UInt8](unsafeUninitializedCapacity: max(count, 1)) { out, initialized in
        var written: UInt64 = 0
        signed.withUnsafeBufferPointer { s in
            key.withUnsafeBufferPointer { k in
                let nonce = s.baseAddress! + adCount
                let result = crypto_aead_xchacha20poly1305_ietf_decrypt(
                    out.baseAddress!, &written, nil, nonce + 24, UInt64(bodyCount - adCount - 24),
                    s.baseAddress!, UInt64(adCount), nonce, k.baseAddress!)
                precondition(result == 0)
            }
        }
        initialized = count
    }
}

let benchmarks: @Sendable () -> Void = {
    let sizes: [(name: String, bytes: Int, scaling: BenchmarkScalingFactor)] = [
        ("200 B", 200, .kilo), ("16 KiB", 16 * 1024, .one), ("1 MiB", 1024 * 1024, .one),
    ]
    for size in sizes {
        let fixture = Fixture(size: size.bytes)
        let configuration = Benchmark.Configuration(
            metrics: [.wallClock, .mallocCountTotal, .throughput],
            timeUnits: .nanoseconds,
            warmupIterations: 10,
            scalingFactor: size.scaling,
            maxDuration: .seconds(2),
            maxIterations: 100_000)

        Benchmark("seal \(size.name) raw AEAD", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(rawSeal(fixture.plaintext, associatedData: fixture.associatedData, key: fixture.keyBytes))
            }
        }
        Benchmark("seal \(size.name) AEAD layer", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(E2EEBenchmarkSupport.aeadSeal(fixture.plaintext, associatedData: fixture.associatedData, key: fixture.key))
            }
        }
        Benchmark("open \(size.name) raw AEAD", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(rawOpen(fixture.rawSealedAEAD, associatedData: fixture.associatedData, key: fixture.keyBytes))
            }
        }
        Benchmark("open \(size.name) AEAD layer", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try E2EEBenchmarkSupport.aeadOpen(fixture.sealedAEAD, associatedData: fixture.associatedData, key: fixture.key))
            }
        }
        Benchmark("seal \(size.name) raw signed", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(rawSignedSeal(
                    fixture.plaintext, associatedData: fixture.associatedData, key: fixture.keyBytes, secretKey: fixture.signingSecretKey))
            }
        }
        Benchmark("seal \(size.name) message", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try SealedMessage.seal(fixture.plaintext, clientMessageID: "bench-0001", with: fixture.key, from: fixture.sender))
            }
        }
        Benchmark("open \(size.name) raw signed", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(rawSignedOpen(
                    fixture.rawSigned, associatedData: fixture.associatedData, key: fixture.keyBytes, publicKey: fixture.signingPublicKey))
            }
        }
        Benchmark("open \(size.name) message", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try fixture.message.open(with: fixture.key, from: fixture.senderBundle))
            }
        }
    }
}
