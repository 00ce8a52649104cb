import Foundation
@testable import MessagingAuth
import MessagingCore
import Testing
import MessagingSodium

@Suite("Refresh cookie and role policy")
struct CookieAndPolicyTests {
    @Test("the Set-Cookie value is HttpOnly, Secure, SameSite=Strict and scoped to the refresh path")
    func setCookie() throws {
        let cookie = try RefreshCookie()
        let token = RefreshToken.generate()
        let value = cookie.setCookie(for: token, maxAge: .seconds(1_209_600))
        #expect(value == "__Secure-refresh-token=\(token.encoded); Path=/auth/refresh; Max-Age=1209600; HttpOnly; Secure; SameSite=Strict")
        #expect(!value.localizedCaseInsensitiveContains("domain"), "host-only")
        #expect(cookie.clearingCookie() == "__Secure-refresh-token=; Path=/auth/refresh; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
        let custom = try RefreshCookie(name: "rt", path: "/api/v1/session/refresh")
        #expect(custom.setCookie(for: token, maxAge: .seconds(-5)).hasSuffix("Path=/api/v1/session/refresh; Max-Age=0; HttpOnly; Secure; SameSite=Strict"))
    }

    @Test("the token is read back from a Cookie header")
    func parse() throws {
        let cookie = try RefreshCookie()
        let token = RefreshToken.generate()
        #expect(cookie.refreshToken(fromCookieHeader: "theme=dark; __Secure-refresh-token=\(token.encoded); lang=en") == token)
        #expect(cookie.refreshToken(fromCookieHeader: "__Secure-refresh-token=\(token.encoded)") == token)
        #expect(cookie.refreshToken(fromCookieHeader: "theme=dark") == nil)
        #expect(cookie.refreshToken(fromCookieHeader: "__Secure-refresh-token=garbage") == nil)
        #expect(cookie.refreshToken(fromCookieHeader: "x__Secure-refresh-token=\(token.encoded)") == nil)
    }

    @Test("cookie names and paths that could inject attributes are refused", arguments: [
        ("bad name", "/auth/refresh"), ("a;b", "/auth/refresh"), ("", "/auth/refresh"), ("rt", "auth/refresh"),
        ("rt", "/auth; Domain=evil.example"), ("rt", "/auth\r\nSet-Cookie: x=y"),
    ])
    func refused(_ name: String, _ path: String) {
        #expect(throws: AuthError.self) { _ = try RefreshCookie(name: name, path: path) }
    }

    @Test("the standard policy: admins manage accounts, admins and moderators any session")
    func standardPolicy() throws {
        func principal(_ roles: Set<ServerRole>) -> AuthenticatedPrincipal {
            AuthenticatedPrincipal(
                userID: UserID(UUIDv7Generator().next()), sessionID: SessionID(UUIDv7Generator().next()), roles: roles,
                issuedAt: Timestamp(millisecondsSince1970: 0), expiresAt: Timestamp(millisecondsSince1970: 1))
        }
        let policy = RolePolicy.standard
        #expect(policy.allows(principal([.admin]), to: .manageAccounts))
        #expect(!policy.allows(principal([.moderator]), to: .manageAccounts))
        #expect(policy.allows(principal([.moderator]), to: .manageAnySession))
        #expect(!policy.allows(principal([]), to: .manageAnySession))
        let export = ServerAction(rawValue: "exportData")
        #expect(!policy.allows(principal([.admin]), to: export), "unlisted actions are allowed to no one")
        var custom = policy
        custom.grants[export] = [try ServerRole("auditor")]
        #expect(custom.allows(principal([try ServerRole("auditor")]), to: export))
        #expect(throws: AuthError.self) { try custom.require(principal([.admin]), mayPerform: export) }
        #expect(throws: MessagingError.self) { _ = try ServerRole("Admin") }
        #expect(throws: MessagingError.self) { _ = try ServerRole("1admin") }
    }
}

@Suite("Strict JSON and base64url")
struct EncodingTests {
    @Test("duplicate names at any depth, trailing data and bad escapes are rejected")
    func strictJSON() throws {
        #expect(try StrictJSON.parse(Array(#"{"a":"x\u00e9\ud83d\ude00","b":[1,-2.5e3,true,null,{}]}"#.utf8))
            == .object(["a": .string("xé😀"), "b": .array([.number("1"), .number("-2.5e3"), .bool(true), .null, .object([:])])]))
        #expect(throws: StrictJSON.Failure.duplicateKey) { try StrictJSON.parse(Array(#"{"a":1,"a":1}"#.utf8)) }
        #expect(throws: StrictJSON.Failure.duplicateKey) { try StrictJSON.parse(Array(#"{"a":{"b":1,"b":2}}"#.utf8)) }
        #expect(throws: StrictJSON.Failure.duplicateKey, "escaped spelling of the same name") {
            try StrictJSON.parse(Array(#"{"alg":1,"\u0061lg":2}"#.utf8))
        }
        for bad in [#"{"a":1}x"#, #"{"a":01}"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#, "{\"a\":\"\u{01}\"}", #"{"a" 1}"#, "", "[1,]"] {
            #expect(throws: StrictJSON.Failure.self, "\(bad)") { try StrictJSON.parse(Array(bad.utf8)) }
        }
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: StrictJSON.Failure.tooDeep) { try StrictJSON.parse(Array(deep.utf8)) }
        #expect(throws: StrictJSON.Failure.syntax) { try StrictJSON.parse([0x22, 0xFF, 0x22]) }
    }

    @Test("base64url round-trips and rejects non-canonical text")
    func base64url() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text.utf8) == bytes)
        }
        #expect(Base64URL.decode("AB".utf8) == nil, "non-zero unused bits")
        #expect(Base64URL.decode("A".utf8) == nil)
        #expect(Base64URL.decode("AA==".utf8) == nil)
        #expect(Base64URL.decode("a+b/".utf8) == nil)
    }
}
