import Foundation
import HTTPTypes
import Hummingbird
import MessagingTransport
import NIOCore

/// Why an HTTP request to the realtime route was not upgraded to a WebSocket: a status, a
/// stable snake_case code, a message that says what to fix, and the headers the status
/// calls for. As a Hummingbird error it answers `{"error":{"code":"…","message":"…"}}`.
///
/// | status | code | when |
/// |---|---|---|
/// | 426 | `upgrade_required` | not a WebSocket upgrade, or `Sec-WebSocket-Version` is not 13 (answered with `Upgrade: websocket` and `Sec-WebSocket-Version: 13`) |
/// | 400 | `invalid_upgrade` | `Sec-WebSocket-Key` missing, repeated or not 16 bytes in base64 |
/// | 403 | `origin_not_allowed` | an `Origin` the allow-list does not admit |
/// | 503 | `unavailable` | the listener is not accepting (starting, or shutting down) |
///
/// Thread safety: a value type; safe to share across tasks.
public struct WebSocketUpgradeRefusal: HTTPResponseError, Sendable, Equatable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// The stable code, such as `origin_not_allowed`.
    public let code: String
    /// What was wrong and what to do about it.
    public let message: String
    /// Headers the status calls for (`Upgrade` and `Sec-WebSocket-Version` with 426).
    public let headers: HTTPFields

    init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    static let upgradeHeaders: HTTPFields = [.upgrade: "websocket", .secWebSocketVersion: "13"]

    static let notAnUpgrade = WebSocketUpgradeRefusal(
        .upgradeRequired, code: "upgrade_required",
        message: "This route only serves WebSocket upgrades: send GET with 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13' and a 'Sec-WebSocket-Key'.",
        headers: upgradeHeaders)
    static let unsupportedVersion = WebSocketUpgradeRefusal(
        .upgradeRequired, code: "upgrade_required",
        message: "This server speaks WebSocket version 13 only (RFC 6455); send 'Sec-WebSocket-Version: 13'.",
        headers: upgradeHeaders)
    static let invalidKey = WebSocketUpgradeRefusal(
        .badRequest, code: "invalid_upgrade",
        message: "The upgrade needs exactly one 'Sec-WebSocket-Key': 16 random bytes in base64 (RFC 6455 §4.1).")
    static func originNotAllowed(_ origin: String) -> WebSocketUpgradeRefusal {
        let shown = origin.unicodeScalars.count > 200 ? String(origin.prefix(200)) + "…" : origin
        return WebSocketUpgradeRefusal(
            .forbidden, code: "origin_not_allowed",
            message: "The origin \(shown) may not open realtime connections; the server's allow-list does not include it.")
    }
    static let unavailable = WebSocketUpgradeRefusal(
        .serviceUnavailable, code: "unavailable",
        message: "The server is not accepting realtime connections (starting or shutting down); retry with backoff.")

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The JSON answer of this refusal.
    public func response() -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.cacheControl] = "no-store"
        return Response(
            status: status, headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: HTTPErrorBody.json(code: code, message: message))))
    }
}

extension HTTPErrorBody {
    /// A complete HTTP/1.1 response with the JSON error body that closes the connection
    /// (written below the HTTP codec, for requests the codec could not read).
    static func rawResponse(status: HTTPResponse.Status, code: String, message: String) -> [UInt8] {
        let body = json(code: code, message: message)
        let head = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
            + "Content-Type: application/json; charset=utf-8\r\n"
            + "Cache-Control: no-store\r\n"
            + "Content-Length: \(body.count)\r\n"
            + "Connection: close\r\n\r\n"
        return Array(head.utf8) + body
    }
}
