import Synchronization

/// A bounded single-reader queue of frames with backpressure: `send` suspends while the
/// buffer holds `capacity` frames; `finish` ends it (optionally dropping what it holds).
///
/// Thread safety: all state behind one `Mutex`; safe to share across tasks.
package final class FrameChannel: Sendable {
    private struct State {
        var buffer: [TransportFrame] = []
        var head = 0
        var finished = false
        var reader: CheckedContinuation<TransportFrame?, Never>?
        var writers: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextWriterID: UInt64 = 0

        var count: Int { buffer.count - head }

        mutating func popFirst() -> TransportFrame? {
            guard head < buffer.count else { return nil }
            let frame = buffer[head]
            head += 1
            if head > 64, head * 2 > buffer.count {
                buffer.removeFirst(head)
                head = 0
            }
            return frame
        }
    }

    package let capacity: Int
    private let state = Mutex(State())
    private let closedError: @Sendable () -> TransportError

    package init(capacity: Int, closedError: @escaping @Sendable () -> TransportError) {
        self.capacity = max(1, capacity)
        self.closedError = closedError
    }

    /// Frames waiting to be read.
    package var count: Int { state.withLock { $0.count } }

    package func send(_ frame: TransportFrame) async throws {
        while true {
            enum Step { case done, wait, closed }
            let (step, reader) = state.withLock { state -> (Step, CheckedContinuation<TransportFrame?, Never>?) in
                if state.finished { return (.closed, nil) }
                if let reader = state.reader.take() { return (.done, reader) }
                if state.count < capacity {
                    state.buffer.append(frame)
                    return (.done, nil)
                }
                return (.wait, nil)
            }
            switch step {
            case .closed: throw closedError()
            case .done:
                reader?.resume(returning: frame)
                return
            case .wait:
                let id = state.withLock { state -> UInt64 in
                    state.nextWriterID += 1
                    return state.nextWriterID
                }
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                        let resumeNow = state.withLock { state -> Bool in
                            if state.finished || state.count < capacity || Task.isCancelled { return true }
                            state.writers.append((id, continuation))
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                        guard let index = state.writers.firstIndex(where: { $0.id == id }) else { return nil }
                        return state.writers.remove(at: index).continuation
                    }
                    waiter?.resume(throwing: CancellationError())
                }
                try Task.checkCancellation()
            }
        }
    }

    package func next() async -> TransportFrame? {
        let immediate: TransportFrame?? = state.withLock { state in
            if let frame = state.popFirst() { return .some(frame) }
            if state.finished { return .some(nil) }
            return nil
        }
        if let immediate {
            wakeWriter()
            return immediate
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<TransportFrame?, Never>) in
                let now: TransportFrame?? = state.withLock { state in
                    if let frame = state.popFirst() { return .some(frame) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.reader = continuation
                    return nil
                }
                if let now {
                    continuation.resume(returning: now)
                    wakeWriter()
                }
            }
        } onCancel: {
            state.withLock { $0.reader.take() }?.resume(returning: nil)
        }
    }

    /// Ends the channel: pending and later sends throw; the reader gets what is buffered
    /// (unless `dropBuffered`), then `nil`.
    package func finish(dropBuffered: Bool) {
        let (reader, writers) = state.withLock { state in
            state.finished = true
            if dropBuffered {
                state.buffer.removeAll()
                state.head = 0
            }
            let writers = state.writers.map(\.continuation)
            state.writers.removeAll()
            return (state.count == 0 ? state.reader.take() : nil, writers)
        }
        reader?.resume(returning: nil)
        let error = closedError()
        for writer in writers { writer.resume(throwing: error) }
    }

    private func wakeWriter() {
        let writer = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard !state.writers.isEmpty, state.count < capacity else { return nil }
            return state.writers.removeFirst().continuation
        }
        writer?.resume()
    }
}
