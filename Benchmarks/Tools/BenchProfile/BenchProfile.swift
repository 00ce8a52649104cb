import BenchSupport
import Foundation
import GRDB
import MessagingCore
import MessagingPersistence

/// Runs one benchmark operation N times without the benchmark harness (no malloc
/// interposer) and prints wall-clock and process CPU time (all threads) per operation.
/// CPU time is what to compare on a busy machine: time the process spends preempted by
/// other processes is not in it, while the work of every thread it wakes is.
///
///     BenchProfile <scenario> <iterations> [depth]
///
/// Scenarios: page.store, page.raw, page.history, page.rawHistory, read.storeEmpty,
/// send.ours, send.raw. Also usable under a profiler (`perf record`, or callgrind where
/// valgrind copes with the Swift runtime).
@main
struct BenchProfile {
    /// A synchronous entry point: valgrind 3.19 crashes under `dispatch_main`, which an
    /// async `main` parks the main thread in.
    static func main() {
        let done = DispatchSemaphore(value: 0)
        // Detached: `main` is main-actor isolated, and the main thread waits below.
        Task.detached {
            do {
                try await run()
            } catch {
                log("failed: \(error)")
                exit(1)
            }
            done.signal()
        }
        done.wait()
    }

    static func run() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 3, let iterations = Int(arguments[2]) else {
            log("usage: BenchProfile <scenario> <iterations> [depth]")
            exit(2)
        }
        let scenario = arguments[1]
        let depth = arguments.count > 3 ? Int(arguments[3]) ?? 0 : 0
        switch scenario {
        case "page.grdbFastUUID":
            try await grdbPage(iterations: iterations, depth: depth)
        case "page.store", "page.raw", "page.history", "page.rawHistory", "read.storeEmpty":
            try await page(scenario, iterations: iterations, depth: depth)
        case "send.ours", "send.raw":
            try await send(scenario, iterations: iterations)
        default:
            log("unknown scenario \(scenario)")
            exit(2)
        }
    }

    static func page(_ scenario: String, iterations: Int, depth: Int) async throws {
        let fixture = try PaginationFixture.prepare()
        let conversation = fixture.conversationID
        let reader = fixture.readerID
        let cursor = fixture.lastSeq - Int64(depth) + 1
        var rows = 0
        let meter = Meter()
        switch scenario {
        case "page.store", "page.history", "read.storeEmpty":
            let store = try SQLiteMessagingStore(path: fixture.path)  // the defaults: reads on the caller's thread
            let messaging = Messaging(store: store)
            let request = HistoryRequest(direction: .backward, cursor: cursor, limit: 50, includesSummaries: false)
            for _ in 0..<iterations {
                switch scenario {
                case "page.store":
                    rows += try await store.read { tx in try tx.messages(in: conversation, before: cursor, limit: 50) }.count
                case "page.history":
                    rows += try await messaging.messages.history(of: conversation, for: reader, request).messages.count
                default:
                    rows += try await store.read { _ in 1 }
                }
            }
        default:
            let raw = try RawPageReader(database: RawDatabase(path: fixture.path))
            for _ in 0..<iterations {
                if scenario == "page.raw" {
                    rows += try raw.page(in: conversation.uuid, before: cursor, limit: 50).count
                } else {
                    rows += try raw.history(of: conversation.uuid, for: reader.uuid, before: cursor, limit: 50).rows.count
                }
            }
        }
        meter.report("\(scenario) depth=\(depth)", iterations: iterations, note: "\(rows) rows")
    }

    /// Our store's page read (async `DatabasePool.read`, cached statement, the same `Message`
    /// values) with one change: ids decoded from the blob's bytes by a non-generic function,
    /// instead of the unspecialized generic `UUIDv7(bytes:)` RowCoding calls. An estimate of
    /// what that change alone would give.
    static func grdbPage(iterations: Int, depth: Int) async throws {
        let fixture = try PaginationFixture.prepare()
        let pool = try DatabasePool(path: fixture.path)
        let conversation = fixture.conversationID
        let cursor = fixture.lastSeq - Int64(depth) + 1
        let sql = "SELECT \(StoreSQL.messageColumns) FROM messages m WHERE m.conversation_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?"
        var rows = 0
        let meter = Meter()
        for _ in 0..<iterations {
            rows += try await pool.read { db in
                let blob = withUnsafeBytes(of: (conversation.uuid.high.bigEndian, conversation.uuid.low.bigEndian)) { Data($0) }
                let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: [blob, cursor, 50])
                var result: [Message] = []
                while let row = try cursor.next() { result.append(try FastCoding.message(from: row)) }
                return result
            }.count
        }
        meter.report("page.grdbFastUUID depth=\(depth)", iterations: iterations, note: "\(rows) rows")
    }

    static func send(_ scenario: String, iterations: Int) async throws {
        let directory = try BenchPaths.makeTemporaryDirectory("messaging-profile")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/messages.sqlite"
        var store: SQLiteMessagingStore? = try SQLiteMessagingStore(path: path)
        let messaging = Messaging(store: store!)
        let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
        let bob = try await messaging.users.register(handle: "bob", displayName: "Bob")
        let room = try await messaging.conversations.create(.group(title: "Bench", members: [bob.id]), by: alice.id)
        let meter = Meter()
        if scenario == "send.ours" {
            for n in 0..<iterations {
                let draft = try MessageDraft(text: "Could you review my PR before the end of day? It's small.",
                                             clientMessageID: ClientMessageID("c-\(n)"))
                _ = try await messaging.messages.send(draft, to: room.id, by: alice.id)
            }
        } else {
            store = nil
            let database = try RawDatabase(path: path)
            try database.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            let raw = try RawSender(database: database)
            meter.restart()
            for n in 0..<iterations {
                _ = try raw.send([("Could you review my PR before the end of day? It's small.", "c-\(n)")],
                                 to: room.id.uuid, by: alice.id.uuid)
            }
        }
        withExtendedLifetime(store) {}
        meter.report(scenario, iterations: iterations, note: "")
    }
}

/// Wall-clock and process CPU time since it was made (or restarted).
final class Meter {
    var wall = ContinuousClock.now
    var cpu = Meter.processCPU()

    func restart() {
        wall = ContinuousClock.now
        cpu = Meter.processCPU()
    }

    static func processCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
    }

    func report(_ label: String, iterations: Int, note: String) {
        let elapsed = ContinuousClock.now - wall
        let wallMicros = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        let cpuMicros = Meter.processCPU() - cpu
        print(String(
            format: "%@\twall %.1f us/op\tcpu %.1f us/op\t(%d ops) %@", label,
            wallMicros / Double(iterations), cpuMicros / Double(iterations), iterations, note))
    }
}

/// `RowCoding.message(from:)` of MessagingPersistence, copied, with ids read by a
/// non-generic big-endian load (the only difference).
enum FastCoding {
    static func uuid(_ row: Row, _ index: Int) throws -> UUIDv7 {
        let value = try row.withUnsafeData(atIndex: index) { data -> UUIDv7? in
            guard let data, data.count == 16 else { return nil }
            return data.withUnsafeBytes { bytes in
                UUIDv7(
                    high: UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)),
                    low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            }
        }
        guard let value else { throw MessagingError(code: .storage, message: "bad id") }
        return value
    }

    static func id<Kind>(_ row: Row, _ index: Int) throws -> Identifier<Kind> { Identifier(try uuid(row, index)) }

    static func optionalID<Kind>(_ row: Row, _ index: Int) throws -> Identifier<Kind>? {
        row.hasNull(atIndex: index) ? nil : try id(row, index)
    }

    static func optionalTimestamp(_ row: Row, _ index: Int) -> Timestamp? {
        (row[index] as Int64?).map(Timestamp.init(millisecondsSince1970:))
    }

    static func userIDs(_ row: Row, _ index: Int) throws -> [UserID] {
        guard let data = row[index] as Data? else { return [] }
        return try stride(from: 0, to: data.count, by: 16).map { offset in
            try data[data.startIndex + offset..<data.startIndex + offset + 16].withUnsafeBytes { bytes in
                guard let uuid = UUIDv7(
                    high: UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)),
                    low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                else { throw MessagingError(code: .storage, message: "bad id") }
                return UserID(uuid)
            }
        }
    }

    static func message(from row: Row) throws -> Message {
        guard let kind = MessageKind(rawValue: row[5]) else { throw MessagingError(code: .storage, message: "kind") }
        let deletedAt = optionalTimestamp(row, 13)
        var body: MessageBody?
        if deletedAt == nil {
            switch kind {
            case .encrypted: body = .ciphertext(row[6] as Data)
            case .text, .system: body = .text(row[6] as String)
            }
        }
        var attachments: [AttachmentReference] = []
        if let json = row[10] as String? {
            attachments = try JSONDecoder().decode([AttachmentReference].self, from: Data(json.utf8))
        }
        return Message(
            id: try id(row, 0), conversationID: try id(row, 1), senderID: try id(row, 3),
            seq: row[2], clientMessageID: try ClientMessageID(row[4] as String), kind: kind,
            body: body, replyToID: try optionalID(row, 7), threadRootID: try optionalID(row, 8),
            mentions: try userIDs(row, 9), attachments: attachments, createdAt: Timestamp(millisecondsSince1970: row[11]),
            editedAt: optionalTimestamp(row, 12), deletedAt: deletedAt,
            contentDigest: UInt64(bitPattern: row[14]))
    }
}
