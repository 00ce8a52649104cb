import Logging
import MessagingCore
import MessagingTransport
import Synchronization

extension ProtocolConnection {
    // MARK: Reading

    /// Reads frames until the connection ends, then shuts down.
    func read(_ handler: @Sendable (ClientJSON) -> Void) async {
        while true {
            if !configuration.readsAhead, !(await demand()) { break }
            let frame: TransportFrame?
            do {
                frame = try await connection.receive()
            } catch {
                break
            }
            guard let frame else { break }
            if let json = receive(frame) { handler(json) }
        }
        shutDown()
    }

    /// Returns once someone waits for a frame (`true`) or the connection is shut down (`false`).
    private func demand() async -> Bool {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool? in
                if state.closed { return false }
                if state.hasDemand { return true }
                state.reader = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// Routes one frame: an answer to its waiter, anything else into the log (returned, for
    /// the handler); `nil` for an answer or a frame that is ignored.
    func receive(_ frame: TransportFrame) -> ClientJSON? {
        guard let json = ClientJSON(parsing: frame.bytes), let type = json["type"]?.string else {
            state.withLock { $0.lastReceived = .now }
            logger.warning("the server sent a frame that is not a JSON object with a type; ignored")
            return nil
        }
        enum Route {
            case answered(CheckedContinuation<ClientJSON, any Error>?, [CheckedContinuation<Void, Never>])
            case kept([CheckedContinuation<Void, Never>])
            case dropped
        }
        let isAnswer = type == "ok" || type == "error" || type == "ready"
        let route = state.withLock { state -> Route in
            state.lastReceived = .now
            guard !state.closed else { return .dropped }
            var wake: [CheckedContinuation<Void, Never>] = []
            if type == "ready" || (type == "error" && state.session == nil), state.handshakeFrame == nil {
                if type == "ready" { state.session = Self.readySession(json) }
                state.handshakeFrame = json
                wake = state.changed()
            }
            var target = isAnswer ? json["id"]?.string.flatMap { state.waiters[$0] == nil ? nil : $0 } : nil
            if target == nil, type == "error", state.session == nil, let handshake = state.handshakeID {
                target = handshake  // a refusal of the handshake that could not read its id
            }
            if let target {
                if case .waiting(let continuation)? = state.remove(target) { return .answered(continuation, wake) }
                state.waiters[target] = .answered(json)
                return .answered(nil, wake)
            }
            return .kept(wake + state.append(json))
        }
        switch route {
        case .answered(let continuation, let watchers):
            continuation?.resume(returning: json)
            for watcher in watchers { watcher.resume() }
            return nil
        case .dropped:
            return nil
        case .kept(let watchers):
            for watcher in watchers { watcher.resume() }
            answerAutomatically(json, type: type)
            return json
        }
    }

    /// A `pong` for a `ping`, an `ack` for an event, as configured.
    private func answerAutomatically(_ json: ClientJSON, type: String) {
        var answer: [String: ClientJSON]?
        if type == "ping", configuration.answersPings {
            answer = ClientRequest.Body.pong.fields
        } else if type == "event", configuration.acknowledgesEvents, let event = json["event"],
            let conversation = event["conversation"]?.string, let seq = event["seq"]?.integer
        {
            answer = ["type": "ack", "conversation": .string(conversation), "seq": .integer(seq)]
        }
        guard let answer else { return }
        _ = enqueue(Outgoing(frame: .text(ClientJSON.object(answer).text), done: nil), automatic: true)
    }

    // MARK: Writing

    /// Queues a frame for the writer; `false` once closed (or, for an automatic frame, while
    /// the queue is full).
    func enqueue(_ item: Outgoing, automatic: Bool = false) -> Bool {
        let handOver = state.withLock { state -> (CheckedContinuation<[Outgoing]?, Never>, [Outgoing])?? in
            guard !state.closed else { return nil }
            if automatic, state.outbox.count >= Configuration.automaticFrameLimit { return nil }
            state.outbox.append(item)
            return .some(state.handOver())
        }
        guard let handOver else { return false }
        if let (writer, batch) = handOver { writer.resume(returning: batch) }
        return true
    }

    /// Ends a caller's own write: what was queued meanwhile goes to the writer.
    func endDirectWrite() {
        let handOver = state.withLock { state in
            state.writing = false
            return state.handOver()
        }
        if let (writer, batch) = handOver { writer.resume(returning: batch) }
    }

    /// Writes queued frames, one at a time, until the connection is shut down.
    func writeQueued() async {
        while let batch = await nextBatch() {
            for item in batch {
                do {
                    try await connection.write(item.frame)
                    item.done?.resume()
                } catch {
                    item.done?.resume(throwing: Self.writeFailed)
                }
            }
            state.withLock { $0.writing = false }
        }
    }

    private func nextBatch() async -> [Outgoing]? {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> [Outgoing]?? in
                if state.closed { return .some(nil) }
                if !state.writing, !state.outbox.isEmpty {
                    state.writing = true
                    defer { state.outbox.removeAll() }
                    return .some(state.outbox)
                }
                state.writer = continuation
                return .none
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    // MARK: Requests

    /// Sends `fields` with a fresh id and waits for the answer frame.
    func exchange(_ fields: [String: ClientJSON], timeout: Duration, handshake: Bool) async throws -> ClientJSON {
        guard let (id, reader) = state.withLock({ state in state.register(handshake: handshake).map { ($0, state.readerToWake()) } }) else {
            throw Self.closedError
        }
        reader?.resume(returning: true)
        var object = fields
        object["id"] = .string(id)
        _ = enqueue(Outgoing(frame: .text(ClientJSON.object(object).text), done: nil))  // once closed, the waiter fails
        return try await withThrowingTaskGroup(of: ClientJSON?.self) { group in
            group.addTask { try await self.awaitAnswer(id) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            if let answer = try await group.next() ?? nil { return answer }
            try Task.checkCancellation()
            throw RealtimeClientError(code: .timedOut, message: "No answer to '\(fields["type"]?.string ?? "?")' within \(timeout).")
        }
    }

    /// The answer to request `id`; removes the waiter when cancelled.
    private func awaitAnswer(_ id: String) async throws -> ClientJSON {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let now = state.withLock { state -> Result<ClientJSON, any Error>? in
                    guard let waiter = state.waiters[id] else { return .failure(Self.closedError) }
                    if Task.isCancelled {
                        _ = state.remove(id)
                        return .failure(CancellationError())
                    }
                    switch waiter {
                    case .answered(let answer):
                        _ = state.remove(id)
                        return .success(answer)
                    case .registered, .waiting:
                        state.waiters[id] = .waiting(continuation)
                        return nil
                    }
                }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            if case .waiting(let continuation)? = state.withLock({ $0.remove(id) }) {
                continuation.resume(throwing: CancellationError())
            }
        }
    }

    // MARK: Waiting for changes

    /// Returns when something changed after `version` (a frame, the handshake, the close),
    /// or at `deadline`.
    func waitForChange(since version: UInt64, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.change(since: version) }
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    private func change(since version: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWatcher &+= 1
            return state.nextWatcher
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let (now, reader) = state.withLock { state -> (Bool, CheckedContinuation<Bool, Never>?) in
                    if state.version != version || state.closed || Task.isCancelled { return (true, nil) }
                    state.watchers[id] = continuation
                    return (false, state.readerToWake())
                }
                if now { continuation.resume() }
                reader?.resume(returning: true)
            }
        } onCancel: {
            state.withLock { $0.watchers.removeValue(forKey: id) }?.resume()
        }
    }

    // MARK: Shutting down

    /// Marks the connection closed: waiting requests fail, queued writes fail, the writer
    /// and frame waiters wake up. Does not close the transport connection.
    func shutDown() {
        let (waiters, outbox, writer, watchers, reader) = state.withLock { state in
            guard !state.closed else {
                return (
                    [CheckedContinuation<ClientJSON, any Error>](), [Outgoing](), CheckedContinuation<[Outgoing]?, Never>?.none,
                    [CheckedContinuation<Void, Never>](), CheckedContinuation<Bool, Never>?.none
                )
            }
            state.closed = true
            let waiters = state.waiters.values.compactMap { waiter -> CheckedContinuation<ClientJSON, any Error>? in
                if case .waiting(let continuation) = waiter { return continuation }
                return nil
            }
            state.waiters.removeAll()
            state.handshakeID = nil
            let outbox = state.outbox
            state.outbox.removeAll()
            defer {
                state.writer = nil
                state.reader = nil
            }
            return (waiters, outbox, state.writer, state.changed(), state.reader)
        }
        reader?.resume(returning: false)
        for waiter in waiters { waiter.resume(throwing: Self.closedError) }
        for item in outbox { item.done?.resume(throwing: Self.closedError) }
        writer?.resume(returning: nil)
        for watcher in watchers { watcher.resume() }
    }

    // MARK: Answers

    /// The session of a handshake answer, or the error it carries.
    static func session(of answer: ClientJSON) throws -> ClientSession {
        switch answer["type"]?.string {
        case "ready":
            guard let session = readySession(answer) else {
                throw RealtimeClientError(code: .invalidResponse, message: "The ready frame carries no valid user or device.")
            }
            return session
        case "error":
            throw serverError(answer)
        default:
            throw RealtimeClientError(code: .invalidResponse, message: "The handshake was answered with neither ready nor error.")
        }
    }

    static func readySession(_ json: ClientJSON) -> ClientSession? {
        guard let user = json["user"]?.string.flatMap(UserID.init), let device = json["device"]?.string.flatMap(DeviceID.init) else {
            return nil
        }
        return ClientSession(
            userID: user, sessionID: json["session"]?.string ?? "", deviceID: device,
            heartbeatMilliseconds: json["heartbeatMs"]?.integer ?? 30_000,
            idleTimeoutMilliseconds: json["idleTimeoutMs"]?.integer ?? 60_000)
    }

    /// The typed error of an `error` frame.
    static func serverError(_ frame: ClientJSON) -> RealtimeClientError {
        RealtimeClientError(
            code: .server, message: frame["message"]?.string ?? "", serverCode: frame["code"]?.string,
            retryAfterMilliseconds: frame["retryAfterMs"]?.integer)
    }
}
