import Logging
import MessagingCore
import ServiceLifecycle
import Synchronization

/// A member's new read position, as written and broadcast.
///
/// Thread safety: a value type; safe to share across tasks.
public struct ReadReceipt: Hashable, Sendable {
    /// The reader.
    public let userID: UserID
    /// The conversation.
    public let conversationID: ConversationID
    /// The read position (highest `seq` read).
    public let readSeq: Int64

    /// Makes a receipt.
    public init(userID: UserID, conversationID: ConversationID, readSeq: Int64) {
        self.userID = userID
        self.conversationID = conversationID
        self.readSeq = readSeq
    }
}

/// Coalesces read-state updates in a short window: many "read up to" calls of one member
/// in one conversation become one write (of the highest `seq`) and one broadcast.
///
/// Run it in the host's `ServiceGroup`; it flushes every `window` and once more on shutdown.
/// ``record(_:upTo:by:)`` (the gateway's `read` frame) checks an update at once and leaves the
/// write to the next flush.
///
/// Thread safety: state behind a `Mutex`; safe to share across tasks.
public final class ReadReceiptCoalescer: Service, Sendable {
    private struct Key: Hashable {
        let user: UserID
        let conversation: ConversationID
    }

    private let pending = Mutex<[Key: Int64]>([:])
    private let messaging: Messaging
    private let window: Duration
    private let clock: any Clock<Duration>
    private let logger: Logger
    private let broadcast: @Sendable ([ReadReceipt]) async -> Void

    /// Makes a coalescer writing through `messaging` and handing what it wrote to `broadcast`.
    public init(
        messaging: Messaging, window: Duration = .milliseconds(500), clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger, broadcast: @escaping @Sendable ([ReadReceipt]) async -> Void
    ) {
        self.messaging = messaging
        self.window = window
        self.clock = clock
        self.logger = logger
        self.broadcast = broadcast
    }

    /// Records that `user` read `conversation` up to `seq` (kept if higher than a pending one).
    public func markRead(_ conversation: ConversationID, upTo seq: Int64, by user: UserID) {
        pending.withLock { pending in
            let key = Key(user: user, conversation: conversation)
            pending[key] = max(pending[key] ?? 0, seq)
        }
    }

    /// Checks a read-position update exactly as the use case's write would (membership, a
    /// `seq` within the log), records it for the next flush, and returns the position the
    /// member has once it is written (never lower than before).
    ///
    /// This is the gateway's `read` frame: the check is one read transaction, and a client
    /// reporting every event it displays costs one write per member and conversation per
    /// window instead of one per frame. The flush writes through the membership-checked use
    /// case again, so a member removed meanwhile is not written. An update that was answered
    /// but not yet flushed is lost if the process dies; clients send their position again
    /// after reconnecting (read state is a watermark, so repeats are harmless).
    /// Throws what `MessagingCore.ReadStateService.markRead(_:upTo:by:)` throws.
    public func record(_ conversation: ConversationID, upTo seq: Int64, by user: UserID) async throws -> Int64 {
        let position = try await messaging.readState.checkMarkRead(conversation, upTo: seq, by: user)
        return pending.withLock { pending in
            let key = Key(user: user, conversation: conversation)
            let highest = max(pending[key] ?? 0, seq)
            pending[key] = highest
            return max(position, highest)
        }
    }

    /// Writes every pending update (each through the membership-checked use case) and
    /// broadcasts the ones that moved a read position. Returns them.
    @discardableResult
    public func flush() async -> [ReadReceipt] {
        let batch = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        var written: [ReadReceipt] = []
        for (key, seq) in batch.sorted(by: { ($0.key.conversation, $0.key.user) < ($1.key.conversation, $1.key.user) }) {
            do {
                if try await messaging.readState.advanceRead(key.conversation, upTo: seq, by: key.user) {
                    written.append(ReadReceipt(userID: key.user, conversationID: key.conversation, readSeq: seq))
                }
            } catch {
                logger.warning("read-state update rejected", metadata: ["conversation": "\(key.conversation)", "error": "\(error)"])
            }
        }
        if !written.isEmpty { await broadcast(written) }
        return written
    }

    /// Flushes every window until shutdown, then once more.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.clock.sleep(for: self.window)
                } catch {
                    break
                }
                await self.flush()
            }
        }
        // Detached: the run task may be cancelled, and the last updates must still be written.
        _ = await Task.detached { await self.flush() }.value
    }
}
