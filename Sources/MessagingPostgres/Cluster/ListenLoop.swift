import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// One LISTEN connection held until the task is cancelled: connects, listens on one
/// channel, hands each notification to a handler in the order PostgreSQL sent them, checks
/// the connection periodically, and reconnects after a pause when it is lost.
///
/// After each (re)connection, once LISTEN is in effect, `onListening` runs before any
/// notification is handled: notifications sent while no connection listened are lost,
/// so that is where the owner catches up from the store.
final class ListenLoop: Sendable {
    let configuration: PostgresListenerConfiguration
    let channel: String
    let logger: Logger
    let status = Mutex(PostgresListenerStatus())

    init(configuration: PostgresListenerConfiguration, channel: String, logger: Logger) {
        self.configuration = configuration
        self.channel = channel
        self.logger = logger
    }

    private struct HealthCheckFailed: Error {}

    /// Runs until cancelled (or graceful shutdown).
    func run(
        onListening: @escaping @Sendable () async -> Void, onNotification: @escaping @Sendable (String) async -> Bool
    ) async {
        await cancelWhenGracefulShutdown {
            var connectionID = 0
            while !Task.isCancelled {
                connectionID += 1
                do {
                    let connection = try await PostgresConnection.connect(
                        configuration: self.configuration.connection, id: connectionID, logger: self.logger)
                    do {
                        try await self.listen(on: connection, onListening: onListening, onNotification: onNotification)
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    try? await connection.close()
                    if Task.isCancelled { break }
                    self.lost("the notification stream ended")
                } catch is CancellationError {
                    break
                } catch {
                    if Task.isCancelled { break }
                    self.lost(String(describing: type(of: error)) + ": " + Self.describe(error))
                }
                try? await Task.sleep(for: self.configuration.reconnectDelay)
            }
            self.status.withLock { $0.isListening = false }
        }
    }

    private func listen(
        on connection: PostgresConnection, onListening: @escaping @Sendable () async -> Void,
        onNotification: @escaping @Sendable (String) async -> Bool
    ) async throws {
        try await connection.listen(on: channel) { notifications in
            status.withLock { status in
                status.isListening = true
                status.connections += 1
            }
            logger.debug("listening", metadata: ["channel": "\(channel)"])
            await onListening()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await notification in notifications {
                        let handled = await onNotification(notification.payload)
                        self.status.withLock { status in
                            status.notifications += 1
                            if !handled { status.rejected += 1 }
                        }
                    }
                }
                group.addTask {
                    // A connection that stopped answering (a half-open socket, a server that
                    // froze) is dropped, so the loop reconnects and its owner catches up.
                    while true {
                        try await Task.sleep(for: self.configuration.healthCheckInterval)
                        let answered = try await withThrowingTaskGroup(of: Bool.self) { race in
                            race.addTask {
                                let rows = try await connection.query("SELECT 1", logger: self.logger)
                                for try await _ in rows {}
                                return true
                            }
                            race.addTask {
                                try await Task.sleep(for: self.configuration.healthCheckInterval * 2)
                                return false
                            }
                            let first = try await race.next() ?? false
                            // Closing fails the query still in flight, so the race can end.
                            if !first { try? await connection.close() }
                            race.cancelAll()
                            return first
                        }
                        if !answered { throw HealthCheckFailed() }
                    }
                }
                // Whichever ends first (the stream, a failed check, cancellation) ends the
                // connection. It is closed here as well as cancelled: a closed connection ends
                // the notification stream whatever state its iterator is in, so the group never
                // waits on a stream that missed the cancellation.
                defer {
                    group.cancelAll()
                    let closing: EventLoopFuture<Void> = connection.close()
                    _ = closing
                }
                _ = try await group.next()
            }
        }
    }

    private func lost(_ reason: String) {
        status.withLock { status in
            status.isListening = false
            status.lastError = reason
        }
        logger.warning("LISTEN connection lost; reconnecting", metadata: ["channel": "\(channel)", "reason": "\(reason)"])
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            // PSQLError's description hides details; its code and server message are safe.
            return "\(error.code)" + (error.serverInfo?[.message].map { ": \($0)" } ?? "")
        }
        return error is HealthCheckFailed ? "the connection stopped answering health checks" : "\(error)"
    }
}
