import Foundation
import MessagingSodium
#if canImport(Glibc)
import Glibc
#endif

/// The encodings AWS Signature Version 4 prescribes.
///
/// Thread safety: stateless; safe to share across tasks.
enum SigV4Encoding {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// RFC 3986 percent-encoding over UTF-8: `A–Z a–z 0–9 - . _ ~` stay, every other byte
    /// becomes `%XX` (uppercase); `/` stays too when `keepSlash` (object keys in paths).
    static func uriEncode(_ value: String, keepSlash: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == 0x2F) {
                out.append(byte)
            } else {
                out += [0x25, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
    }

    /// `name=value` pairs (already encoded) sorted by name, then value, joined with `&`.
    static func canonicalQuery(_ pairs: [(String, String)]) -> String {
        pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// A header value as signed: leading and trailing whitespace removed, inner runs of
    /// whitespace collapsed to one space.
    static func trimmedHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func amzDate(_ date: Date) -> String {
        var seconds = time_t(floor(date.timeIntervalSince1970))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    static func sha256Hex(_ text: String) -> String { Sodium.hex(Sodium.sha256(Array(text.utf8))) }

    static func hmac(_ key: [UInt8], _ text: String) -> [UInt8] { Sodium.hmacSHA256(Array(text.utf8), key: key) }
}
