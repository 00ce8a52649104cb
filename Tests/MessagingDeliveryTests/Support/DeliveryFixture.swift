import Foundation
import Logging
import MessagingCore
import MessagingDelivery
import MessagingPersistence
import MessagingTesting
import Synchronization

/// Random numbers tests choose: each draw returns `fraction` of its bound (uniformly random
/// when `nil`) and records the bound and the draw.
final class RecordingRandom: RandomSource {
    private let state = Mutex<(bounds: [UInt64], draws: [UInt64])>(([], []))
    let fraction: Double?

    init(fraction: Double?) { self.fraction = fraction }

    func next(upTo upperBound: UInt64) -> UInt64 {
        let value = fraction.map { UInt64((Double(upperBound) * $0).rounded(.down)) } ?? UInt64.random(in: 0...upperBound)
        state.withLock {
            $0.bounds.append(upperBound)
            $0.draws.append(value)
        }
        return value
    }

    var bounds: [UInt64] { state.withLock { $0.bounds } }
    var draws: [UInt64] { state.withLock { $0.draws } }
}

/// A fresh SQLite store in a temporary directory with the use cases and the job queue.
struct DeliveryFixture {
    let directory: URL
    let store: SQLiteMessagingStore
    let clock: ManualClock.Wall
    let messaging: Messaging
    let jobs: SQLiteJobQueue

    init(configuration: MessagingConfiguration = .init()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-messaging-delivery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteMessagingStore(path: directory.appendingPathComponent("messaging.sqlite").path, logger: .quiet)
        clock = ManualClock().wall
        messaging = Messaging(store: store, clock: clock, configuration: configuration)
        jobs = SQLiteJobQueue(store: store)
    }

    var databasePath: String { store.path }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    func users(_ handles: String...) async throws -> [User] {
        var result: [User] = []
        for handle in handles { result.append(try await messaging.users.register(handle: handle, displayName: handle.capitalized)) }
        return result
    }

    /// A group of the given users, created by the first.
    func group(_ users: [User]) async throws -> ConversationID {
        try await messaging.conversations.create(.group(title: "room", members: users.dropFirst().map(\.id)), by: users[0].id).id
    }

    @discardableResult
    func send(_ text: String, to conversation: ConversationID, by user: UserID, mentions: [UserID] = [], key: String? = nil) async throws -> Message {
        let draft = try MessageDraft(text: text, clientMessageID: ClientMessageID(key ?? UUID().uuidString), mentions: mentions)
        return try await messaging.messages.send(draft, to: conversation, by: user).message
    }

    func makeHub(reorderLimit: Int = 1024) -> FanoutHub {
        FanoutHub(messaging: messaging, configuration: FanoutConfiguration(reorderLimit: reorderLimit), logger: .quiet)
    }
}

extension Logger {
    static var quiet: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }
}

/// A session for `user` with a fresh device id.
func makeSession(_ number: UInt64, user: UserID, limits: SessionQueueLimits = .init()) -> OutboundSession {
    OutboundSession(id: ConnectionID(number), userID: user, deviceID: DeviceID(UUIDv7Generator().next()), limits: limits)
}

/// An event of `conversation` at `seq` with small distinct bytes.
func syntheticEvent(_ conversation: ConversationID, _ seq: Int64, size: Int = 8) -> EncodedEvent {
    EncodedEvent(conversationID: conversation, seq: seq, bytes: [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: size))
}

/// Reads everything queued in a session.
func drained(_ session: OutboundSession) -> [EncodedEvent] {
    var events: [EncodedEvent] = []
    session.drain { events.append($0) }
    return events
}

/// The executable SwiftPM builds beside the test bundle.
func builtExecutable(_ name: String) throws -> URL {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = executable.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw MessagingError(
        code: .notFound, message: "\(name) was not found next to \(executable.path); build with `swift build --build-tests` (make test does).")
}
