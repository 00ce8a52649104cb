import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Errors the client reports; each message says what to do.
enum ClientError: Error, CustomStringConvertible {
    /// The command line or local state is wrong.
    case usage(String)
    /// The server answered an error (`status`, its stable `code` and message).
    case server(status: Int, code: String, message: String)
    /// The server could not be reached.
    case unreachable(String)

    var description: String {
        switch self {
        case .usage(let message): message
        case .server(let status, let code, let message): "\(message) [\(code), HTTP \(status)]"
        case .unreachable(let message): message
        }
    }

    /// The process exit code: 64 usage, 69 unreachable, 77 not authorized, 65 other server refusals.
    var exitCode: Int32 {
        switch self {
        case .usage: 64
        case .unreachable: 69
        case .server(let status, _, _): status == 401 || status == 403 ? 77 : 65
        }
    }
}

/// The HTTP API of the chat server (`/v1`, see `/openapi.json`), with the profile's
/// tokens; refreshes the access token once when the server says it expired.
final class API: @unchecked Sendable {
    private(set) var profile: Profile
    let profileName: String
    let base: URL
    private let session: URLSession

    init(profile: Profile, profileName: String) throws {
        guard let base = URL(string: profile.server), let scheme = base.scheme, ["http", "https"].contains(scheme),
            base.host != nil
        else {
            throw ClientError.usage("The server must be an http(s) URL such as http://127.0.0.1:8080; got \"\(profile.server)\".")
        }
        self.profile = profile
        self.profileName = profileName
        self.base = base
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        configuration.httpShouldSetCookies = false
        self.session = URLSession(configuration: configuration)
    }

    /// The realtime URL: the server's URL with `ws`/`wss` and `/v1/realtime`.
    var realtimeURL: String {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        components.scheme = base.scheme == "https" ? "wss" : "ws"
        components.path = "/v1/realtime"
        return components.string!
    }

    private var handles: [String: String] = [:]

    /// The handle of a user id (asked once per id, then remembered; the id's last 8
    /// characters when the server cannot say).
    func handle(of id: String) async -> String {
        if id == profile.userID { return "you" }
        if let known = handles[id] { return known }
        let answer = try? await call("GET", "/v1/users/\(id)")
        let handle = answer?["user"]?["handle"]?.string ?? String(id.suffix(8))
        handles[id] = handle
        return handle
    }

    /// Changes the stored profile: re-read first, so a long-running `tail` never writes back
    /// tokens that another command has rotated meanwhile (a stale refresh token presented
    /// later would look like token theft and revoke the session).
    func update(_ change: (inout Profile) -> Void) throws {
        if let stored = try Profile.load(named: profileName), stored.server == profile.server {
            profile = stored
        }
        change(&profile)
        try profile.save(named: profileName)
    }

    /// Calls the API; `authenticated` adds the bearer token (refreshing it once on 401).
    @discardableResult
    func call(_ method: String, _ path: String, query: [String: String] = [:], body: JSON? = nil, authenticated: Bool = true)
        async throws -> JSON
    {
        do {
            return try await send(method, path, query: query, body: body, authenticated: authenticated)
        } catch ClientError.server(status: 401, let code, let message) where authenticated {
            guard profile.refreshToken != nil else { throw ClientError.server(status: 401, code: code, message: message) }
            try await refresh()
            return try await send(method, path, query: query, body: body, authenticated: authenticated)
        }
    }

    /// Trades the refresh token for new tokens and stores them.
    func refresh() async throws {
        guard let refreshToken = profile.refreshToken else {
            throw ClientError.usage("Not logged in: run `ChatClient login <handle> --profile \(profileName)` first.")
        }
        let answer: JSON
        do {
            answer = try await send("POST", "/v1/auth/refresh", body: ["refreshToken": .string(refreshToken)], authenticated: false)
        } catch ClientError.server(let status, let code, _) where status == 401 {
            throw ClientError.server(
                status: 401, code: code,
                message: "The login expired or was revoked; run `ChatClient login <handle> --profile \(profileName)` again.")
        }
        try storeTokens(answer)
    }

    func storeTokens(_ answer: JSON) throws {
        guard let access = answer["accessToken"]?.string else {
            throw ClientError.unreachable("The server's login answer has no accessToken; is \(base) a swift-messaging ChatServer?")
        }
        try update { profile in
            profile.accessToken = access
            if let refresh = answer["refreshToken"]?.string { profile.refreshToken = refresh }
            if let user = answer["user"], let id = user["id"]?.string { profile.userID = id }
            if let handle = answer["user"]?["handle"]?.string { profile.handle = handle }
        }
    }

    private func send(_ method: String, _ path: String, query: [String: String] = [:], body: JSON?, authenticated: Bool)
        async throws -> JSON
    {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        components.path = path
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        var request = URLRequest(url: components.url!)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let body {
            request.httpBody = body.data
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if authenticated {
            guard let token = profile.accessToken else {
                throw ClientError.usage("Not logged in: run `ChatClient login <handle> --profile \(profileName)` first.")
            }
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw ClientError.unreachable("Cannot reach the server at \(base): \(error.localizedDescription). Is it running (`make run`)?")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = data.isEmpty ? JSON.null : (JSON.parse(data) ?? .string(String(decoding: data, as: UTF8.self)))
        guard (200..<300).contains(status) else {
            let error = json["error"]
            throw ClientError.server(
                status: status, code: error?["code"]?.string ?? "http_\(status)",
                message: error?["message"]?.string ?? "The server answered HTTP \(status).")
        }
        return json
    }
}
