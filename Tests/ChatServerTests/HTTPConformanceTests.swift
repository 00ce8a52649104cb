import ChatServerApp
import Foundation
import Testing

/// The HTTP layer as an outside client sees it on the wire (raw TCP on loopback): upgrade
/// refusals with their status and JSON body (issue 13 B.6), header and idle timeouts and
/// oversized heads (B.8), and 405 for undeclared methods (B.13).
@Suite("HTTP conformance on the wire", .timeLimit(.minutes(2)))
struct HTTPConformanceTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    static func upgrade(
        path: String = "/v1/realtime", version: String? = "13", key: String? = HTTPConformanceTests.key, origin: String? = nil,
        upgradeHeaders: Bool = true, bearerToken: String? = nil
    ) -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let bearerToken { request += "Authorization: Bearer \(bearerToken)\r\n" }
        if upgradeHeaders { request += "Upgrade: websocket\r\nConnection: Upgrade\r\n" }
        if let version { request += "Sec-WebSocket-Version: \(version)\r\n" }
        if let key { request += "Sec-WebSocket-Key: \(key)\r\n" }
        if let origin { request += "Origin: \(origin)\r\n" }
        return request + "\r\n"
    }

    static func answer(_ request: String, port: Int) async throws -> RawHTTPResponse {
        let socket = try RawSocket(port: port, readTimeout: .seconds(10))
        try await socket.send(request)
        return try #require(try await socket.readResponse(), "no HTTP answer to \(request.prefix(80))")
    }

    // MARK: B.6 upgrade refusals

    @Test("every refused upgrade answers its documented status with the JSON error body", arguments: [
        ("disallowed origin", upgrade(origin: "https://evil.example"), 403, "origin_not_allowed"),
        ("WebSocket version 8", upgrade(version: "8"), 426, "upgrade_required"),
        ("no version", upgrade(version: nil), 426, "upgrade_required"),
        ("missing key", upgrade(key: nil), 400, "invalid_upgrade"),
        ("key not 16 bytes", upgrade(key: "c2hvcnQ="), 400, "invalid_upgrade"),
        ("plain GET without upgrade", upgrade(version: nil, key: nil, upgradeHeaders: false), 426, "upgrade_required"),
    ])
    func upgradeRefusals(name: String, request: String, status: Int, code: String) async throws {
        try await TestServer.with(configure: { $0.allowedOrigins = ["https://chat.example"] }) { server in
            let response = try await Self.answer(request, port: server.port)
            #expect(response.status == status, "\(name): \(response)")
            #expect(response.errorCode == code, "\(name): \(response)")
            #expect(response.hasErrorMessage, "\(name): \(response)")
            #expect(response.headers["content-type"]?.hasPrefix("application/json") == true, "\(name)")
            if status == 426 {
                #expect(response.headers["sec-websocket-version"] == "13", "\(name): \(response)")
                #expect(response.headers["upgrade"]?.lowercased() == "websocket", "\(name): \(response)")
            }
        }
    }

    @Test("a valid upgrade from an allowed origin (or none) is answered 101")
    func validUpgrade() async throws {
        try await TestServer.with(configure: { $0.allowedOrigins = ["https://chat.example"] }) { server in
            for origin in [nil, "https://chat.example"] {
                let response = try await Self.answer(Self.upgrade(origin: origin), port: server.port)
                #expect(response.status == 101, "origin \(origin ?? "none"): \(response)")
                #expect(response.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            }
        }
    }

    @Test("a valid upgrade sent on a kept-alive connection after another request is told to reconnect (307, Connection: close)")
    func upgradeOnReusedConnection() async throws {
        try await TestServer.with { server in
            let socket = try RawSocket(port: server.port)
            try await socket.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await socket.readResponse()?.status == 200)
            try await socket.send(Self.upgrade())
            let response = try await socket.readResponse()
            #expect(response?.status == 307, "\(response.map(\.description) ?? "no answer")")
            #expect(response?.headers["location"] == "/v1/realtime")
            #expect(response?.headers["connection"]?.lowercased() == "close")
        }
    }

    @Test("once graceful shutdown began, an upgrade gets 503 with the JSON body, never a 101")
    func upgradeDuringShutdown() async throws {
        let server = try await TestServer.start()
        let socket = try RawSocket(port: server.port)
        let request = Self.upgrade()
        // Everything but the blank line that ends the head; the rest after shutdown began.
        try await socket.send(Array(request.utf8.dropLast(2)))
        // Let the server accept the connection and read those bytes first (a connection
        // still in the listen backlog is reset when the listening socket closes).
        let probe = try RawSocket(port: server.port)
        try await probe.send("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try await probe.readResponse()?.status == 200)
        try await Task.sleep(for: .milliseconds(200))
        await server.group.triggerGracefulShutdown()
        // Shutdown began once readiness says so (or the server closed the kept-alive probe).
        for _ in 0..<100 {
            do {
                try await probe.send("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                guard let ready = try await probe.readResponse(), ready.status == 200 else { break }
            } catch { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await socket.send("\r\n")
        let response = try await socket.readResponse()
        #expect(response?.status == 503, "\(response.map(\.description) ?? "no answer")")
        #expect(response?.errorCode == "unavailable")
        withExtendedLifetime((socket, probe)) {}
        try await server.stop()
    }

    // MARK: B.8 timeouts and oversized heads

    static func quickTimeouts(_ configuration: inout ChatServerConfiguration) {
        configuration.http.headerReadTimeout = .seconds(1)
        configuration.http.idleTimeout = .seconds(1)
    }

    @Test("a connection that never sends a byte is closed after the header timeout")
    func silentConnectionClosed() async throws {
        try await TestServer.with(configure: Self.quickTimeouts) { server in
            let started = ContinuousClock.now
            let socket = try RawSocket(port: server.port, readTimeout: .seconds(8))
            let (bytes, closed) = try await socket.readToEnd()
            #expect(closed, "still open after 8 s")
            #expect(bytes.isEmpty)
            #expect(started.duration(to: .now) < .seconds(5))
        }
    }

    @Test("an upgrade request sent a byte at a time is answered 408 and closed")
    func slowHeadTimesOut() async throws {
        try await TestServer.with(configure: Self.quickTimeouts) { server in
            let socket = try RawSocket(port: server.port, readTimeout: .seconds(8))
            let request = Array(Self.upgrade().utf8)
            let started = ContinuousClock.now
            // A byte every 200 ms for a second (the server stops reading at its 1 s timeout
            // and drops the connection 2 s later; sending into a dropped one would reset it).
            for byte in request.prefix(5) {
                do { try await socket.send([byte]) } catch { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            let (bytes, closed) = try await socket.readToEnd()
            let response = RawHTTPResponse(bytes)
            #expect(response?.status == 408, "\(response.map(\.description) ?? "no answer")")
            #expect(response?.errorCode == "request_timeout")
            #expect(closed, "still open")
            #expect(started.duration(to: .now) < .seconds(7))
        }
    }

    @Test("a kept-alive connection with no request in flight is closed after the idle timeout")
    func idleKeepAliveClosed() async throws {
        try await TestServer.with(configure: { configuration in
            configuration.http.headerReadTimeout = .seconds(1)
            configuration.http.idleTimeout = .seconds(3)
        }) { server in
            let socket = try RawSocket(port: server.port, readTimeout: .seconds(10))
            for _ in 0..<2 {  // two requests on one connection, each answered
                try await socket.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let response = try await socket.readResponse()
                #expect(response?.status == 200, "\(response.map(\.description) ?? "no answer")")
                try await Task.sleep(for: .milliseconds(200))
            }
            let started = ContinuousClock.now
            let (bytes, closed) = try await socket.readToEnd()
            #expect(closed && bytes.isEmpty, "idle connection still open")
            #expect(started.duration(to: .now) < .seconds(9))
        }
    }

    @Test("a request line over 8 KiB answers 414, a head over 32 KiB or a 1 MiB header 431, bytes that are not HTTP 400, each with the JSON body, then closes",
        arguments: [
            ("long request line", "GET /healthz?" + String(repeating: "a", count: 9_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request_line_too_long"),
            ("large head", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + (0..<6).map { "X-Filler-\($0): \(String(repeating: "b", count: 7_000))\r\n" }.joined() + "\r\n", 431, "headers_too_large"),
            ("1 MiB header", "GET /v1/realtime HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "c", count: 1 << 20) + "\r\n\r\n", 431, "headers_too_large"),
            ("not HTTP at all", "\u{16}\u{03}\u{01} hello, not http\r\n\r\n", 400, "bad_request"),
        ])
    func oversizedHeads(name: String, request: String, status: Int, code: String) async throws {
        try await TestServer.with { server in
            let socket = try RawSocket(port: server.port, readTimeout: .seconds(8))
            try? await socket.send(request)  // the server may stop reading before the end
            let (bytes, closed) = try await socket.readToEnd()
            let response = RawHTTPResponse(bytes)
            #expect(response?.status == status, "\(name): \(response.map(\.description) ?? "no answer")")
            #expect(response?.errorCode == code, "\(name)")
            #expect(response?.hasErrorMessage == true, "\(name)")
            #expect(closed, "\(name): still open")
        }
    }

    // MARK: B.13 405 for undeclared methods

    @Test("a known route asked with an undeclared method answers 405 with Allow and the JSON body; an unknown path 404")
    func methodNotAllowed() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let id = "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a"
            for (method, path, allow) in [
                ("GET", "/v1/auth/login", "POST"), ("DELETE", "/healthz", "GET"), ("PUT", "/v1/conversations/\(id)", "GET, PATCH, DELETE"),
                ("POST", "/v1/realtime", "GET"), ("POST", "/.well-known/jwks.json", "GET"),
            ] {
                let answer = try await client.call(method, path)
                #expect(answer.status == 405, "\(method) \(path): \(answer)")
                #expect(answer.errorCode == "method_not_allowed", "\(method) \(path)")
                let allowed = Set((answer.header("Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                #expect(allowed == Set(allow.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }), "\(method) \(path): Allow \(answer.header("Allow") ?? "missing")")
            }
            let unknown = try await client.call("GET", "/v1/nothing-here")
            #expect(unknown.status == 404)
            #expect(unknown.errorCode == "route_not_found")
        }
    }
}
