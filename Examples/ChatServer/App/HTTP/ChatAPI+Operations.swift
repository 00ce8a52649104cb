import Foundation
import Hummingbird
import MessagingAuth
import MessagingCore

extension ChatAPI {
    func operationRoutes() -> [APIRoute] {
        [
            APIRoute(method: .get, path: "/healthz", handler: health),
            APIRoute(method: .get, path: "/readyz", handler: ready),
            APIRoute(method: .get, path: "/metrics", handler: renderMetrics),
            APIRoute(method: .get, path: "/openapi.json", handler: openAPI),
            APIRoute(method: .get, path: "/.well-known/jwks.json", handler: jwks),
        ]
    }

    /// 200 while the process is up.
    @Sendable func health(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        try json(JSONObject(["status": "ok"]))
    }

    /// 200 when migrations ran, the server is not shutting down and the database answers a
    /// query; 503 with the reason otherwise.
    @Sendable func ready(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let reason = await Self.readinessBlocker(readiness) {
            try await store.read { transaction in _ = try transaction.user(handle: try Handle("readiness-probe")) }
        }
        guard let reason else { return try json(JSONObject(["status": "ready"])) }
        return try json(JSONObject(["status": "not_ready", "reason": reason]), status: .serviceUnavailable)
    }

    /// Why the server is not ready: the readiness state's blocker, or a failing database check.
    static func readinessBlocker(_ readiness: Readiness, databaseCheck: () async throws -> Void) async -> String? {
        if let blocker = readiness.blocker { return blocker }
        do {
            try await databaseCheck()
            return nil
        } catch {
            return "the database does not answer"
        }
    }

    /// The Prometheus text exposition.
    @Sendable func renderMetrics(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render())))
    }

    /// The public keys access tokens are verified with (JWKS, RFC 7517): the signing key
    /// first, then the previous keys still accepted during a rotation. Cacheable for five
    /// minutes; a verifier that meets an unknown `kid` fetches it again.
    @Sendable func jwks(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        var response = try json(JSONWebKeySet(auth.tokens.keys))
        response.headers[.contentType] = "application/jwk-set+json; charset=utf-8"
        response.headers[.cacheControl] = "public, max-age=300"
        return response
    }

    /// The OpenAPI 3.1 description of the HTTP API.
    @Sendable func openAPI(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        guard let document = OpenAPIDocument.json else {
            context.logger.error("openapi.json is missing from ChatServerApp's resources; reinstall the server with its resource bundle")
            throw APIError.internalError
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: document)))
    }
}
