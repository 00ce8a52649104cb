import CSodium

/// Strict base64url without padding (RFC 4648 §5), through libsodium's constant-time codec.
///
/// Decoding rejects padding, whitespace, characters outside the URL-safe alphabet and
/// encodings whose unused trailing bits are not zero, so every byte string has exactly one
/// accepted text form.
enum Base64URL {
    private static let variant = Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING)

    static func encode(_ bytes: [UInt8]) -> String {
        Sodium.requireInitialized()
        if bytes.isEmpty { return "" }
        let capacity = sodium_base64_encoded_len(bytes.count, variant)
        var output = [CChar](repeating: 0, count: capacity)
        bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                _ = sodium_bin2base64(out.baseAddress!, capacity, input.baseAddress, input.count, variant)
            }
        }
        let length = output.firstIndex(of: 0) ?? output.count
        return String(decoding: output[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func decode(_ text: String) throws -> [UInt8] {
        try Sodium.ensureInitialized()
        let input = Array(text.utf8)
        if input.isEmpty { return [] }
        var output = [UInt8](repeating: 0, count: input.count * 3 / 4 + 1)
        var written = 0
        var end: UnsafePointer<CChar>?
        let result = input.withUnsafeBufferPointer { inBuffer in
            inBuffer.withMemoryRebound(to: CChar.self) { chars in
                output.withUnsafeMutableBufferPointer { out in
                    let status = sodium_base642bin(
                        out.baseAddress!, out.count, chars.baseAddress!, chars.count,
                        nil, &written, &end, variant)
                    let consumed = end.map { $0 - chars.baseAddress! } ?? -1
                    return status == 0 && consumed == chars.count
                }
            }
        }
        guard result else {
            throw E2EEError.invalidFormat("the text is not canonical base64url without padding (alphabet A-Z a-z 0-9 - _)")
        }
        output.removeLast(output.count - written)
        return output
    }
}
