/// A device's Ed25519 public key, which verifies everything the device signs.
///
/// Thread safety: an immutable value; `Sendable`, safe to share between tasks.
public struct SigningPublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The 32 raw bytes of the key.
    public let rawRepresentation: [UInt8]

    /// Creates a key from its 32 raw bytes; throws ``E2EEError/Code/invalidKey`` for another length.
    ///
    /// Thread safety: pure; safe from any thread.
    public init(rawRepresentation bytes: some Collection<UInt8>) throws {
        guard bytes.count == Ed25519.publicKeyLength else {
            throw E2EEError(code: .invalidKey, message: "Ed25519 public keys are 32 bytes, got \(bytes.count)")
        }
        rawRepresentation = Array(bytes)
    }

    /// Verifies `signature` over `labelled message` (internal: callers pass labelled bytes).
    func isValidSignature(_ signature: some Collection<UInt8>, for message: [UInt8]) -> Bool {
        Ed25519.verify(signature: signature, message: message, publicKey: rawRepresentation)
    }

    /// The key in lowercase hex (public information).
    public var description: String { rawRepresentation.hexString }
}

extension Array where Element == UInt8 {
    /// Lowercase hexadecimal, for public values only.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
