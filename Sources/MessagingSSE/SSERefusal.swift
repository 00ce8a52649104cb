import Foundation
import HTTPTypes
import Hummingbird
import MessagingTransport
import NIOCore

/// Why a request of the Server-Sent Events binding was refused: a status, a stable
/// snake_case code and a message that says what to fix. As a Hummingbird error it answers
/// `{"error":{"code":"…","message":"…"}}`, like the rest of the HTTP API.
///
/// | status | code | when |
/// |---|---|---|
/// | 403 | `origin_not_allowed` | an `Origin` the allow-list does not admit |
/// | 400 | `invalid_last_event_id` | a `Last-Event-ID` this server did not write |
/// | 403 | `invalid_connection_key` | a `POST`/`DELETE` without the stream's connection key in `Realtime-Connection-Key`, or with another |
/// | 404 | `unknown_connection` | a `POST`/`DELETE` to a connection that is closed, never existed, or lives on another node |
/// | 400 | `invalid_body` | an empty `POST` body |
/// | 413 | `body_too_large`, `too_many_frames` | a `POST` over the configured limits |
/// | 503 | `unavailable` | the listener is not accepting (starting, or shutting down) |
///
/// Thread safety: a value type; safe to share across tasks.
public struct SSERefusal: HTTPResponseError, Sendable, Equatable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// The stable code, such as `unknown_connection`.
    public let code: String
    /// What was wrong and what to do about it.
    public let message: String

    /// The headers of the answer.
    public var headers: HTTPFields { [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"] }

    init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func originNotAllowed(_ origin: String) -> SSERefusal {
        let shown = origin.unicodeScalars.count > 200 ? String(origin.prefix(200)) + "…" : origin
        return SSERefusal(
            .forbidden, code: "origin_not_allowed",
            message: "The origin \(shown) may not open realtime connections; the server's allow-list does not include it.")
    }
    static let invalidLastEventID = SSERefusal(
        .badRequest, code: "invalid_last_event_id",
        message: "Last-Event-ID must be an id this server sent on an event (conversation:seq pairs); reconnect without it and subscribe again.")
    static let unknownConnection = SSERefusal(
        .notFound, code: "unknown_connection",
        message: "No open event stream has this id on this server (it closed, or it is held by another node): open a new stream and resume by seq.")
    static let invalidConnectionKey = SSERefusal(
        .forbidden, code: "invalid_connection_key",
        message: "A POST or DELETE to an event stream must carry the key from the stream's connection message in the Realtime-Connection-Key header.")
    static let emptyBody = SSERefusal(
        .badRequest, code: "invalid_body", message: "Post one protocol frame (JSON), or several separated by a line feed.")
    static func bodyTooLarge(_ limit: Int) -> SSERefusal {
        SSERefusal(.contentTooLarge, code: "body_too_large", message: "A POST body may be at most \(limit) bytes; send fewer frames per request.")
    }
    static func tooManyFrames(_ limit: Int) -> SSERefusal {
        SSERefusal(.contentTooLarge, code: "too_many_frames", message: "A POST may carry at most \(limit) frames; send the rest in another request.")
    }
    static let unavailable = SSERefusal(
        .serviceUnavailable, code: "unavailable",
        message: "The server is not accepting realtime connections (starting or shutting down); retry with backoff.")

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The JSON answer of this refusal.
    public func response() -> Response {
        Response(
            status: status, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: HTTPErrorBody.json(code: code, message: message))))
    }
}
