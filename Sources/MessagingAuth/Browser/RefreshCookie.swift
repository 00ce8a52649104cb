/// Builds the `Set-Cookie` header values that carry a refresh token to a browser, and
/// reads the token back from a `Cookie` header.
///
/// The cookie is `HttpOnly` (no script can read it), `Secure` (HTTPS only),
/// `SameSite=Strict` (never sent on cross-site requests, which also stops CSRF against
/// the refresh endpoint) and `Path`-scoped to the refresh endpoint, so it travels with no
/// other request. It has no `Domain` attribute (host-only). Its default name carries the
/// `__Secure-` prefix, which browsers accept only with `Secure`.
///
/// Put the logout endpoint under the same path (for example `/auth/refresh/logout`) so
/// the browser sends the cookie there too.
///
/// Thread safety: a value type; safe to share across tasks.
public struct RefreshCookie: Hashable, Sendable {
    /// The cookie name.
    public let name: String
    /// The path the cookie is scoped to.
    public let path: String

    /// Makes a cookie description; throws `misconfigured` for a name that is not an RFC 6265
    /// token or a path that is not absolute or contains `;`, spaces or control characters.
    public init(name: String = "__Secure-refresh-token", path: String = "/auth/refresh") throws(AuthError) {
        let separators = Set("()<>@,;:\\\"/[]?={} \t".utf8)
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !separators.contains($0) }) else {
            throw .misconfigured("A cookie name must be a non-empty RFC 6265 token (no spaces, separators or control characters).")
        }
        guard path.hasPrefix("/"), path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") }) else {
            throw .misconfigured("A cookie path must start with '/' and contain no spaces, ';' or control characters.")
        }
        self.name = name
        self.path = path
    }

    /// The `Set-Cookie` value that stores `token` for `maxAge` (rounded down to whole seconds).
    public func setCookie(for token: RefreshToken, maxAge: Duration) -> String {
        "\(name)=\(token.encoded); \(attributes(maxAgeSeconds: max(0, maxAge.components.seconds)))"
    }

    /// The `Set-Cookie` value that deletes the cookie (after logout).
    public func clearingCookie() -> String {
        "\(name)=; \(attributes(maxAgeSeconds: 0))"
    }

    /// The attributes every value carries, in a fixed order.
    func attributes(maxAgeSeconds: Int64) -> String {
        "Path=\(path); Max-Age=\(maxAgeSeconds); HttpOnly; Secure; SameSite=Strict"
    }

    /// The refresh token in a `Cookie` request header, if this cookie is present and well formed.
    public func refreshToken(fromCookieHeader header: String) -> RefreshToken? {
        for pair in header.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " || $0 == "\t" }
            guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
            var value = trimmed[trimmed.index(after: equals)...]
            while value.last == " " || value.last == "\t" { value = value.dropLast() }
            return RefreshToken(encoded: String(value))
        }
        return nil
    }
}
