import TestSupport
import Foundation
import Testing

@Suite("ChatServer /openapi.json")
struct OpenAPITests {
    static let methods = ["get", "put", "post", "delete", "patch", "head", "options"]

    /// `METHOD /path` → documented status codes.
    static func operations(of document: [String: Any]) throws -> [String: Set<Int>] {
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations: [String: Set<Int>] = [:]
        for (path, item) in paths {
            for (method, operation) in item where methods.contains(method) {
                let responses = (operation as? [String: Any])?["responses"] as? [String: Any] ?? [:]
                operations["\(method.uppercased()) \(path)"] = Set(responses.keys.compactMap(Int.init))
            }
        }
        return operations
    }

    /// The documented operation a concrete request matches (`{param}` matches any one segment).
    static func template(for method: String, path: String, in operations: [String: Set<Int>]) -> String? {
        let segments = path.split(separator: "?").first.map { $0.split(separator: "/", omittingEmptySubsequences: false) } ?? []
        return operations.keys.first { key in
            let parts = key.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0] == method else { return false }
            let template = parts[1].split(separator: "/", omittingEmptySubsequences: false)
            return template.count == segments.count
                && zip(template, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
    }

    @Test("every registered route is documented with the same method and path, and nothing else is")
    func routesMatch() async throws {
        try await TestServer.with { server in
            let answer = try await HTTPClient(base: server.base).call("GET", "/openapi.json")
            #expect(answer.status == 200)
            let document = try #require(answer.json)
            #expect(document["openapi"] as? String == "3.1.0")
            let documented = Set(try Self.operations(of: document).keys)
            let registered = Set(server.server.routes)
            #expect(registered.count == server.server.routes.count, "a route is registered twice")
            #expect(registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
            #expect(documented.subtracting(registered).isEmpty, "documented but not served: \(documented.subtracting(registered).sorted())")
        }
    }

    @Test("every documented operation reaches a handler on the running server (none answers route_not_found)")
    func documentedRoutesAreServed() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let document = try #require(try await client.call("GET", "/openapi.json").json)
            for key in try Self.operations(of: document).keys.sorted() {
                let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
                var path = parts[1]
                for (parameter, value) in [
                    ("{id}", "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a"), ("{messageId}", "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6b"),
                    ("{userId}", "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6c"), ("{sessionId}", "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6d"),
                    ("{handle}", "alice"), ("{emoji}", "%F0%9F%91%8D"), ("{deviceId}", "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6e"),
                    ("{attachmentId}", "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6f"), ("{objectId}", "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b70"),
                    ("{connection}", String(repeating: "0", count: 32)),
                    ("{file}", "app.js"),
                ] {
                    path = path.replacingOccurrences(of: parameter, with: value)
                }
                #expect(!path.contains("{"), "an unknown path parameter in \(key)")
                // The event stream would stay open until its handshake timeout: a Last-Event-ID it
                // refuses shows it is routed at once.
                let headers = key == "GET /v1/realtime/events" ? ["Last-Event-ID": "x"] : [:]
                let answer = try await client.call(parts[0], path, headers: headers)
                #expect(answer.errorCode != "route_not_found", "\(key) is documented but not routed: \(answer)")
            }
        }
    }

    @Test("the documented status codes include every status the handlers answer in the tests")
    func statusesDocumented() async throws {
        try await TestServer.with { server in
            let document = try #require(try await HTTPClient(base: server.base).call("GET", "/openapi.json").json)
            let operations = try Self.operations(of: document)
            for route in AuthorizationMatrixTests.routes {
                let documented = try #require(operations[route.name], "\(route.name) is not documented")
                for status in Set(route.expected) {
                    #expect(documented.contains(status), "\(route.name) answers \(status) in the matrix but does not document it")
                }
            }
            for testCase in BadInputTests.cases {
                guard let key = Self.template(for: testCase.method, path: testCase.path, in: operations) else { continue }
                #expect(operations[key]?.contains(testCase.status) == true, "\(key) answers \(testCase.status) (\(testCase.name)) undocumented")
            }
            let answered: [(String, Int)] = [
                ("POST /v1/auth/register", 201), ("POST /v1/auth/register", 409), ("POST /v1/auth/register", 400),
                ("POST /v1/auth/login", 200), ("POST /v1/auth/login", 401), ("POST /v1/auth/login", 429),
                ("POST /v1/auth/refresh", 200), ("POST /v1/auth/refresh", 400), ("POST /v1/auth/refresh", 401),
                ("POST /v1/auth/logout", 204), ("POST /v1/auth/logout", 401),
                ("POST /v1/conversations/{id}/messages", 200), ("POST /v1/conversations/{id}/messages", 409),
                ("POST /v1/conversations/{id}/messages", 429), ("GET /v1/users/{handle}", 404),
                ("GET /healthz", 200), ("GET /readyz", 200), ("GET /metrics", 200), ("GET /openapi.json", 200),
            ]
            for (key, status) in answered {
                #expect(operations[key]?.contains(status) == true, "\(key) does not document \(status)")
            }
        }
    }

    /// Runs `python` with `arguments`; its exit status and its output (stdout and stderr).
    static func run(_ python: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// The interpreter of the venv `scripts/interop-venv.sh` makes (or `MESSAGING_INTEROP_PYTHON`).
    static func python() -> String? {
        if let configured = ProcessInfo.processInfo.environment["MESSAGING_INTEROP_PYTHON"], !configured.isEmpty {
            return configured
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let venv = root.appendingPathComponent(".build/interop-venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    @Test("openapi-spec-validator accepts the document as OpenAPI 3.1")
    func validatesAsOpenAPI31() async throws {
        guard let python = Self.python() else {
            Issue.record(
                "this test needs a python with openapi-spec-validator: run make test or scripts/interop-venv.sh (creates .build/interop-venv from Tests/Interop/requirements.txt), or set MESSAGING_INTEROP_PYTHON")
            return
        }
        let document = try await TestServer.with { server in
            try await HTTPClient(base: server.base).call("GET", "/openapi.json").data
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString).json")
        try document.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try Self.run(python, [
            "-c",
            "import json, sys; from openapi_spec_validator import validate; from openapi_spec_validator.validation import OpenAPIV31SpecValidator; validate(json.load(open(sys.argv[1])), cls=OpenAPIV31SpecValidator); print('valid')",
            file.path,
        ])
        #expect(status == 0, "openapi-spec-validator: \(output) (if the module is missing, rerun scripts/interop-venv.sh)")
        #expect(output.contains("valid"))
    }
}
