import Foundation
import Synchronization
import Testing
@testable import MessagingE2EE

/// The ownership rule of secret buffers (issue 13 A.3): a buffer is released exactly once,
/// zeroed, whether its initializer succeeds or throws.
///
/// Before the fix, a throwing initializer made `SecretBytes` free its buffer in its `catch` and
/// then again in `deinit` (a class whose stored properties are all set runs `deinit` when its
/// `init` throws): a double free that AddressSanitizer reports and that corrupts glibc's heap
/// without it. These tests run under AddressSanitizer in `make test`.
@Suite("Secret buffers")
struct SecretBytesTests {
    struct Refused: Error {}

    /// Records every release the hook sees: the bytes at release and the buffer's address.
    final class Releases: Sendable {
        private let seen = Mutex<[(address: UInt, bytes: [UInt8])]>([])
        var count: Int { seen.withLock { $0.count } }
        var all: [(address: UInt, bytes: [UInt8])] { seen.withLock { $0 } }
        var hook: @Sendable (UnsafeRawBufferPointer) -> Void {
            { bytes in
                let entry = (address: UInt(bitPattern: bytes.baseAddress), bytes: Array(bytes))
                self.seen.withLock { $0.append(entry) }
            }
        }
    }

    @Test("an initializer that throws after writing leaves one release of a zeroed buffer and no object", arguments: [1, 16, 32, 4096])
    func initializerThrows(count: Int) throws {
        let releases = Releases()
        #expect(throws: Refused.self) {
            _ = try SecretBytes(count: count, releaseObserver: releases.hook) { buffer in
                buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
                throw Refused()
            }
        }
        #expect(releases.count == 1, "released \(releases.count) times")
        #expect(releases.all.first?.bytes == [UInt8](repeating: 0, count: count), "the partial secret is zeroed before it is freed")
    }

    @Test("many throwing initializers in a row leave the heap usable")
    func repeatedFailures() throws {
        let releases = Releases()
        for round in 0..<500 {
            #expect(throws: Refused.self) {
                _ = try SecretBytes(count: 32 + round % 64, releaseObserver: releases.hook) { _ in throw Refused() }
            }
            // Allocations of the same sizes right after each failure: a chunk freed twice
            // would be handed out twice here.
            let a = SecretBytes(count: 32 + round % 64) { $0.initializeMemory(as: UInt8.self, repeating: 1) }
            let b = SecretBytes(count: 32 + round % 64) { $0.initializeMemory(as: UInt8.self, repeating: 2) }
            #expect(a.withUnsafeBytes { Array($0) } != b.withUnsafeBytes { Array($0) })
        }
        #expect(releases.count == 500)
    }

    @Test("an initializer that succeeds releases once, when the last reference goes")
    func initializerSucceeds() throws {
        let releases = Releases()
        do {
            let secret = SecretBytes(count: 24, releaseObserver: releases.hook) {
                $0.initializeMemory(as: UInt8.self, repeating: 0x5A)
            }
            #expect(secret.copiedBytes() == [UInt8](repeating: 0x5A, count: 24))
            #expect(releases.count == 0)
        }
        #expect(releases.count == 1)
        #expect(releases.all.first?.bytes == [UInt8](repeating: 0, count: 24))
    }

    @Test("a sealed box that does not open with the key throws authenticationFailed (its plaintext buffer is released once)")
    func sealedBoxForAnotherKey() throws {
        let recipient = try TestDevice.make().identity
        let other = try TestDevice.make().identity
        let sealed = try SealedBox.seal(
            [UInt8](repeating: 7, count: 64), to: other.agreementPublicKey.rawRepresentation, random: .system)
        for _ in 0..<50 {
            expectE2EEError(.authenticationFailed) {
                try SealedBox.open(
                    sealed, publicKey: recipient.agreementPublicKey.rawRepresentation, secretKey: recipient.agreementSecretKey)
            }
        }
    }
}
