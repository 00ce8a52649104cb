/// A device's X25519 public key, to which key envelopes are sealed.
///
/// Thread safety: an immutable value; `Sendable`, safe to share between tasks.
public struct AgreementPublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The 32 raw bytes of the key.
    public let rawRepresentation: [UInt8]

    /// Creates a key from its 32 raw bytes; throws ``E2EEError/Code/invalidKey`` for another length.
    ///
    /// Thread safety: pure; safe from any thread.
    public init(rawRepresentation bytes: some Collection<UInt8>) throws {
        guard bytes.count == X25519.keyLength else {
            throw E2EEError(code: .invalidKey, message: "X25519 public keys are 32 bytes, got \(bytes.count)")
        }
        rawRepresentation = Array(bytes)
    }

    /// The key in lowercase hex (public information).
    public var description: String { rawRepresentation.hexString }
}
