import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP answer: status, headers and the body (parsed as JSON when it is).
struct Answer: Sendable, CustomStringConvertible {
    let status: Int
    let headers: [String: String]
    let data: Data

    /// The body as a JSON object, if it is one.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
    var text: String { String(decoding: data, as: UTF8.self) }
    /// `error.code` of an error body.
    var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String? { (json?["error"] as? [String: Any])?["message"] as? String }

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    subscript(key: String) -> Any? { json?[key] }

    var description: String { "\(status) \(text.prefix(400))" }
}

/// A small HTTP client over URLSession (no cookie store: tests send cookies explicitly).
struct HTTPClient: Sendable {
    let base: String
    /// Keeps every exchange when set (`OpenAPIConformanceTests` checks them against the document).
    let recorder: ExchangeRecorder?
    private let session: URLSession

    init(base: String, recorder: ExchangeRecorder? = nil) {
        self.base = base
        self.recorder = recorder
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForRequest = 30
        session = URLSession(configuration: configuration)
    }

    /// Sends a request; `json` is serialized as the body, `body` is sent as is.
    func call(
        _ method: String, _ path: String, token: String? = nil, json: Any? = nil, body: Data? = nil,
        headers: [String: String] = [:]
    ) async throws -> Answer {
        guard let url = URL(string: base + path) else { throw TestFailure.unexpected("bad path \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            request.httpBody = body
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TestFailure.unexpected("not an HTTP response") }
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { fields[key] = value }
        }
        let answer = Answer(status: http.statusCode, headers: fields, data: data)
        recorder?.record(method: method, path: path, request: request, answer: answer)
        return answer
    }
}

/// The HTTP exchanges of a test, in order: method, path, request body and the answer.
final class ExchangeRecorder: Sendable {
    struct Exchange: Sendable {
        let method: String
        let path: String
        let requestContentType: String?
        let requestBody: Data?
        let answer: Answer
    }

    private let exchanges = Mutex<[Exchange]>([])

    func record(method: String, path: String, request: URLRequest, answer: Answer) {
        let exchange = Exchange(
            method: method, path: path, requestContentType: request.value(forHTTPHeaderField: "Content-Type"),
            requestBody: request.httpBody, answer: answer)
        exchanges.withLock { $0.append(exchange) }
    }

    var all: [Exchange] { exchanges.withLock { $0 } }
}

/// A logged-in user of a test server.
struct Login: Sendable {
    let id: String
    let handle: String
    let token: String
    let refreshToken: String
    let session: String
}

extension HTTPClient {
    static let password = "correct horse battery staple"

    /// Registers `handle` and logs in.
    func user(_ handle: String) async throws -> Login {
        let registered = try await call("POST", "/v1/auth/register", json: ["handle": handle, "password": Self.password])
        try #require(registered.status == 201, "register \(handle): \(registered)")
        return try await login(handle)
    }

    /// Logs in again (a new session).
    func login(_ handle: String, device: String = "test") async throws -> Login {
        let answer = try await call(
            "POST", "/v1/auth/login", json: ["handle": handle, "password": Self.password, "deviceName": device])
        try #require(answer.status == 200, "login \(handle): \(answer)")
        let user = try #require(answer["user"] as? [String: Any])
        let session = try #require(answer["session"] as? [String: Any])
        return Login(
            id: try #require(user["id"] as? String), handle: handle, token: try #require(answer["accessToken"] as? String),
            refreshToken: try #require(answer["refreshToken"] as? String), session: try #require(session["id"] as? String))
    }

    /// Creates a group owned by `owner` with `members`; returns its id.
    func group(by owner: Login, members: [Login], title: String = "room") async throws -> String {
        let answer = try await call(
            "POST", "/v1/conversations", token: owner.token,
            json: ["kind": "group", "title": title, "members": members.map(\.id)])
        try #require(answer.status == 201, "create group: \(answer)")
        return try #require((answer["conversation"] as? [String: Any])?["id"] as? String)
    }

    /// Sends a text message; returns the message object.
    @discardableResult
    func send(_ text: String, to conversation: String, as user: Login, key: String = UUID().uuidString) async throws -> [String: Any] {
        let answer = try await call(
            "POST", "/v1/conversations/\(conversation)/messages", token: user.token,
            json: ["clientMessageId": key, "body": text])
        try #require(answer.status == 201, "send: \(answer)")
        return try #require(answer["message"] as? [String: Any])
    }
}
