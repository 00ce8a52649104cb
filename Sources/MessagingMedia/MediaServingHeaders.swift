/// Checks of media types.
///
/// Thread safety: stateless; safe to share across tasks.
public enum MediaContentType {
    /// Whether `value` is `type/subtype` (optionally with `; parameters`) in printable ASCII
    /// without quotes or backslashes, at most 255 bytes.
    public static func isValid(_ value: String) -> Bool {
        guard !value.isEmpty, value.utf8.count <= 255 else { return false }
        guard value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C || $0 == 0x20 }) else { return false }
        let essence = essence(of: value)
        let parts = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let token: (Substring) -> Bool = { part in
            !part.isEmpty && part.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || "!#$&-^_.+".utf8.contains(byte)
            }
        }
        return token(parts[0]) && token(parts[1])
    }

    /// The lowercased `type/subtype` without parameters or surrounding spaces.
    public static func essence(of value: String) -> String {
        let head = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return head.trimmingSpaces().lowercased()
    }
}

/// The response headers a host sends with downloaded media, so a browser never renders an
/// uploaded file as a page of the host's origin.
///
/// - `Content-Disposition: attachment` unless the type is in the inline list (by default
///   PNG, JPEG, GIF and WebP images; never SVG, whose scripts would run), with the file name
///   sanitized (``sanitizedFileName(_:)``) and also given in RFC 5987 form for non-ASCII names;
/// - `X-Content-Type-Options: nosniff` always;
/// - `Content-Type` the declared type, never a sniffed one.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MediaServingHeaders: Hashable, Sendable {
    /// The image types served inline by default.
    public static let defaultInlineTypes: Set<String> = ["image/png", "image/jpeg", "image/gif", "image/webp"]

    /// The types (lowercased `type/subtype`) served `inline`.
    public var inlineTypes: Set<String>

    /// Makes the helper. `inlineTypes` are compared without parameters and case; `image/svg+xml`
    /// and any non-image type are dropped, whatever is passed.
    public init(inlineTypes: Set<String> = MediaServingHeaders.defaultInlineTypes) {
        self.inlineTypes = Set(inlineTypes.map { MediaContentType.essence(of: $0) }.filter { $0.hasPrefix("image/") && $0 != "image/svg+xml" })
    }

    /// `inline` or `attachment`, with the sanitized name.
    public func contentDisposition(contentType: String, fileName: String?) -> String {
        let kind = inlineTypes.contains(MediaContentType.essence(of: contentType)) ? "inline" : "attachment"
        guard let fileName else { return kind }
        let safe = Self.sanitizedFileName(fileName)
        let ascii = String(String.UnicodeScalarView(safe.unicodeScalars.map { $0.isASCII ? $0 : "_" }))
        var value = "\(kind); filename=\"\(ascii)\""
        if ascii != safe {
            value += "; filename*=UTF-8''" + Self.percentEncoded(safe)
        }
        return value
    }

    /// All the headers for a response carrying an object of `contentType`.
    public func headers(contentType: String, fileName: String?) -> [String: String] {
        [
            "Content-Type": contentType,
            "Content-Disposition": contentDisposition(contentType: contentType, fileName: fileName),
            "X-Content-Type-Options": "nosniff",
        ]
    }

    /// A file name safe to put in a header and to save: the last path component only, no
    /// control characters, quotes, backslashes, `/`, `:`, `*`, `?`, `<`, `>`, `|` or `%`
    /// (each becomes `_`), no leading dots or spaces, at most 200 UTF-8 bytes (cut at a
    /// character boundary, keeping the extension when it is short); `file` when nothing is left.
    public static func sanitizedFileName(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var scalars = String.UnicodeScalarView()
        for scalar in last.unicodeScalars {
            let forbidden = scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                || "\"\\/:*?<>|%;".unicodeScalars.contains(scalar)
                || scalar.properties.generalCategory == .format  // bidi overrides and the like
                || scalar.properties.generalCategory == .lineSeparator
                || scalar.properties.generalCategory == .paragraphSeparator
            scalars.append(forbidden ? "_" : scalar)
        }
        var result = String(scalars).trimmingSpaces()
        while result.hasPrefix(".") { result.removeFirst() }
        result = result.trimmingSpaces()
        if result.utf8.count > 200 {
            let dot = result.lastIndex(of: ".")
            let ext = dot.map { String(result[$0...]) } ?? ""
            let keepExtension = !ext.isEmpty && ext.utf8.count <= 16
            let budget = 200 - (keepExtension ? ext.utf8.count : 0)
            var stem = ""
            for character in (keepExtension ? String(result[..<dot!]) : result) {
                if stem.utf8.count + String(character).utf8.count > budget { break }
                stem.append(character)
            }
            result = stem + (keepExtension ? ext : "")
        }
        return result.isEmpty ? "file" : result
    }

    /// Whether a header value has only tab, printable ASCII and non-ASCII characters other
    /// than controls (no CR, LF or NUL).
    public static func isSafeHeaderValue(_ value: String) -> Bool {
        value.unicodeScalars.allSatisfy { $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value)) }
    }

    static func percentEncoded(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for byte in value.utf8 {
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if unreserved { out.append(byte) } else { out += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var scalars = String(self).unicodeScalars[...]
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
