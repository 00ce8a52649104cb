import MessagingSodium

extension Sodium {
    /// Makes sure libsodium is initialized; throws ``E2EEError/Code/cryptoUnavailable`` otherwise.
    @inline(__always)
    static func ensureInitialized() throws {
        guard isInitialized else {
            throw E2EEError(
                code: .cryptoUnavailable,
                message: "sodium_init() failed: libsodium cannot be used in this process (no entropy source?)")
        }
    }
}

extension Base64URL {
    /// Decodes canonical base64url, or throws ``E2EEError/Code/invalidFormat``.
    static func decodeOrThrow(_ text: String) throws -> [UInt8] {
        try Sodium.ensureInitialized()
        guard let bytes = decode(text) else {
            throw E2EEError.invalidFormat("the text is not canonical base64url without padding (alphabet A-Z a-z 0-9 - _)")
        }
        return bytes
    }
}
