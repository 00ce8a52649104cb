import Foundation

/// The web client's static files (`Web/` among ChatServerApp's resources: HTML, CSS and ES
/// modules, no build step), read once and served from memory by ``ChatAPI/webClientRoutes()``.
///
/// Thread safety: immutable; safe to share across tasks.
struct WebClientFiles: Sendable {
    /// One file: its bytes, its `Content-Type` and its entity tag.
    struct File: Sendable {
        let bytes: [UInt8]
        let contentType: String
        /// A strong entity tag: the FNV-1a 64-bit hash of the bytes, quoted.
        let entityTag: String
    }

    /// The file name → file, for names made of `a–z 0–9 - _ .` only (others are not served).
    let files: [String: File]

    /// The files of the `Web` resource directory; empty when it is missing (a broken
    /// installation: `/` then answers 404).
    static let bundled = WebClientFiles(directory: Bundle.module.url(forResource: "Web", withExtension: nil))

    /// The content types by file extension; a file with another extension is not served.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml",
        "png": "image/png",
        "ico": "image/x-icon",
    ]

    init(directory: URL?) {
        var files: [String: File] = [:]
        let names = directory.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0.path) } ?? []
        for name in names where Self.isServable(name) {
            guard let directory, let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path),
                let type = Self.contentTypes[String(name.split(separator: ".").last ?? "")]
            else { continue }
            let bytes = [UInt8](data)
            files[name] = File(bytes: bytes, contentType: type, entityTag: "\"\(Self.fnv1a(bytes))\"")
        }
        self.files = files
    }

    /// Whether `name` may name a file: `a–z 0–9 - _ .`, not starting with a dot, at most 100
    /// characters, with a known extension (so no path, no hidden file, no traversal).
    static func isServable(_ name: String) -> Bool {
        guard (1...100).contains(name.utf8.count), !name.hasPrefix("."),
            name.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E })
        else { return false }
        return contentTypes[String(name.split(separator: ".").last ?? "")] != nil
    }

    /// FNV-1a, 64 bits, as 16 hex digits: a cheap, stable fingerprint for entity tags.
    static func fnv1a(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
