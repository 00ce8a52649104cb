import Foundation
import Testing

/// How ChatServer serves the web client's static files: `/` is index.html, the other files
/// are under `/web/`, each with its content type, `nosniff`, a strict Content-Security-Policy
/// and an entity tag; nothing else is served, and no file of the client parses data as HTML.
@Suite("ChatServer: the web client's files", .timeLimit(.minutes(2)))
struct WebClientRoutesTests {
    static let webDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/ChatServer/App/Web")

    @Test("/ and /web/{file}: content types, nosniff, a CSP without inline script and with ws/wss of the Host, no-cache with an entity tag and 304")
    func headers() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let page = try await client.call("GET", "/")
            #expect(page.status == 200)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.text.contains("<script type=\"module\" src=\"/web/app.js\"></script>"))
            for (path, type) in [
                ("/", "text/html; charset=utf-8"), ("/web/app.js", "text/javascript; charset=utf-8"),
                ("/web/realtime.js", "text/javascript; charset=utf-8"), ("/web/style.css", "text/css; charset=utf-8"),
                ("/web/icon.svg", "image/svg+xml"),
            ] {
                let answer = try await client.call("GET", path)
                #expect(answer.status == 200, "\(path)")
                #expect(answer.header("Content-Type") == type, "\(path)")
                #expect(answer.header("X-Content-Type-Options") == "nosniff", "\(path)")
                #expect(answer.header("Cache-Control") == "no-cache", "\(path)")
                let policy = try #require(answer.header("Content-Security-Policy"), "\(path)")
                let directives = Dictionary(
                    policy.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.map { directive in
                        let parts = directive.split(separator: " ", maxSplits: 1)
                        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                    }, uniquingKeysWith: { first, _ in first })
                #expect(directives["default-src"] == "'none'")
                #expect(directives["script-src"] == "'self'")
                #expect(directives["style-src"] == "'self'")
                #expect(directives["frame-ancestors"] == "'none'")
                let connect = try #require(directives["connect-src"]).split(separator: " ").map(String.init)
                let host = "127.0.0.1:\(server.port)"
                #expect(connect.contains("'self'") && connect.contains("ws://\(host)") && connect.contains("wss://\(host)"), "\(connect)")
                #expect(!policy.contains("unsafe"), "\(policy)")
                let tag = try #require(answer.header("ETag"))
                let again = try await client.call("GET", path, headers: ["If-None-Match": tag])
                #expect(again.status == 304, "\(path)")
                #expect(again.data.isEmpty)
            }
        }
    }

    @Test("unknown, hidden or traversing names are 404 route_not_found with the API's JSON error; other methods 405", arguments: [
        "/web/nope.js", "/web/index.html", "/web/.hidden.js", "/web/..%2Fopenapi.json", "/web/App.js", "/web/app.js.map",
        "/web/openapi.json", "/web", "/index.html",
    ])
    func unknownFiles(path: String) async throws {
        try await TestServer.with { server in
            let answer = try await HTTPClient(base: server.base).call("GET", path)
            #expect(answer.status == 404, "\(path): \(answer)")
            #expect(answer.errorCode == "route_not_found", "\(path): \(answer)")
            #expect(answer.header("Content-Type")?.hasPrefix("application/json") == true)
        }
    }

    @Test("POST / is 405 method_not_allowed with Allow: GET")
    func otherMethods() async throws {
        try await TestServer.with { server in
            let answer = try await HTTPClient(base: server.base).call("POST", "/", json: [:] as [String: Any])
            #expect(answer.status == 405)
            #expect(answer.errorCode == "method_not_allowed")
            #expect(answer.header("Allow") == "GET")
        }
    }

    @Test("no file of the client parses data as HTML (innerHTML, outerHTML, insertAdjacentHTML, document.write, eval, inline handlers)")
    func noHTMLSinks() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.webDirectory.path)
        #expect(names.contains("app.js") && names.contains("index.html"))
        for name in names where name.hasSuffix(".js") || name.hasSuffix(".html") {
            let text = try String(contentsOf: Self.webDirectory.appendingPathComponent(name), encoding: .utf8)
            for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "onclick=\"", "javascript:", "<style", "style=\""] {
                #expect(!text.contains(sink), "\(name) uses \(sink)")
            }
            if name.hasSuffix(".html") {
                #expect(!text.contains("<script>"), "\(name) has an inline script")
            }
        }
    }
}
