import MessagingCore
import MessagingTransport

extension ProtocolConnection {
    /// A request waiting for its answer.
    enum Waiter {
        /// Registered, its frame queued; nobody awaits it yet.
        case registered
        /// Its caller awaits the answer.
        case waiting(CheckedContinuation<ClientJSON, any Error>)
        /// Answered before its caller began to wait.
        case answered(ClientJSON)
    }

    /// A frame to write, and who waits for the write.
    struct Outgoing {
        let frame: TransportFrame
        let done: CheckedContinuation<Void, any Error>?
    }

    /// Everything a ``ProtocolConnection`` tracks, behind its mutex. Transitions that
    /// resume continuations return them, so they are resumed outside the lock.
    struct State {
        var nextRequest: UInt64 = 0
        var waiters: [String: Waiter] = [:]
        /// The `id` of the `auth` request in flight: an `error` frame without an `id` answers it.
        var handshakeID: String?
        /// The first `ready` frame, or the first `error` frame before one, for ``ProtocolConnection/ready(timeout:)``.
        var handshakeFrame: ClientJSON?
        var session: ClientSession?

        /// Kept frames; `log[0]` is frame number `logStart`.
        var log: [ClientJSON] = []
        var logStart = 0
        /// Frames put into the log so far (the next frame's number).
        var received: Int { logStart + log.count }
        let keptFrames: Int?
        /// Bumped on every change a waiter may look for (a frame, the handshake, the close).
        var version: UInt64 = 0
        var watchers: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWatcher: UInt64 = 0

        /// The reader, waiting for demand (``Configuration/readsAhead`` off).
        var reader: CheckedContinuation<Bool, Never>?

        var outbox: [Outgoing] = []
        /// The writer, waiting for frames.
        var writer: CheckedContinuation<[Outgoing]?, Never>?
        /// A frame is being written (by the writer, or by a caller of `write` directly).
        var writing = false
        var closed = false
        var lastReceived = ContinuousClock.now

        init(keptFrames: Int?) {
            self.keptFrames = keptFrames.map { max(0, $0) }
        }

        /// A fresh request id, registered.
        mutating func register(handshake: Bool) -> String? {
            guard !closed else { return nil }
            var id: String
            repeat {
                nextRequest &+= 1
                id = "r\(nextRequest)"
            } while waiters[id] != nil
            waiters[id] = .registered
            if handshake { handshakeID = id }
            return id
        }

        /// Claims the connection for a caller's own write when nothing is queued or being
        /// written (`true`); `false`: queue it; `nil`: closed.
        mutating func beginDirectWrite() -> Bool? {
            guard !closed else { return nil }
            guard !writing, outbox.isEmpty else { return false }
            writing = true
            return true
        }

        /// The queued frames, when the writer waits and nothing is being written: it gets them.
        mutating func handOver() -> (CheckedContinuation<[Outgoing]?, Never>, [Outgoing])? {
            guard !writing, !outbox.isEmpty, let writer else { return nil }
            self.writer = nil
            writing = true
            defer { outbox.removeAll() }
            return (writer, outbox)
        }

        /// Whether someone waits for a frame: a request not answered yet, or a frame wait.
        var hasDemand: Bool {
            !watchers.isEmpty || waiters.values.contains { if case .answered = $0 { false } else { true } }
        }

        /// The reader to wake, when it waits and there is demand now.
        mutating func readerToWake() -> CheckedContinuation<Bool, Never>? {
            guard hasDemand, let reader else { return nil }
            self.reader = nil
            return reader
        }

        /// Removes waiter `id`.
        mutating func remove(_ id: String) -> Waiter? {
            if handshakeID == id { handshakeID = nil }
            return waiters.removeValue(forKey: id)
        }

        /// Appends a frame to the log (dropping the oldest beyond the bound) and returns the
        /// watchers to wake.
        mutating func append(_ frame: ClientJSON) -> [CheckedContinuation<Void, Never>] {
            if keptFrames == 0 {
                logStart += 1
            } else {
                log.append(frame)
                if let keptFrames, log.count > 2 * keptFrames {
                    // Dropped in batches, so a long-lived connection does not shift the log on every frame.
                    let drop = log.count - keptFrames
                    log.removeFirst(drop)
                    logStart += drop
                }
            }
            return changed()
        }

        /// Notes a change and returns the watchers to wake.
        mutating func changed() -> [CheckedContinuation<Void, Never>] {
            version &+= 1
            defer { watchers.removeAll() }
            return Array(watchers.values)
        }

        /// Kept frames from number `index` on (or from the oldest kept), and the number of the first
        /// (beyond the last frame when none came yet).
        func frames(from index: Int) -> (start: Int, frames: ArraySlice<ClientJSON>) {
            let start = max(index, logStart)
            return (start, log[min(start - logStart, log.count)...])
        }
    }
}
