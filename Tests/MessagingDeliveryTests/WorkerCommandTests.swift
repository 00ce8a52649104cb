import TestSupport
import Foundation
import MessagingCore
import MessagingDelivery
import Testing

@Suite("DeliveryWorker command line")
struct WorkerCommandTests {
    struct Result {
        let status: Int32
        let output: String
        let errors: String
    }

    func worker(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = SpawnedProcess()
        process.executableURL = try builtExecutable("DeliveryWorker")
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged["MESSAGING_DATABASE"] = nil
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    @Test("run --once takes a due retention sweep: the worker tombstones the expired messages of a conversation with a policy")
    func retentionSweep() async throws {
        let fixture = try DeliveryFixture()
        defer { fixture.remove() }
        let users = try await fixture.users("alice", "bob")
        // The fixture's clock stands in mid-2025: to the worker's clock these messages are over a day old.
        let room = try await fixture.messaging.conversations.create(.group(title: "old", members: [users[1].id]), by: users[0].id)
        for index in 0..<3 {
            _ = try await fixture.messaging.messages.send(
                try MessageDraft(text: "old \(index)", clientMessageID: ClientMessageID("old-\(index)")), to: room.id, by: users[0].id)
        }
        _ = try await fixture.messaging.retention.setPolicy(days: 1, of: room.id, by: users[0].id)
        try await RetentionSweeper(retention: fixture.messaging.retention, jobs: fixture.jobs).schedule(now: SystemWallClock().now())

        let run = try worker(["run", "--once", "--database", fixture.databasePath])
        #expect(run.status == 0, "\(run.errors)")
        let messages = try await fixture.messaging.messages.history(of: room.id, for: users[0].id).messages
        #expect(messages.count == 3)
        #expect(messages.allSatisfy { $0.deletedAt != nil }, "every expired message is a tombstone: \(messages.map(\.deletedAt))")
    }

    @Test("dlq list, show, replay (once), purge, stats and run --once, with their exit codes")
    func deadLetterCommands() async throws {
        let fixture = try DeliveryFixture()
        defer { fixture.remove() }
        let now = SystemWallClock().now()
        try await fixture.jobs.enqueue(NewJob(queue: "notifications", payload: Array("not json".utf8), maxAttempts: 1), at: now)
        let claimed = try await fixture.jobs.claim(from: ["notifications"], owner: "t", limit: 1, leaseMilliseconds: 10, now: now)
        try await fixture.jobs.deadLetter(claimed[0].lease, error: "handler said no", now: now)
        let id = claimed[0].id.description
        let database = ["--database", fixture.databasePath]

        let missing = try worker(["dlq", "list"])
        #expect(missing.status == 64, "usage error without a database")
        #expect(missing.errors.contains("MESSAGING_DATABASE"))

        let list = try worker(["dlq", "list"], environment: ["MESSAGING_DATABASE": fixture.databasePath])
        #expect(list.status == 0)
        #expect(list.output.contains("\(id)\tnotifications\t1/1"))
        #expect(list.output.contains("handler said no"))

        let show = try worker(["dlq", "show", id] + database)
        #expect(show.status == 0)
        #expect(show.output.contains("last error:    handler said no"))
        #expect(try worker(["dlq", "show", "999"] + database).status == 2)

        let replay = try worker(["dlq", "replay", id] + database)
        #expect(replay.status == 0)
        #expect(replay.output.contains("replayed dead job \(id) as job"))
        let again = try worker(["dlq", "replay", id] + database)
        #expect(again.status == 2)
        #expect(again.errors.contains("already replayed"))

        // The replayed job has an undecodable payload: run --once fails it into the DLQ again.
        let run = try worker(["run", "--once"] + database)
        #expect(run.status == 0)
        #expect(run.output.contains("ran 1 job(s)"))
        #expect(try await fixture.jobs.deadJobs(in: nil, after: nil, limit: 10).count == 2)

        let stats = try worker(["dlq", "stats"] + database)
        #expect(stats.output.contains("notifications\t0\t0\t2"))
        #expect(try worker(["dlq", "purge"] + database).status == 64, "purge needs ids, --older-than-days or --all")
        let purge = try worker(["dlq", "purge", "--all"] + database)
        #expect(purge.output.contains("purged 2 dead job(s)"))
        #expect(try await fixture.jobs.deadJobs(in: nil, after: nil, limit: 10).isEmpty)
    }
    @Test("numbers an operator types that would overflow are usage errors, not traps (issue #13, item 1 audit)")
    func hugeNumbersAreUsageErrors() throws {
        let fixture = try DeliveryFixture()
        defer { fixture.remove() }
        let database = ["--database", fixture.databasePath]
        let purge = try worker(["dlq", "purge", "--older-than-days", "9223372036854775807"] + database)
        #expect(purge.status == 64, "\(purge)")
        #expect(purge.errors.contains("--older-than-days"))
        let run = try worker(["run", "--once", "--lease-seconds", "9223372036854775807"] + database)
        #expect(run.status == 64, "\(run)")
        #expect(run.errors.contains("--lease-seconds"))
    }
}
