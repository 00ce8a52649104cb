import Foundation

/// The bounded memory behind replay detection: the most recent `capacity` distinct
/// `(conversation, sender device, client message id)` triples, evicted oldest first.
///
/// A plain value whose transitions are tested synchronously; ``MessageReceiver`` keeps one
/// behind a mutex. Memory is bounded by `capacity` entries of at most ~120 bytes each.
struct ReplayWindow: Sendable {
    struct Entry: Hashable, Sendable {
        let conversationID: UUID
        let senderDeviceID: UUID
        let clientMessageID: String
    }

    let capacity: Int
    private var seen: Set<Entry> = []
    private var order: [Entry?]
    private var next = 0

    init(capacity: Int) {
        precondition(capacity > 0, "replay window capacity must be positive")
        self.capacity = capacity
        order = Array(repeating: nil, count: capacity)
        seen.reserveCapacity(capacity)
    }

    /// The number of remembered triples.
    var count: Int { seen.count }

    /// Whether `entry` is currently remembered.
    func contains(_ entry: Entry) -> Bool {
        seen.contains(entry)
    }

    /// Records `entry`; returns `true` if it was new (fresh) and `false` if it is a replay.
    /// A replay does not refresh the entry's age.
    mutating func record(_ entry: Entry) -> Bool {
        guard !seen.contains(entry) else { return false }
        if let evicted = order[next] {
            seen.remove(evicted)
        }
        order[next] = entry
        seen.insert(entry)
        next = (next + 1) % capacity
        return true
    }
}
