import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MessagingCore
import MessagingTransport
import Synchronization

/// What a request's handlers learn that its log line should carry (the session id once the
/// token is verified). Reached through a task local, so handlers need no extra parameter.
final class RequestLog: Sendable {
    @TaskLocal static var current: RequestLog?

    private let sessionID = Mutex<SessionID?>(nil)

    func session(_ id: SessionID) { sessionID.withLock { $0 = id } }
    var session: SessionID? { sessionID.withLock { $0 } }
}

/// The outermost middleware: turns every thrown error into the API's JSON error answer,
/// counts requests and errors by code, answers unknown routes with a JSON 404 (and known
/// routes asked with an undeclared method with 405 and `Allow`), adds the
/// request id header, and writes one log line per request (request id, method, route
/// template, status, duration, session id when known — never bodies, queries or tokens).
struct APIMiddleware<C: Clock>: RouterMiddleware where C.Duration == Duration {
    typealias Context = ChatRequestContext

    let metrics: ServerMetrics
    let gateway: Gateway<C>
    let routes: RouteTable

    func handle(
        _ request: Request, context: ChatRequestContext, next: (Request, ChatRequestContext) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let log = RequestLog()
        metrics.realtimeConnections.record(gateway.connectionCount)
        var response: Response
        var errorCode: String?
        do {
            response = try await RequestLog.$current.withValue(log) { try await next(request, context) }
        } catch {
            var apiError = APIError(error)
            if let httpError = error as? HTTPError, httpError.status == .notFound {
                // The router found no route (its handlers throw APIError): a known path asked
                // with another method is a 405.
                let allowed = routes.methods(for: request.uri.path)
                apiError = allowed.isEmpty ? .routeNotFound : .methodNotAllowed(request.method, allowed: allowed)
            }
            if apiError.code == "internal" {
                context.logger.error("request failed unexpectedly", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            }
            errorCode = apiError.code
            response = apiError.response()
        }
        metrics.requests.increment()
        if let errorCode { metrics.recordError(code: errorCode, status: Int(response.status.code)) }
        response.headers[HTTPField.Name("X-Request-Id")!] = context.requestID
        let elapsed = started.duration(to: .now)
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)",
            "route": "\(context.endpointPath ?? "unmatched")",
            "status": "\(response.status.code)",
            "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ]
        if let session = log.session { metadata["session"] = "\(session)" }
        if let errorCode { metadata["error"] = "\(errorCode)" }
        context.logger.info("request", metadata: metadata)
        return response
    }
}
