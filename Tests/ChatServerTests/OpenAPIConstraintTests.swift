import Foundation
import Testing

/// The request constraints of `/openapi.json` against the server: for each documented field,
/// a value the schema refuses is refused by the server and a value it accepts is accepted.
@Suite("/openapi.json request constraints agree with the server")
struct OpenAPIConstraintTests {
    /// One value for one documented field, with how to send it.
    struct Probe {
        let field: String
        let value: Any
        let schema: [String: Any]
        /// Sends the value; the answer's status says whether the server refused it.
        let send: @Sendable (Any) async throws -> Answer
        /// Statuses that mean "refused by validation" for this field.
        var refusals: Set<Int> = [400]
        /// A documented case where the schema is stricter than the server (never the reverse).
        var schemaStricter = false
    }

    /// The schema of a request-body property.
    static func bodySchema(_ document: [String: Any], _ method: String, _ path: String, _ field: String) throws -> [String: Any] {
        let paths = try #require(document["paths"] as? [String: Any])
        let operation = try #require((paths[path] as? [String: Any])?[method] as? [String: Any], "\(method) \(path)")
        let body = try #require(operation["requestBody"] as? [String: Any])
        let schema = try #require(((body["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any])
        return try #require((schema["properties"] as? [String: Any])?[field] as? [String: Any], "\(path) \(field)")
    }

    /// The schema of a parameter, and whether it is required.
    static func parameterSchema(_ document: [String: Any], _ path: String, _ name: String) throws -> (schema: [String: Any], required: Bool) {
        let paths = try #require(document["paths"] as? [String: Any])
        let operation = try #require((paths[path] as? [String: Any])?["get"] as? [String: Any])
        let components = (document["components"] as? [String: Any])?["parameters"] as? [String: Any] ?? [:]
        for case var parameter as [String: Any] in operation["parameters"] as? [Any] ?? [] {
            if let reference = parameter["$ref"] as? String {
                parameter = try #require(components[String(reference.split(separator: "/").last!)] as? [String: Any])
            }
            if parameter["name"] as? String == name {
                return (try #require(parameter["schema"] as? [String: Any]), parameter["required"] as? Bool ?? false)
            }
        }
        throw TestFailure.unexpected("\(path) has no parameter \(name)")
    }

    @Test("/openapi.json: for handle, displayName, deviceName, clientMessageId, kind, members, mentions, title, topic, replyTo, threadRoot, cursor, q, ids and booleans, the schema refuses exactly what the server refuses")
    func schemaMatchesServer() async throws {
        try await TestServer.with { server in
            let client = HTTPClient(base: server.base)
            let document = try #require(try await client.call("GET", "/openapi.json").json)
            let password = HTTPClient.password
            let owner = try await client.user("owner")
            let room = try await client.group(by: owner, members: [])
            let counter = Counter()
            var probes: [Probe] = []

            let handle = try Self.bodySchema(document, "post", "/v1/auth/register", "handle")
            let register: @Sendable (Any) async throws -> Answer = { value in
                try await client.call("POST", "/v1/auth/register", json: ["handle": value, "password": password])
            }
            for value in ["valid1", "Upper.Case", "  spaced-1  ", "\thandle.2\n", "x" + String(repeating: "a", count: 31), "9lives", "a-b_c.d"] {
                probes.append(Probe(field: "register handle", value: value, schema: handle, send: register))
            }
            for value in ["ab", String(repeating: "a", count: 33), "_lead", "has space", "émile", "\u{212A}elvin", "", "nul\u{0}l", "line\nbreak"] as [Any]
                + [NSNull(), 42] {
                probes.append(Probe(field: "register handle", value: value, schema: handle, send: register))
            }
            probes.append(Probe(
                field: "register handle", value: String(repeating: " ", count: 40) + "padded", schema: handle, send: register,
                schemaStricter: true))

            let displayName = try Self.bodySchema(document, "post", "/v1/auth/register", "displayName")
            let named: @Sendable (Any) async throws -> Answer = { value in
                try await client.call(
                    "POST", "/v1/auth/register", json: ["handle": "dn\(counter.next())", "password": password, "displayName": value])
            }
            for value in ["Alice Smith", "  Bob  ", "trailing line\n", String(repeating: "x", count: 64), String(repeating: "é", count: 64),
                          "\u{85}nel", "", "   ", "a\nb", "bell\u{7}", "tab\tinside", String(repeating: "x", count: 65)] as [Any] + [NSNull()] {
                probes.append(Probe(field: "displayName", value: value, schema: displayName, send: named))
            }
            probes.append(Probe(
                field: "displayName", value: String(repeating: "e\u{301}", count: 64), schema: displayName, send: named, schemaStricter: true))

            let deviceName = try Self.bodySchema(document, "post", "/v1/auth/login", "deviceName")
            let login: @Sendable (Any) async throws -> Answer = { value in
                try await client.call("POST", "/v1/auth/login", json: ["handle": "owner", "password": password, "deviceName": value])
            }
            for value in ["Laptop", " Phone ", String(repeating: "x", count: 64), "", "a\u{7}b", String(repeating: "x", count: 65)] as [Any]
                + [NSNull()] {
                probes.append(Probe(field: "deviceName", value: value, schema: deviceName, send: login))
            }

            // A handle that breaks the rules cannot log in (401, like a wrong password).
            let loginHandle = try Self.bodySchema(document, "post", "/v1/auth/login", "handle")
            let loginAs: @Sendable (Any) async throws -> Answer = { value in
                try await client.call("POST", "/v1/auth/login", json: ["handle": value, "password": password])
            }
            for value in ["OWNER", " owner ", "ow", "owner\u{0}"] {
                probes.append(Probe(field: "login handle", value: value, schema: loginHandle, send: loginAs, refusals: [400, 401]))
            }

            let clientMessageID = try Self.bodySchema(document, "post", "/v1/conversations/{id}/messages", "clientMessageId")
            let send: @Sendable (Any) async throws -> Answer = { value in
                try await client.call(
                    "POST", "/v1/conversations/\(room)/messages", token: owner.token, json: ["clientMessageId": value, "body": "hi \(counter.next())"])
            }
            for value in ["k-1", String(repeating: "a", count: 64), "~!@#", "has space", String(repeating: "a", count: 65), "é1", "", "tab\t"] {
                probes.append(Probe(field: "clientMessageId", value: value, schema: clientMessageID, send: send))
            }

            let encrypted = try Self.bodySchema(document, "post", "/v1/conversations", "encrypted")
            let title = try Self.bodySchema(document, "post", "/v1/conversations", "title")
            let create: @Sendable (String, Any) async throws -> Answer = { field, value in
                try await client.call(
                    "POST", "/v1/conversations", token: owner.token, json: ["kind": "group", "members": [] as [String], field: value])
            }
            for value in [true, false, NSNull(), "true", 1] as [Any] {
                probes.append(Probe(field: "encrypted", value: value, schema: encrypted, send: { try await create("encrypted", $0) }))
            }
            probes.append(Probe(field: "title", value: NSNull(), schema: title, send: { try await create("title", $0) }))
            probes.append(Probe(field: "title", value: "Launch", schema: title, send: { try await create("title", $0) }))

            let kind = try Self.bodySchema(document, "post", "/v1/conversations", "kind")
            for value in ["group", "channel", "broadcast", "Channel", "", NSNull(), 3] as [Any] {
                probes.append(Probe(field: "kind", value: value, schema: kind, send: { value in
                    try await client.call(
                        "POST", "/v1/conversations", token: owner.token, json: ["kind": value, "title": "t", "members": [] as [String]])
                }))
            }
            let createTopic = try Self.bodySchema(document, "post", "/v1/conversations", "topic")
            for value in ["news", "", "  padded  ", String(repeating: "x", count: 1024), String(repeating: "x", count: 1025), "a\u{7}b"] as [Any]
                + [NSNull()] {
                probes.append(Probe(field: "create topic", value: value, schema: createTopic, send: { try await create("topic", $0) }))
            }
            let target = try #require(try await client.send("a thread root", to: room, as: owner)["id"] as? String)
            for field in ["replyTo", "threadRoot"] {
                let schema = try Self.bodySchema(document, "post", "/v1/conversations/{id}/messages", field)
                for value in [target, target.uppercased(), DocumentationConformanceTests.v4, "not-an-id", "", NSNull(), 7] as [Any] {
                    probes.append(Probe(field: field, value: value, schema: schema, send: { value in
                        try await client.call(
                            "POST", "/v1/conversations/\(room)/messages", token: owner.token,
                            json: ["clientMessageId": "r-\(counter.next())", "body": "hi", field: value])
                    }))
                }
            }

            let members = try Self.bodySchema(document, "post", "/v1/conversations", "members")
            for value in [[], Array(repeating: DocumentationConformanceTests.v7, count: 1001)] as [[String]] {
                probes.append(Probe(field: "members", value: value, schema: members, send: { value in
                    try await client.call("POST", "/v1/conversations", token: owner.token, json: ["kind": "group", "members": value])
                }))
            }
            let mentions = try Self.bodySchema(document, "post", "/v1/conversations/{id}/messages", "mentions")
            for count in [50, 51] {
                probes.append(Probe(field: "mentions", value: Array(repeating: owner.id, count: count), schema: mentions, send: { value in
                    try await client.call(
                        "POST", "/v1/conversations/\(room)/messages", token: owner.token,
                        json: ["clientMessageId": "m-\(counter.next())", "body": "hi", "mentions": value])
                }))
            }

            for (field, limit) in [("title", 128), ("topic", 1024)] {
                let schema = try Self.bodySchema(document, "patch", "/v1/conversations/{id}", field)
                let update: @Sendable (Any) async throws -> Answer = { value in
                    try await client.call("PATCH", "/v1/conversations/\(room)", token: owner.token, json: [field: value])
                }
                for value in ["", "   ", "Launch \(field)", "  padded  ", String(repeating: "x", count: limit), String(repeating: "é", count: limit),
                              String(repeating: "x", count: limit + 1), "a\nb", "tab\tinside", "\u{1B}[31m"] as [Any] + [NSNull()] {
                    probes.append(Probe(field: field, value: value, schema: schema, send: update))
                }
            }

            let (cursor, _) = try Self.parameterSchema(document, "/v1/conversations", "cursor")
            let list: @Sendable (Any) async throws -> Answer = { value in
                try await client.call("GET", "/v1/conversations?cursor=\(DocumentationConformanceTests.query(value as! String))", token: owner.token)
            }
            for value in ["1767225600000.\(DocumentationConformanceTests.v7)", "0.\(DocumentationConformanceTests.v7.uppercased())", "999999999999999999.\(DocumentationConformanceTests.v7)",
                          "-5.\(DocumentationConformanceTests.v7)", "+5.\(DocumentationConformanceTests.v7)", "5.\(DocumentationConformanceTests.v4)", "5", "abc.def", "1234567890123456789.\(DocumentationConformanceTests.v7)", "",
                          "5.\(DocumentationConformanceTests.v7).x", " 5.\(DocumentationConformanceTests.v7)"] {
                probes.append(Probe(field: "cursor", value: value, schema: cursor, send: list))
            }

            let (q, qRequired) = try Self.parameterSchema(document, "/v1/search", "q")
            #expect(qRequired, "q is required")
            #expect(try await client.call("GET", "/v1/search", token: owner.token).status == 400, "without q")
            let search: @Sendable (Any) async throws -> Answer = { value in
                try await client.call("GET", "/v1/search?q=\(DocumentationConformanceTests.query(value as! String))", token: owner.token)
            }
            for value in ["hello", String(repeating: "a", count: 1024), String(repeating: "é", count: 1024), "", String(repeating: "a", count: 1025)] {
                probes.append(Probe(field: "q", value: value, schema: q, send: search))
            }

            let (conversationID, _) = try Self.parameterSchema(document, "/v1/conversations/{id}", "id")
            let get: @Sendable (Any) async throws -> Answer = { value in
                try await client.call("GET", "/v1/conversations/\(value)", token: owner.token)
            }
            for value in [DocumentationConformanceTests.v7, DocumentationConformanceTests.v7.uppercased(), DocumentationConformanceTests.v4, "0193a6c0-5b1e-7c41-1a55-3f1e2d4c5b6a", "0193a6c05b1e7c419a553f1e2d4c5b6a"] {
                probes.append(Probe(field: "conversation id", value: value, schema: conversationID, send: get))
            }

            for probe in probes {
                let schemaAccepts = try SchemaCheck.accepts(probe.value, probe.schema)
                let answer = try await probe.send(probe.value)
                let serverAccepts = !probe.refusals.contains(answer.status)
                #expect(answer.status < 500 && answer.status != 429, "\(probe.field) \(String(reflecting: probe.value)): \(answer)")
                if probe.schemaStricter {
                    #expect(!schemaAccepts && serverAccepts, "\(probe.field) \(String(reflecting: probe.value)): the documented gap changed: \(answer)")
                } else {
                    #expect(schemaAccepts == serverAccepts,
                        "\(probe.field) \(String(reflecting: probe.value)): the schema \(schemaAccepts ? "accepts" : "refuses"), the server answers \(answer)")
                }
            }

            // What no schema keyword can say is in the descriptions, and the server does what they say.
            let qDescription = try #require(
                (((document["paths"] as? [String: Any])?["/v1/search"] as? [String: Any])?["get"] as? [String: Any]).flatMap { operation in
                    (operation["parameters"] as? [[String: Any]])?.first { $0["name"] as? String == "q" }?["description"] as? String
                })
            #expect(qDescription.contains("at least one letter or digit (400 invalid_input otherwise)"))
            #expect(qDescription.contains("at most 16 words (409 limit_exceeded beyond)"))
            let noWord = try await search("!!! ???")
            #expect(noWord.status == 400 && noWord.errorCode == "invalid_input", "\(noWord)")
            let tooManyWords = try await search((1...17).map { "w\($0)" }.joined(separator: " "))
            #expect(tooManyWords.status == 409 && tooManyWords.errorCode == "limit_exceeded", "\(tooManyWords)")
        }
    }
}
