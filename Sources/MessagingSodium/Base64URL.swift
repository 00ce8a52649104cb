import CSodium

/// Strict base64url without padding (RFC 4648 §5) through libsodium's constant-time codec:
/// JWS compact serialization, refresh tokens, end-to-end encryption objects.
///
/// Decoding rejects padding, whitespace, characters outside the URL-safe alphabet and
/// encodings whose unused trailing bits are not zero, so every byte string has exactly one
/// accepted text form.
///
/// Thread safety: stateless; safe to call from any thread.
package enum Base64URL {
    private static let variant = Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING)

    /// Encodes without padding.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        Sodium.requireInitialized()
        let input = Array(bytes)
        if input.isEmpty { return "" }
        let capacity = sodium_base64_encoded_len(input.count, variant)
        var output = [CChar](repeating: 0, count: capacity)
        input.withUnsafeBufferPointer { input in
            _ = sodium_bin2base64(&output, capacity, input.baseAddress, input.count, variant)
        }
        let length = output.firstIndex(of: 0) ?? output.count
        return String(decoding: output[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Decodes canonical unpadded base64url; `nil` for anything else.
    package static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        Sodium.requireInitialized()
        let input = Array(text)
        if input.isEmpty { return [] }
        var output = [UInt8](repeating: 0, count: input.count * 3 / 4 + 1)
        var written = 0
        var end: UnsafePointer<CChar>?
        let accepted = input.withUnsafeBufferPointer { inBuffer in
            inBuffer.withMemoryRebound(to: CChar.self) { chars in
                output.withUnsafeMutableBufferPointer { out in
                    let status = sodium_base642bin(
                        out.baseAddress!, out.count, chars.baseAddress!, chars.count, nil, &written, &end, variant)
                    let consumed = end.map { $0 - chars.baseAddress! } ?? -1
                    return status == 0 && consumed == chars.count
                }
            }
        }
        guard accepted else { return nil }
        output.removeLast(output.count - written)
        return output
    }

    /// Decodes canonical unpadded base64url text; `nil` for anything else.
    package static func decode(_ text: String) -> [UInt8]? { decode(text.utf8) }
}
