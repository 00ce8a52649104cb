import Foundation
import HTTPTypes
import Hummingbird

extension ChatAPI {
    /// The web client: `GET /` answers its `index.html`, `GET /web/{file}` its other files
    /// (`WebClientFiles`); a name that is not one of them is 404 `route_not_found`.
    func webClientRoutes() -> [APIRoute] {
        [
            APIRoute(method: .get, path: "/", handler: webClientIndex),
            APIRoute(method: .get, path: "/web/:file", handler: webClientFile),
        ]
    }

    @Sendable func webClientIndex(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try webClientResponse(named: "index.html", request: request)
    }

    @Sendable func webClientFile(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let name = context.parameters.get("file") ?? ""
        guard name != "index.html" else { throw APIError.routeNotFound }
        return try webClientResponse(named: name, request: request)
    }

    /// A file of the web client with its security and caching headers: `nosniff`, the
    /// Content-Security-Policy of ``webClientPolicy(for:)``, no referrer, and `no-cache` with
    /// an entity tag (browsers revalidate each time and get 304 while the file is unchanged,
    /// so a new server version is picked up at the next load without versioned names).
    func webClientResponse(named name: String, request: Request) throws -> Response {
        guard WebClientFiles.isServable(name), let file = WebClientFiles.bundled.files[name] else { throw APIError.routeNotFound }
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        headers[.cacheControl] = "no-cache"
        headers[.eTag] = file.entityTag
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("Content-Security-Policy")!] = webClientPolicy(for: request)
        let tags = request.headers[values: .ifNoneMatch].flatMap { $0.split(separator: ",") }
        if tags.contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.entityTag }) {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    /// The page's Content-Security-Policy: scripts, styles and images from this origin only
    /// (no inline script or style), connections to this origin, its WebSocket origins
    /// (`ws:`/`wss:` of the request's `Host`) and the media store's origin (uploads), no
    /// framing, no plugins, no `<base>`.
    func webClientPolicy(for request: Request) -> String {
        var connect = ["'self'"]
        if let host = request.head.authority, Self.isPlainAuthority(host) {
            connect += ["ws://\(host)", "wss://\(host)"]
        }
        for origin in media.browserOrigins where !connect.contains(origin) { connect.append(origin) }
        return [
            "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:",
            "connect-src \(connect.joined(separator: " "))", "base-uri 'none'", "form-action 'none'",
            "frame-ancestors 'none'", "object-src 'none'",
        ].joined(separator: "; ")
    }

    /// Whether a `Host` value is a plain host[:port] (letters, digits, `.-:[]`), safe to
    /// repeat in a header.
    static func isPlainAuthority(_ authority: String) -> Bool {
        (1...255).contains(authority.utf8.count)
            && authority.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == 0x2E || byte == 0x2D || byte == 0x3A || byte == 0x5B || byte == 0x5D
            }
    }
}
