import Foundation
import Testing

// Serialized: each case starts a server of its own.
@Suite("ChatServer HTTP: bad input gets typed 4xx JSON errors", .serialized)
struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let method: String
        let path: String
        let body: Data?
        let contentType: String?
        let status: Int
        let code: String
        var description: String { name }
    }

    /// Cases against a conversation `{c}` and a message `{m}` of the caller.
    static let cases: [Case] = [
        Case(name: "invalid JSON", method: "POST", path: "/v1/conversations/{c}/messages", body: Data("{\"body\": ".utf8),
            contentType: "application/json", status: 400, code: "invalid_json"),
        Case(name: "not an object", method: "POST", path: "/v1/conversations/{c}/messages", body: Data("[1,2]".utf8),
            contentType: "application/json", status: 400, code: "invalid_json"),
        Case(name: "empty body", method: "POST", path: "/v1/conversations", body: nil,
            contentType: "application/json", status: 400, code: "invalid_json"),
        Case(name: "invalid UTF-8", method: "POST", path: "/v1/conversations/{c}/messages",
            body: Data([0x7B, 0x22, 0x62, 0x6F, 0x64, 0x79, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D]),
            contentType: "application/json", status: 400, code: "invalid_json"),
        Case(name: "unknown field", method: "POST", path: "/v1/conversations/{c}/messages",
            body: Data(#"{"clientMessageId":"k1","body":"hi","admin":true}"#.utf8), contentType: "application/json",
            status: 400, code: "unknown_field"),
        Case(name: "missing field", method: "POST", path: "/v1/conversations/{c}/messages",
            body: Data(#"{"body":"hi"}"#.utf8), contentType: "application/json", status: 400, code: "missing_field"),
        Case(name: "wrong type", method: "POST", path: "/v1/conversations/{c}/read",
            body: Data(#"{"seq":"ten"}"#.utf8), contentType: "application/json", status: 400, code: "invalid_input"),
        Case(name: "null field", method: "POST", path: "/v1/conversations/{c}/messages",
            body: Data(#"{"clientMessageId":"k1","body":null}"#.utf8), contentType: "application/json",
            status: 400, code: "invalid_input"),
        Case(name: "empty message body", method: "POST", path: "/v1/conversations/{c}/messages",
            body: Data(#"{"clientMessageId":"k1","body":""}"#.utf8), contentType: "application/json",
            status: 400, code: "invalid_input"),
        Case(name: "bad client message id", method: "POST", path: "/v1/conversations/{c}/messages",
            body: Data(#"{"clientMessageId":"has space","body":"x"}"#.utf8), contentType: "application/json",
            status: 400, code: "invalid_input"),
        Case(name: "bad mention id", method: "POST", path: "/v1/conversations/{c}/messages",
            body: Data(#"{"clientMessageId":"k2","body":"x","mentions":["nope"]}"#.utf8), contentType: "application/json",
            status: 400, code: "invalid_input"),
        Case(name: "huge body", method: "POST", path: "/v1/conversations/{c}/messages",
            body: Data(("{\"clientMessageId\":\"k\",\"body\":\"" + String(repeating: "a", count: 200_000) + "\"}").utf8),
            contentType: "application/json", status: 413, code: "body_too_large"),
        Case(name: "text over 16 KiB", method: "POST", path: "/v1/conversations/{c}/messages",
            body: Data(("{\"clientMessageId\":\"k\",\"body\":\"" + String(repeating: "a", count: 20_000) + "\"}").utf8),
            contentType: "application/json", status: 400, code: "invalid_input"),
        Case(name: "not JSON content type", method: "POST", path: "/v1/conversations/{c}/read",
            body: Data("seq=1".utf8), contentType: "application/x-www-form-urlencoded", status: 415, code: "unsupported_media_type"),
        Case(name: "bad conversation UUID", method: "GET", path: "/v1/conversations/not-a-uuid", body: nil, contentType: nil,
            status: 400, code: "invalid_input"),
        Case(name: "bad message UUID", method: "PATCH", path: "/v1/conversations/{c}/messages/123",
            body: Data(#"{"body":"x"}"#.utf8), contentType: "application/json", status: 400, code: "invalid_input"),
        Case(name: "limit out of range", method: "GET", path: "/v1/conversations/{c}/messages?limit=100000", body: nil,
            contentType: nil, status: 400, code: "invalid_input"),
        Case(name: "negative limit", method: "GET", path: "/v1/conversations?limit=-1", body: nil, contentType: nil,
            status: 400, code: "invalid_input"),
        Case(name: "unknown query parameter", method: "GET", path: "/v1/conversations/{c}/events?afterr=3", body: nil,
            contentType: nil, status: 400, code: "unknown_parameter"),
        Case(name: "bad cursor", method: "GET", path: "/v1/conversations?cursor=garbage", body: nil, contentType: nil,
            status: 400, code: "invalid_input"),
        Case(name: "search without words", method: "GET", path: "/v1/search?q=%20%21", body: nil, contentType: nil,
            status: 400, code: "invalid_input"),
        Case(name: "unknown kind", method: "POST", path: "/v1/conversations",
            body: Data(#"{"kind":"party","members":[]}"#.utf8), contentType: "application/json", status: 400, code: "invalid_input"),
        Case(name: "unknown role", method: "PUT", path: "/v1/conversations/{c}/members/{u}/role",
            body: Data(#"{"role":"king"}"#.utf8), contentType: "application/json", status: 400, code: "invalid_input"),
        Case(name: "read past the end", method: "POST", path: "/v1/conversations/{c}/read",
            body: Data(#"{"seq":999}"#.utf8), contentType: "application/json", status: 400, code: "invalid_input"),
        Case(name: "bad handle", method: "GET", path: "/v1/users/%21%21", body: nil, contentType: nil,
            status: 400, code: "invalid_input"),
        Case(name: "unknown route", method: "GET", path: "/v1/nothing-here", body: nil, contentType: nil,
            status: 404, code: "route_not_found"),
        Case(name: "undeclared method on a known route", method: "PUT", path: "/v1/unread", body: nil, contentType: nil,
            status: 405, code: "method_not_allowed"),
    ]

    @Test("bad input is refused with a JSON error, changes nothing, and the server keeps serving", arguments: cases)
    func badInput(_ testCase: Case) async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let alice = try await client.user("alice")
            let bob = try await client.user("bob")
            let room = try await client.group(by: alice, members: [bob])
            let message = try await client.send("first", to: room, as: alice, key: "k-first")
            let messageID = try #require(message["id"] as? String)
            let path = testCase.path.replacingOccurrences(of: "{c}", with: room)
                .replacingOccurrences(of: "{m}", with: messageID).replacingOccurrences(of: "{u}", with: bob.id)
            var headers: [String: String] = [:]
            if let type = testCase.contentType { headers["Content-Type"] = type }
            let answer = try await client.call(testCase.method, path, token: alice.token, body: testCase.body, headers: headers)
            #expect(answer.status == testCase.status, "\(answer)")
            #expect(answer.errorCode == testCase.code, "\(answer)")
            #expect(answer.header("Content-Type")?.hasPrefix("application/json") == true)
            #expect((answer.errorMessage ?? "").count > 10, "the message should say what to fix")
            // No side effect: the log still holds only the first message.
            let events = try await client.call("GET", "/v1/conversations/\(room)/events", token: alice.token)
            #expect((events["events"] as? [Any])?.count == 1)
            #expect(try await client.call("GET", "/healthz").status == 200)
        }
    }

    @Test("a missing or malformed Authorization header is 401 with code unauthorized")
    func badAuthorization() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let none = try await client.call("GET", "/v1/unread")
            #expect(none.status == 401)
            #expect(none.errorCode == "unauthorized")
            for header in ["Basic abc", "Bearer", "bearer"] {
                let answer = try await client.call("GET", "/v1/unread", headers: ["Authorization": header])
                #expect(answer.status == 401)
                #expect(answer.errorCode == "unauthorized")
            }
            let forged = try await client.call("GET", "/v1/unread", token: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
            #expect(forged.status == 401)
            #expect(forged.errorCode == "invalid_token")
        }
    }
}
