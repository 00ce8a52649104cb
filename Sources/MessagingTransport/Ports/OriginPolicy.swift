import Foundation

/// Which browser origins may open a realtime connection.
///
/// Browsers send an `Origin` header with every WebSocket upgrade and every
/// cross-origin `fetch`/`EventSource` request, naming the page's
/// `http`/`https` origin (or `null`); a page on another site could otherwise open a
/// connection with a token it obtained. Native clients send no `Origin`, or one with a
/// `ws`/`wss` scheme (WebSocket libraries such as `WSClient` do), which no browser sends:
/// those are always admitted — origin checks protect browsers, not the server;
/// authentication still happens in the gateway. When a request carries several `Origin`
/// headers, every one must be admitted.
///
/// Thread safety: a value type; safe to share across tasks.
public struct OriginPolicy: Sendable, Hashable, CustomStringConvertible {
    private enum Wrapped: Hashable {
        case any
        case only(Set<String>)
    }

    private let wrapped: Wrapped

    /// Every origin is admitted (development only: any web page can connect).
    public static let any = OriginPolicy(wrapped: .any)

    /// Only these origins are admitted, compared exactly after lowercasing the scheme and
    /// host (`"https://chat.example.com"`, `"http://127.0.0.1:8080"`); an empty set admits
    /// no browser at all.
    public static func only(_ origins: Set<String>) -> OriginPolicy {
        OriginPolicy(wrapped: .only(Set(origins.map(Self.normalized))))
    }

    /// Whether a request carrying `origin` (the header's value, `nil` when absent) is admitted.
    public func admits(_ origin: String?) -> Bool {
        guard let origin else { return true }
        let value = Self.normalized(origin)
        if value.hasPrefix("ws://") || value.hasPrefix("wss://") { return true }
        switch wrapped {
        case .any: return true
        case .only(let allowed): return allowed.contains(Self.normalized(origin))
        }
    }

    static func normalized(_ origin: String) -> String {
        var value = origin.trimmingCharacters(in: .whitespaces)
        while value.hasSuffix("/") { value.removeLast() }
        return value.lowercased()
    }

    public var description: String {
        switch wrapped {
        case .any: "any origin"
        case .only(let allowed): allowed.isEmpty ? "no browser origin" : allowed.sorted().joined(separator: ", ")
        }
    }
}
