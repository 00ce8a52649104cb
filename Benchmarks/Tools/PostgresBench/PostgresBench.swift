import Foundation
import Logging
import MessagingCore
import MessagingPostgres
import PostgresNIO

// The PostgreSQL store against the same statements sent raw through PostgresNIO, in one
// process, in the same run (issue 16's benchmarks). `make bench-postgres` starts a throwaway
// server (scripts/postgres-test.sh) and runs this with MESSAGING_TEST_POSTGRES_URL set.
//
//   send.single      messaging.messages.send, one at a time, against one raw transaction of the
//                    statements the store runs for it: BEGIN; the membership row; the
//                    conversation row; the idempotency lookup; UPDATE … RETURNING last_seq; the
//                    message insert (with its tsvector); the event insert; pg_notify; COMMIT
//   send.concurrent  64 senders of one conversation at once (one round = 64 sends), both sides
//   page.d<depth>    a keyset page of 50 through store.read at depth 0 and 900,000 of a
//                    1,000,000-message conversation, against the same SELECT in a raw
//                    REPEATABLE READ, READ ONLY transaction, every column of every row decoded;
//                    and against raw with BEGIN pipelined as the store sends it (one round trip
//                    less than awaiting BEGIN)
//
// Figures: p50 and p99 wall clock per operation (per round for send.concurrent) and this
// process's CPU time per operation (the server's CPU is PostgreSQL's, the same for both).

@main
struct PostgresBench {
    static func main() async throws {
        guard let text = ProcessInfo.processInfo.environment["MESSAGING_BENCH_POSTGRES_URL"]
            ?? ProcessInfo.processInfo.environment["MESSAGING_TEST_POSTGRES_URL"]
        else {
            FileHandle.standardError.write(Data("error: set MESSAGING_BENCH_POSTGRES_URL (make bench-postgres starts a throwaway server)\n".utf8))
            exit(2)
        }
        let url = try PostgresURL(text)
        var configuration = url.clientConfiguration
        configuration.options.maximumConnections = 80
        let client = PostgresClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await Bench(client: client).run()
            group.cancelAll()
        }
    }
}

struct Measurement {
    var wall: [Duration] = []
    var cpu: Duration = .zero
    var operations = 0

    func percentile(_ p: Double) -> Double {
        let sorted = wall.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * p / 100).rounded(.up)) - 1)
        return Self.microseconds(sorted[max(0, index)])
    }

    var cpuPerOperation: Double { Self.microseconds(cpu) / Double(max(1, operations)) }

    static func microseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }
}

func processCPU() -> Duration {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let micro = Int64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + Int64(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    return .microseconds(micro)
}

/// Runs `operation` `warmup` times unmeasured, then `count` times measured.
func measure(_ count: Int, warmup: Int, _ operation: (Int) async throws -> Void) async throws -> Measurement {
    for index in 0..<warmup { try await operation(-1 - index) }
    var result = Measurement()
    result.wall.reserveCapacity(count)
    let clock = ContinuousClock()
    let cpuStart = processCPU()
    for index in 0..<count {
        let start = clock.now
        try await operation(index)
        result.wall.append(clock.now - start)
    }
    result.cpu = processCPU() - cpuStart
    result.operations = count
    return result
}

struct Bench {
    let client: PostgresClient
    let logger = Logger(label: "bench")
    let run = UUID().uuidString.prefix(8).lowercased()

    func run() async throws {
        let store = PostgresMessagingStore(client: client)
        try await store.migrate()
        let messaging = Messaging(store: store)
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print("PostgreSQL store vs raw PostgresNIO, same run; load average at start \(load); 2 cores")
        print()
        print("| case | ours p50 / p99 µs | raw p50 / p99 µs | ratio p50 / p99 | CPU µs/op ours / raw (this process) | target |")
        print("|---|---|---|---|---|---|")

        // Senders: 64 members of one group conversation.
        var users: [UserID] = []
        for index in 0..<64 {
            users.append(try await messaging.users.register(handle: "b\(run)u\(index)", displayName: "Bench \(index)").id)
        }
        let room = try await messaging.conversations.create(.group(title: "bench \(run)", members: Array(users.dropFirst())), by: users[0])
        let body = "Customer says the export hangs on files over 2 GB, reproducible on staging too."
        let payload = String(repeating: "x", count: 420)  // about the size of an announced message event

        // POSTGRES_BENCH_PAGES_ONLY=1 skips the sends (for profiling the page path).
        let pagesOnly = ProcessInfo.processInfo.environment["POSTGRES_BENCH_PAGES_ONLY"] == "1"
        if !pagesOnly {
        let oursSingle = try await measure(2_000, warmup: 100) { index in
            _ = try await messaging.messages.send(
                try MessageDraft(text: body, clientMessageID: ClientMessageID("o\(index)")), to: room.id, by: users[0])
        }
        let rawSingle = try await measure(2_000, warmup: 100) { index in
            try await client.withConnection { connection in
                try await rawSend(connection, room: pg(room.id.uuid), sender: pg(users[0].uuid), clientID: "r\(index)", body: body, payload: payload)
            }
        }
        row("send, one at a time", oursSingle, rawSingle, target: "≤ 1.3×")

        let rounds = 40
        let oursConcurrent = try await measure(rounds, warmup: 3) { round in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (slot, user) in users.enumerated() {
                    group.addTask {
                        _ = try await messaging.messages.send(
                            try MessageDraft(text: body, clientMessageID: ClientMessageID("oc\(round)-\(slot)")), to: room.id, by: user)
                    }
                }
                try await group.waitForAll()
            }
        }
        let rawConcurrent = try await measure(rounds, warmup: 3) { round in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (slot, user) in users.enumerated() {
                    group.addTask {
                        try await client.withConnection { connection in
                            try await rawSend(connection, room: pg(room.id.uuid), sender: pg(user.uuid), clientID: "rc\(round)-\(slot)", body: body, payload: payload)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        row("send, 64 senders at once (per round of 64)", oursConcurrent, rawConcurrent, target: "≤ 1.3×")
        print()
        print("64 senders: ours \(Int(64e6 / oursConcurrent.percentile(50)).formatted()) sends/s, raw \(Int(64e6 / rawConcurrent.percentile(50)).formatted()) sends/s (p50 rounds); one at a time: ours \(Int(1e6 / oursSingle.percentile(50)).formatted())/s, raw \(Int(1e6 / rawSingle.percentile(50)).formatted())/s.")
        print()
        }

        let (pages, lastSeq) = try await pageFixture(messaging: messaging, owner: users[0])
        print("| case | ours p50 / p99 µs | raw p50 / p99 µs | ratio p50 / p99 | CPU µs/op ours / raw (this process) | target |")
        print("|---|---|---|---|---|---|")
        for depth in [0, 900_000] {
            let cursor = lastSeq - Int64(depth) + 1
            let ours = try await measure(2_000, warmup: 100) { _ in
                let page = try await store.read { try $0.messages(in: pages, before: cursor, limit: 50) }
                precondition(page.count == 50)
            }
            let raw = try await measure(2_000, warmup: 100) { _ in
                let count = try await client.withConnection { connection in
                    try await rawPage(connection, conversation: pg(pages.uuid), before: cursor)
                }
                precondition(count == 50)
            }
            let rawPipelined = try await measure(2_000, warmup: 100) { _ in
                let count = try await client.withConnection { connection in
                    try await rawPage(connection, conversation: pg(pages.uuid), before: cursor, pipelined: true)
                }
                precondition(count == 50)
            }
            row("page of 50 at depth \(depth.formatted())", ours, raw, target: "≤ 1.2×")
            row("page of 50 at depth \(depth.formatted()), raw BEGIN pipelined too", ours, rawPipelined, target: "≤ 1.2×")
        }
        let end = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print()
        print("load average at the end: \(end)")
    }

    func row(_ name: String, _ ours: Measurement, _ raw: Measurement, target: String) {
        let p50 = ours.percentile(50) / raw.percentile(50)
        let p99 = ours.percentile(99) / raw.percentile(99)
        print(String(
            format: "| %@ | %.1f / %.1f | %.1f / %.1f | **%.2f×** / %.2f× | %.1f / %.1f | %@ |",
            name, ours.percentile(50), ours.percentile(99), raw.percentile(50), raw.percentile(99), p50, p99,
            ours.cpuPerOperation, raw.cpuPerOperation, target))
    }

    /// The statements of one persisted send, as the store runs them, in one transaction.
    func rawSend(_ connection: PostgresConnection, room: UUID, sender: UUID, clientID: String, body: String, payload: String) async throws {
        try await connection.query("BEGIN ISOLATION LEVEL READ COMMITTED", logger: logger)
        for try await row in try await connection.query(
            """
            SELECT mb.conversation_id, mb.user_id, mb.role, mb.joined_at, mb.read_seq FROM members mb
            WHERE mb.conversation_id = \(room) AND mb.user_id = \(sender)
            """, logger: logger)
        {
            _ = try row.decode((UUID, UUID, String, Int64, Int64).self)
        }
        for try await row in try await connection.query(
            """
            SELECT c.id, c.kind, c.title, c.topic, c.creator_id, c.created_at, c.last_seq, c.last_activity_at, c.encrypted
            FROM conversations c WHERE c.id = \(room)
            """, logger: logger)
        {
            _ = try row.decode((UUID, String, String?, String?, UUID, Int64, Int64, Int64, Bool).self)
        }
        for try await _ in try await connection.query(
            """
            SELECT \(unescaped: messageColumns) FROM messages m
            WHERE m.conversation_id = \(room) AND m.sender_id = \(sender) AND m.client_message_id = \(clientID)
            """, logger: logger) {}
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var seq: Int64 = 0
        for try await row in try await connection.query(
            """
            UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = greatest(last_activity_at, \(now))
            WHERE id = \(room) RETURNING last_seq
            """, logger: logger)
        {
            seq = try row.decode(Int64.self)
        }
        let id = UUID()
        try await connection.query(
            """
            INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, kind, body_text, body_bytes,
                reply_to_id, thread_root_id, mentions, attachments, created_at, edited_at, deleted_at, content_digest,
                key_epoch, sender_device, search)
            VALUES (\(id), \(room), \(seq), \(sender), \(clientID), \("text"), \(body), \(Data?.none), \(UUID?.none), \(UUID?.none),
                \([UUID]?.none), \(String?.none), \(now), \(Int64?.none), \(Int64?.none), \(Int64(0)), \(Int64?.none), \(UUID?.none),
                to_tsvector('simple'::regconfig, \(body)::text))
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO events (conversation_id, seq, type, actor_id, message_id, data, occurred_at)
            VALUES (\(room), \(seq), \("messageCreated"), \(sender), \(id), \(String?.none), \(now))
            """, logger: logger)
        try await connection.query("SELECT pg_notify(\("swift_messaging_events"), \(payload))", logger: logger)
        try await connection.query("COMMIT", logger: logger)
    }

    /// One keyset page in a read-only snapshot, every column decoded; returns the row count.
    /// With `pipelined`, BEGIN is sent without awaiting its answer, as the store does for reads
    /// (its outcome is checked after the SELECT's, which the connection answers after it).
    func rawPage(_ connection: PostgresConnection, conversation: UUID, before: Int64, pipelined: Bool = false) async throws -> Int {
        let begin: EventLoopFuture<PostgresQueryResult>?
        if pipelined {
            begin = connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
        } else {
            begin = nil
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
        }
        var count = 0
        let rows = try await connection.query(
            """
            SELECT \(unescaped: messageColumns) FROM messages m
            WHERE m.conversation_id = \(conversation) AND m.seq < \(before) ORDER BY m.seq DESC LIMIT \(50)
            """, logger: logger)
        _ = try await begin?.get()
        for try await row in rows {
            let cells = row.makeRandomAccess()
            _ = try cells[0].decode(UUID.self)
            _ = try cells[1].decode(UUID.self)
            _ = try cells[2].decode(Int64.self)
            _ = try cells[3].decode(UUID.self)
            _ = try cells[4].decode(String.self)
            _ = try cells[5].decode(String.self)
            _ = try cells[6].decode(String?.self)
            _ = try cells[7].decode(ByteBuffer?.self)
            _ = try cells[8].decode(UUID?.self)
            _ = try cells[9].decode(UUID?.self)
            _ = try cells[10].decode([UUID]?.self)
            _ = try cells[11].decode(String?.self)
            _ = try cells[12].decode(Int64.self)
            _ = try cells[13].decode(Int64?.self)
            _ = try cells[14].decode(Int64?.self)
            _ = try cells[15].decode(Int64.self)
            _ = try cells[16].decode(Int64?.self)
            _ = try cells[17].decode(UUID?.self)
            count += 1
        }
        try await connection.query("COMMIT", logger: logger)
        return count
    }

    /// A conversation of 1,000,000 messages, made once per database (found again by its title).
    func pageFixture(messaging: Messaging, owner: UserID) async throws -> (ConversationID, Int64) {
        let title = "bench pages 1M"
        let existing = try await client.withConnection { connection -> (UUID, Int64)? in
            for try await row in try await connection.query(
                "SELECT id, last_seq FROM conversations WHERE title = \(title) AND last_seq = 1000000", logger: logger)
            {
                return try row.decode((UUID, Int64).self)
            }
            return nil
        }
        if let existing, let id = UUIDv7(bytes: bytes(existing.0)) { return (ConversationID(id), existing.1) }
        FileHandle.standardError.write(Data("==> inserting 1,000,000 messages for the page benchmark (once per database, about a minute)\n".utf8))
        let room = try await messaging.conversations.create(.group(title: title, members: []), by: owner)
        try await client.withConnection { connection in
            for start in stride(from: 1, through: 1_000_000, by: 100_000) {
                try await connection.query(
                    """
                    INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, kind, body_text,
                        created_at, content_digest, search)
                    SELECT (lpad(to_hex(1700000000000 + g), 12, '0') || '7' || substr(md5(g::text), 1, 3) || '8'
                            || substr(md5(g::text), 4, 15))::uuid,
                        \(pg(room.id.uuid)), g, \(pg(owner.uuid)), 'p' || g, 'text',
                        'message number ' || g || ' of the page benchmark, a typical chat line', 1700000000000 + g, 0, NULL
                    FROM generate_series(\(Int64(start)), \(Int64(start + 99_999))) AS g
                    """, logger: logger)
            }
            try await connection.query(
                "UPDATE conversations SET last_seq = 1000000 WHERE id = \(pg(room.id.uuid))", logger: logger)
            try await connection.query("ANALYZE messages", logger: logger)
        }
        return (room.id, 1_000_000)
    }
}

let messageColumns = """
    m.id, m.conversation_id, m.seq, m.sender_id, m.client_message_id, m.kind, m.body_text, m.body_bytes, \
    m.reply_to_id, m.thread_root_id, m.mentions, m.attachments, m.created_at, m.edited_at, \
    m.deleted_at, m.content_digest, m.key_epoch, m.sender_device
    """

/// Foundation's `UUID` of an id (PostgresNIO binds `UUID` as `uuid`).
func pg(_ value: UUIDv7) -> UUID {
    let b = value.bytes
    return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
}

func bytes(_ value: UUID) -> [UInt8] {
    withUnsafeBytes(of: value.uuid) { Array($0) }
}
