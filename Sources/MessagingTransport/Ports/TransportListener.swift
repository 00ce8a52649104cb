/// The server side of a transport: accepts connections and hands each to a handler.
///
/// Modelled on grpc-swift-2's `ServerTransport`: ``listen(_:)`` runs until the listener is
/// stopped (``stopListening()``) or the calling task is cancelled, calling `handler` for
/// each accepted connection in a child task of its own (a discarding task group), and
/// returns once every handler returned.
///
/// Implementers: never call `handler` twice for one connection; stop accepting when
/// ``stopListening()`` is called but let running handlers finish; throw ``TransportError``
/// when the listener cannot start. Must be safe to call from any task.
public protocol TransportListener: Sendable {
    /// The connections this listener yields.
    associatedtype Connection: TransportConnection

    /// Accepts connections until stopped or cancelled, running `handler` for each.
    func listen(_ handler: @escaping @Sendable (Connection) async -> Void) async throws

    /// Stops accepting new connections; ``listen(_:)`` returns once its handlers finished.
    func stopListening()
}
