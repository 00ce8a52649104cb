import CSodium
import MessagingSodium

/// One `crypto_secretstream_xchacha20poly1305` state (push or pull), zeroed on release.
///
/// Not `Sendable`: the state advances with every chunk and is owned by one encryptor or
/// decryptor.
final class SecretStream {
    static let keyLength = Int(crypto_secretstream_xchacha20poly1305_keybytes())
    static let headerLength = Int(crypto_secretstream_xchacha20poly1305_headerbytes())
    static let overhead = Int(crypto_secretstream_xchacha20poly1305_abytes())
    static let tagMessage = crypto_secretstream_xchacha20poly1305_tag_message()
    static let tagFinal = crypto_secretstream_xchacha20poly1305_tag_final()

    private let state: UnsafeMutablePointer<crypto_secretstream_xchacha20poly1305_state>

    private init() {
        state = .allocate(capacity: 1)
        state.initialize(to: crypto_secretstream_xchacha20poly1305_state())
    }

    deinit {
        sodium_memzero(state, MemoryLayout<crypto_secretstream_xchacha20poly1305_state>.size)
        state.deallocate()
    }

    /// A push (encrypting) state and its 24-byte header.
    ///
    /// Production uses `init_push`, which draws the header itself. The deterministic branch
    /// (test vectors only) draws the header from `random` and derives the identical state with
    /// `init_pull`: both functions set the state to HChaCha20(key, header[0..<16]) with the
    /// inner nonce header[16..<24] and a reset counter.
    static func pushing(key: SecretBytes, random: RandomSource) -> (stream: SecretStream, header: [UInt8]) {
        let stream = SecretStream()
        var header = [UInt8](repeating: 0, count: headerLength)
        key.withUnsafeBytes { k in
            let keyPointer = k.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if random.isSystem {
                _ = crypto_secretstream_xchacha20poly1305_init_push(stream.state, &header, keyPointer)
            } else {
                header = random.bytes(headerLength)
                _ = crypto_secretstream_xchacha20poly1305_init_pull(stream.state, header, keyPointer)
            }
        }
        return (stream, header)
    }

    /// A pull (decrypting) state for `header`.
    static func pulling(key: SecretBytes, header: [UInt8]) throws -> SecretStream {
        guard header.count == headerLength, key.count == keyLength else {
            throw E2EEError(code: .invalidKey, message: "media stream key or header has the wrong length")
        }
        let stream = SecretStream()
        let result = key.withUnsafeBytes { k in
            crypto_secretstream_xchacha20poly1305_init_pull(stream.state, header, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard result == 0 else {
            throw E2EEError(code: .invalidKey, message: "the media stream header is invalid")
        }
        return stream
    }

    /// Encrypts one chunk and appends `chunk.count + 17` bytes to `output`.
    func push(_ chunk: UnsafeRawBufferPointer, associatedData: [UInt8], final: Bool, appendingTo output: inout [UInt8]) {
        let start = output.count
        let count = chunk.count + Self.overhead
        output.append(contentsOf: repeatElement(0, count: count))
        output.withUnsafeMutableBufferPointer { out in
            associatedData.withUnsafeBufferPointer { ad in
                _ = crypto_secretstream_xchacha20poly1305_push(
                    state, out.baseAddress! + start, nil,
                    chunk.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(chunk.count),
                    ad.baseAddress, UInt64(ad.count),
                    final ? Self.tagFinal : Self.tagMessage)
            }
        }
    }

    /// Decrypts one chunk, appending its plaintext to `output`; returns `true` for the final chunk.
    func pull(_ chunk: UnsafeRawBufferPointer, associatedData: [UInt8], appendingTo output: inout [UInt8]) throws -> Bool {
        guard chunk.count >= Self.overhead else {
            throw E2EEError(code: .streamTruncated, message: "a media chunk is shorter than its 17-byte overhead; the stream was cut")
        }
        let start = output.count
        let count = chunk.count - Self.overhead
        output.append(contentsOf: repeatElement(0, count: count))
        var tag: UInt8 = 0
        let result = output.withUnsafeMutableBufferPointer { out in
            associatedData.withUnsafeBufferPointer { ad in
                crypto_secretstream_xchacha20poly1305_pull(
                    state, out.baseAddress! + start, nil, &tag,
                    chunk.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(chunk.count),
                    ad.baseAddress, UInt64(ad.count))
            }
        }
        guard result == 0 else {
            output.removeLast(count)
            throw E2EEError(
                code: .authenticationFailed,
                message: "a media chunk failed authentication: the stream was modified, reordered, duplicated or belongs to another reference")
        }
        if tag == Self.tagFinal { return true }
        guard tag == Self.tagMessage else {
            output.removeLast(count)
            throw E2EEError.invalidFormat("a media chunk carries tag \(tag); version 1 streams use only MESSAGE and FINAL")
        }
        return false
    }
}
