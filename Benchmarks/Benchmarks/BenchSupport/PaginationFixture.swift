import Foundation
import GRDBSQLite
import MessagingCore
import MessagingPersistence

/// The database the pagination benchmarks read: made through our schema (the store's
/// migrations), then bulk-loaded with raw C inserts. Built once and cached under
/// `Benchmarks/.fixtures/` (or `$MESSAGING_BENCH_FIXTURES`); delete the file to rebuild it.
///
/// Shape (see `Documentation/Benchmarks.md`):
/// - 8 users (the reader and 7 senders), 1,000 group conversations, every user a member of each.
/// - The target conversation holds 1,000,000 messages; the other 999 hold 100 each (99,900).
/// - Insertion order interleaves them evenly: about one other conversation's message after
///   every 10 of the target's, so the target's rows are not contiguous in the rowid table.
/// - Text bodies of 3–40 words; 1 in 20 messages replies to the previous one of its
///   conversation, 1 in 50 mentions a member, 1 in 100 is edited, 1 in 500 is a tombstone.
///   No attachments, no search-index rows and no events (the page query reads neither).
public struct PaginationFixture: Sendable {
    public static let version = 1
    public static let conversationCount = 1_000
    public static let targetMessageCount = 1_000_000
    public static let otherMessagesPerConversation = 100

    /// The database file.
    public let path: String
    /// The conversation with 1,000,000 messages.
    public let conversationID: ConversationID
    /// A member of every conversation.
    public let readerID: UserID
    /// The target conversation's `last_seq` (= its message count, seqs are 1...lastSeq).
    public let lastSeq: Int64

    /// The cached fixture, built first when it is missing.
    public static func prepare() throws -> PaginationFixture {
        let directory = BenchPaths.fixtures
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/pagination-v\(version)-\(conversationCount)x\(targetMessageCount).sqlite"
        if FileManager.default.fileExists(atPath: path) {
            if let fixture = try? load(path: path) {
                log("using cached fixture \(path)")
                return fixture
            }
            log("cached fixture \(path) is unreadable or incomplete; rebuilding it")
            try? FileManager.default.removeItem(atPath: path)
        }
        try build(path: path)
        return try load(path: path)
    }

    /// Reads the target conversation and the reader from an existing fixture.
    static func load(path: String) throws -> PaginationFixture {
        let database = try RawDatabase(path: path)
        let target = try database.prepare("SELECT id, last_seq FROM conversations ORDER BY last_seq DESC LIMIT 1")
        guard try target.step() else { throw RawSQLiteError(code: 0, message: "fixture has no conversation") }
        let conversationID = ConversationID(try target.uuid(0))
        let lastSeq = target.int64(1)
        let reader = try database.prepare("SELECT id FROM users WHERE handle = 'reader'")
        guard try reader.step() else { throw RawSQLiteError(code: 0, message: "fixture has no reader") }
        let readerID = UserID(try reader.uuid(0))
        // Rows are never deleted from the fixture, so the largest row id is the row count.
        let count = try database.prepare("SELECT max(row_id) FROM messages")
        _ = try count.step()
        let expected = Int64(targetMessageCount + (conversationCount - 1) * otherMessagesPerConversation)
        guard lastSeq == Int64(targetMessageCount), count.int64(0) == expected else {
            throw RawSQLiteError(code: 0, message: "fixture is incomplete")
        }
        return PaginationFixture(path: path, conversationID: conversationID, readerID: readerID, lastSeq: lastSeq)
    }

    // MARK: Building

    static func build(path: String) throws {
        let partial = path + ".partial"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: partial + suffix) }
        let free = (try? FileManager.default.attributesOfFileSystem(forPath: BenchPaths.fixtures)[.systemFreeSize] as? Int64) ?? nil
        if let free, free < 3 << 30 {
            throw RawSQLiteError(code: 0, message: "the fixture needs about 1 GiB while building; only \(free >> 20) MiB are free")
        }
        log("building fixture \(path) (about 1.1M messages; takes a minute or two, once)")
        let started = Date()

        // The schema, exactly as the store makes it.
        do { _ = try SQLiteMessagingStore(path: partial) }
        // The raw connection closes when `fill` returns, which removes the -wal and -shm files.
        try fill(partial, started: started)
        try FileManager.default.moveItem(atPath: partial, toPath: path)
        let size = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
        log("fixture ready: \(size >> 20) MiB in \(Int(Date().timeIntervalSince(started))) s")
    }

    /// Loads users, conversations, members and messages with raw C inserts in big transactions.
    static func fill(_ partial: String, started: Date) throws {
        let database = try RawDatabase(path: partial)
        try database.execute("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;")

        var random = SplitMix64(seed: 0x6D65_7373_6167_6573)
        let start: Int64 = 1_735_689_600_000  // 2025-01-01T00:00:00Z
        let userIDs = (0..<8).map { index in
            UUIDv7(unixMilliseconds: UInt64(start - 86_400_000 + Int64(index)), randomA: 0, randomB: random.next())
        }
        let conversationIDs = (0..<conversationCount).map { index in
            UUIDv7(unixMilliseconds: UInt64(start - 3_600_000 + Int64(index)), randomA: 0, randomB: random.next())
        }
        let target = 0

        try database.execute("BEGIN")
        let insertUser = try database.prepare(
            "INSERT INTO users (id, handle, display_name, created_at) VALUES (?, ?, ?, ?)")
        for (index, id) in userIDs.enumerated() {
            insertUser.reset()
            insertUser.bind(1, id)
            insertUser.bind(2, index == 0 ? "reader" : "sender\(index)")
            insertUser.bind(3, index == 0 ? "Reader" : "Sender \(index)")
            insertUser.bind(4, start - 86_400_000)
            try insertUser.run()
        }
        let insertConversation = try database.prepare(
            """
            INSERT INTO conversations (id, kind, title, topic, creator_id, direct_key, created_at, last_seq, last_activity_at)
            VALUES (?, 'group', ?, NULL, ?, NULL, ?, ?, ?)
            """)
        let insertMember = try database.prepare(
            "INSERT INTO members (conversation_id, user_id, role, joined_at, read_seq) VALUES (?, ?, ?, ?, 0)")
        for (index, id) in conversationIDs.enumerated() {
            let count = index == target ? targetMessageCount : otherMessagesPerConversation
            insertConversation.reset()
            insertConversation.bind(1, id)
            insertConversation.bind(2, "Conversation \(index)")
            insertConversation.bind(3, userIDs[0])
            insertConversation.bind(4, start - 3_600_000)
            insertConversation.bind(5, Int64(count))
            insertConversation.bind(6, start)  // set to the last message's time below
            try insertConversation.run()
            for (userIndex, user) in userIDs.enumerated() {
                insertMember.reset()
                insertMember.bind(1, id)
                insertMember.bind(2, user)
                insertMember.bind(3, userIndex == 0 ? "owner" : "member")
                insertMember.bind(4, start - 3_600_000)
                try insertMember.run()
            }
        }
        try database.execute("COMMIT")

        let insert = try database.prepare(StoreSQL.insertMessage)
        let otherTotal = (conversationCount - 1) * otherMessagesPerConversation
        let total = targetMessageCount + otherTotal
        var seqs = [Int64](repeating: 0, count: conversationCount)
        var lastIDs = [UUIDv7?](repeating: nil, count: conversationCount)
        var lastTimes = [Int64](repeating: start, count: conversationCount)
        var targetPlaced = 0
        var otherPlaced = 0
        try database.execute("BEGIN")
        for row in 0..<total {
            // Spread the other conversations' rows evenly between the target's.
            let placeOther = otherPlaced < otherTotal
                && (targetPlaced >= targetMessageCount
                    || Int64(otherPlaced) * Int64(targetMessageCount) < Int64(targetPlaced) * Int64(otherTotal))
            let conversation: Int
            if placeOther {
                conversation = 1 + otherPlaced % (conversationCount - 1)
                otherPlaced += 1
            } else {
                conversation = target
                targetPlaced += 1
            }
            seqs[conversation] += 1
            let createdAt = start + Int64(row) * 997
            let id = UUIDv7(
                unixMilliseconds: UInt64(createdAt), randomA: UInt16(truncatingIfNeeded: random.next()),
                randomB: random.next())
            let roll = random.next()
            let deleted = roll % 500 == 0
            insert.reset()
            insert.bind(1, id)
            insert.bind(2, conversationIDs[conversation])
            insert.bind(3, seqs[conversation])
            insert.bind(4, userIDs[Int(random.next() % 8)])
            insert.bind(5, hex(random.next()) + hex(random.next()))
            insert.bind(6, "text")
            insert.bind(7, deleted ? nil : sentence(&random))
            insert.bind(8, roll % 20 == 1 ? lastIDs[conversation] : nil)
            insert.bind(9, nil as UUIDv7?)
            if !deleted, roll % 50 == 3 {
                insert.bind(10, userIDs[Int(roll % 7) + 1])
            } else {
                insert.bind(10, nil as UUIDv7?)
            }
            insert.bind(11, nil as String?)
            insert.bind(12, createdAt)
            insert.bind(13, roll % 100 == 7 ? createdAt + 60_000 : nil)
            insert.bind(14, deleted ? createdAt + 120_000 : nil)
            insert.bind(15, Int64(bitPattern: random.next()))
            try insert.run()
            lastIDs[conversation] = id
            lastTimes[conversation] = createdAt
            if (row + 1) % 100_000 == 0 {
                try database.execute("COMMIT; BEGIN")
                let elapsed = Date().timeIntervalSince(started)
                log("  \(row + 1) / \(total) messages (\(Int(elapsed)) s)")
            }
        }
        try database.execute("COMMIT")

        let activity = try database.prepare("UPDATE conversations SET last_activity_at = ? WHERE id = ?")
        try database.execute("BEGIN")
        for (index, id) in conversationIDs.enumerated() {
            activity.reset()
            activity.bind(1, lastTimes[index])
            activity.bind(2, id)
            try activity.run()
        }
        try database.execute("COMMIT")
        precondition(seqs[target] == Int64(targetMessageCount) && otherPlaced == otherTotal)
        try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    static let words = """
        the a we can ship it tomorrow after review meeting notes please check deploy logs look fine \
        thanks again for quick fix build is green on main I will merge this later today let me know \
        if you need anything else sounds good see you at standup coffee lunch release branch cut \
        customer reported issue with login page cache invalidation retry backoff queue worker latency
        """.split(separator: " ").map(String.init)

    static func sentence(_ random: inout SplitMix64) -> String {
        let count = 3 + Int(random.next() % 38)
        var text = ""
        text.reserveCapacity(count * 7)
        for index in 0..<count {
            if index > 0 { text += " " }
            text += words[Int(random.next() % UInt64(words.count))]
        }
        return text
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Where fixtures and scratch databases go.
public enum BenchPaths {
    /// `$MESSAGING_BENCH_FIXTURES`, or `Benchmarks/.fixtures` beside this package's manifest.
    public static var fixtures: String {
        if let path = ProcessInfo.processInfo.environment["MESSAGING_BENCH_FIXTURES"], !path.isEmpty { return path }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // BenchSupport
            .deletingLastPathComponent()  // Benchmarks (sources)
            .deletingLastPathComponent()  // Benchmarks (package)
            .appendingPathComponent(".fixtures").path
    }

    /// A new empty directory under the system's temporary directory.
    public static func makeTemporaryDirectory(_ prefix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Progress for the person running the benchmarks (stderr, so the tool's output stays parseable).
public func log(_ message: String) {
    FileHandle.standardError.write(Data("[bench] \(message)\n".utf8))
}

/// A small deterministic generator, so every machine builds the same fixture.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
