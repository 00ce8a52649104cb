import Foundation
import MessagingCore
import MessagingTesting
import MessagingPersistence
import MessagingPresence
import Synchronization
import Testing

/// An audience the test sets up by hand: conversations and their members. Counts calls.
final class FixedAudience: PresenceAudience {
    private let conversations = Mutex<[ConversationID: Set<UserID>]>([:])
    private let calls = Mutex(0)
    private let ids = UUIDv7Generator()

    var callCount: Int { calls.withLock { $0 } }

    func makeConversation(_ members: [UserID]) -> ConversationID {
        let id: ConversationID = ids.next()
        conversations.withLock { $0[id] = Set(members) }
        return id
    }

    func setMember(_ user: UserID, of conversation: ConversationID, _ isMember: Bool) {
        conversations.withLock { all in
            if isMember { all[conversation, default: []].insert(user) } else { all[conversation]?.remove(user) }
        }
    }

    func sharesConversation(_ user: UserID, _ other: UserID) async throws -> Bool {
        calls.withLock { $0 += 1 }
        return conversations.withLock { $0.values.contains { $0.contains(user) && $0.contains(other) } }
    }

    func isMember(_ user: UserID, of conversation: ConversationID) async throws -> Bool {
        calls.withLock { $0 += 1 }
        return conversations.withLock { $0[conversation]?.contains(user) ?? false }
    }

    func members(of conversation: ConversationID) async throws -> [UserID] {
        calls.withLock { $0 += 1 }
        return conversations.withLock { Array($0[conversation] ?? []) }
    }
}

/// A presence store that records every call, over an in-memory one.
final class RecordingStore: PresenceStore {
    let inner = InMemoryPresenceStore()
    private let log = Mutex<[String]>([])
    let failing = Mutex(false)

    var calls: [String] { log.withLock { $0 } }

    private func record(_ call: String) throws {
        log.withLock { $0.append(call) }
        if failing.withLock({ $0 }) { throw CancellationError() }
    }

    func save(_ entries: [DeviceEntry]) async throws {
        try record("save devices \(entries.count)")
        try await inner.save(entries)
    }

    func remove(_ devices: [DeviceKey]) async throws {
        try record("remove devices \(devices.count)")
        try await inner.remove(devices)
    }

    func renewLease(of node: PresenceNodeID, until expiry: Timestamp) async throws {
        try await inner.renewLease(of: node, until: expiry)
    }

    func devices(of users: [UserID], at now: Timestamp) async throws -> [DeviceEntry] {
        try await inner.devices(of: users, at: now)
    }

    func removeExpired(at now: Timestamp, limit: Int) async throws -> [DeviceEntry] {
        try await inner.removeExpired(at: now, limit: limit)
    }

    func save(_ records: [PresenceRecord]) async throws {
        try record("save records \(records.count)")
        try await inner.save(records)
    }

    func records(of users: [UserID]) async throws -> [UserID: PresenceRecord] {
        try await inner.records(of: users)
    }
}

/// A tracker on a test clock, with helpers to move time the way `run()` would.
struct Harness {
    let clock = ManualClock()
    let audience: any PresenceAudience
    let store: any PresenceStore
    let tracker: PresenceTracker<ManualClock>
    let ids = UUIDv7Generator()

    init(
        _ configuration: PresenceConfiguration = .init(), audience: any PresenceAudience = FixedAudience(),
        store: any PresenceStore = InMemoryPresenceStore()
    ) throws {
        self.audience = audience
        self.store = store
        tracker = try PresenceTracker(
            configuration: configuration, audience: audience, store: store, clock: clock, wallClock: clock.wall)
    }

    var fixed: FixedAudience { audience as! FixedAudience }

    func user() -> UserID { ids.next() }
    func device() -> DeviceID { ids.next() }

    /// Moves time forward one expiry step at a time, running a step after each, as `run()` does.
    func advance(by duration: Duration) async {
        let step = tracker.configuration.expiryStep
        var left = duration
        while left > .zero {
            let move = min(step, left)
            clock.advance(by: move)
            left -= move
            await tracker.step()
        }
    }

    /// Wall time at the current instant.
    var wallNow: Timestamp { clock.wall.now() }
}

/// A real SQLite-backed `Messaging` in a temporary directory, for membership.
struct SQLiteWorld {
    let directory: URL
    let store: SQLiteMessagingStore
    let messaging: Messaging

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-messaging-presence-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteMessagingStore(path: directory.appendingPathComponent("messaging.sqlite").path)
        messaging = Messaging(store: store)
    }

    func user(_ handle: String) async throws -> UserID {
        try await messaging.users.register(handle: handle, displayName: handle.capitalized).id
    }

    func removeFiles() { try? FileManager.default.removeItem(at: directory) }
}

/// The presence changes in a batch, by user.
func presences(_ changes: [PresenceChange]) -> [UserID: UserPresence] {
    var result: [UserID: UserPresence] = [:]
    for case .presence(let presence) in changes { result[presence.userID] = presence }
    return result
}

func typingChanges(_ changes: [PresenceChange]) -> [TypingChange] {
    changes.compactMap { if case .typing(let change) = $0 { change } else { nil } }
}

/// Asserts that `body` throws a ``PresenceError`` with `code`.
func expectPresenceError<T>(
    _ code: PresenceError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let error as PresenceError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected PresenceError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
