import Foundation
import GRDB
import MessagingCore
import MessagingPersistence
import Testing

/// The reliability bar: a loaded chat node (send → answer → publish; devices read and
/// acknowledge; notifications dispatched) is killed with SIGKILL at random moments and at
/// the crash points CP1–CP9, restarted, and checked after every cycle.
///
/// `make test` runs 100 cycles. `make soak` sets DELIVERY_SOAK_CYCLES=1000 and
/// DELIVERY_SOAK_MESSAGES=100000 and prints progress.
@Suite("Delivery fault injection")
struct DeliveryFaultTests {
    static var cycles: Int { Int(ProcessInfo.processInfo.environment["DELIVERY_SOAK_CYCLES"] ?? "") ?? 100 }
    static var messages: Int { Int(ProcessInfo.processInfo.environment["DELIVERY_SOAK_MESSAGES"] ?? "") ?? 2_000 }

    /// What the parent knows about one device's log.
    struct DeviceLogCheck {
        var received = Set<Int64>()
        var problems: [String] = []

        /// Applies the rules: within a session, new seqs arrive gapless and in order; a
        /// repeat never covers what the client resumed from, nor what the device had
        /// acknowledged before the repeat was queued.
        init(lines: [Substring]) {
            var resume: Int64 = 0
            var highest: Int64 = 0
            var acks: [(seq: Int64, queued: UInt64)] = []
            var section = ""
            for line in lines {
                let parts = line.split(separator: " ")
                switch parts.first {
                case "run":
                    section = String(line)
                    resume = Int64(parts[3]) ?? -1
                    highest = resume
                    acks = []
                case "r":
                    guard parts.count == 3, let seq = Int64(parts[1]), let index = UInt64(parts[2]) else {
                        problems.append("malformed line \(line)")
                        continue
                    }
                    received.insert(seq)
                    if seq > highest {
                        if seq != highest + 1 { problems.append("gap: \(seq) after \(highest), event \(index) of '\(section)'") }
                        highest = seq
                    } else {
                        if seq <= resume { problems.append("seq \(seq) resent although the client resumed after \(resume)") }
                        if let ack = acks.first(where: { $0.seq >= seq && $0.queued < index }) {
                            problems.append("seq \(seq) resent after the device acknowledged \(ack.seq)")
                        }
                    }
                case "a":
                    guard parts.count == 3, let seq = Int64(parts[1]), let queued = UInt64(parts[2]) else { continue }
                    acks.append((seq, queued))
                default:
                    problems.append("unknown line \(line)")
                }
            }
        }
    }

    /// A bound on the whole test: 10 minutes for `make test` (one run took 14–46 s on the
    /// 2-core VM), scaled up for a soak (a minute per 10 cycles or 1,000 messages).
    static var timeLimitMinutes: Int { max(10, cycles / 10, messages / 1_000) }

    @Test(
        "SIGKILL at random moments and at CP1–CP9: no returned send lost or doubled, devices gapless, duplicates only where unacknowledged, integrity ok",
        .timeLimit(.minutes(timeLimitMinutes)))
    func killAndRestart() async throws {
        let probe = try builtExecutable("DeliveryProbe")
        let fixture = try DeliveryFixture()
        defer { fixture.remove() }
        let directory = fixture.directory.appendingPathComponent("chat")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let databasePath = directory.appendingPathComponent("chat.sqlite").path
        let setup = try await Self.makeChat(at: databasePath)
        try JSONEncoder().encode(setup.description).write(to: directory.appendingPathComponent("setup.json"))
        let sendsPath = directory.appendingPathComponent("sends.txt").path

        let cycles = Self.cycles
        let perCycle = max(1, Self.messages / cycles)
        let started = ContinuousClock.now
        var generator = SystemRandomNumberGenerator()
        let sendCounter = GrowingFileLines(sendsPath)
        var checkedLines = 0
        var stored: [String: Int64] = [:]
        var failpointKills = 0
        var cycle = 0
        while cycle < cycles || stored.count < Self.messages {
            defer { cycle += 1 }
            let useFailpoint = Bool.random(using: &generator)
            var environment: [String: String] = [:]
            if useFailpoint {
                // CP1–CP6 pass once per send or acknowledgement, CP9 once per committed
                // transaction (a send's, alone or in a group commit); CP7 and CP8 a few times per cycle.
                let point = Int.random(in: 1...9, using: &generator)
                let passes = (7...8).contains(point) ? Int.random(in: 1...3, using: &generator) : Int.random(in: 1...max(2, perCycle), using: &generator)
                environment["MESSAGING_FAILPOINT"] = "CP\(point)@\(passes)"
            }
            let child = try ChildProcess(probe, ["chat", directory.path, "c\(cycle)"], environment: environment)
            // Let it send its share (or die at its failpoint), then kill it at a random moment.
            let target = checkedLines + perCycle
            let deadline = ContinuousClock.now + .seconds(30)
            while child.isRunning, sendCounter.refresh() < target, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            if useFailpoint {
                _ = await child.wait(upTo: .milliseconds(500))  // give the failpoint its chance
            } else if child.isRunning {
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...30, using: &generator)))
            }
            let diedAlone = !child.isRunning
            child.kill()
            let stderr = child.standardError
            try #require(child.killedBySignal, "cycle \(cycle): the probe must die by SIGKILL, not exit: \(stderr)")
            if diedAlone, stderr.contains("failpoint") { failpointKills += 1 }

            // Every cycle: the file is sound and every answered send is stored exactly once at its seq.
            let store = try SQLiteMessagingStore(path: databasePath, logger: .quiet)
            #expect(try await store.integrityCheck() == [], "cycle \(cycle): integrity_check")
            let lines = sendCounter.takeNewLines()
            let fresh = lines
            let answered = fresh.map { line -> (key: String, seq: Int64) in
                let parts = line.split(separator: " ")
                return (String(parts[0]), Int64(parts[1]) ?? -1)
            }
            let (found, orphans) = try await DatabaseQueue(path: databasePath).read { db -> ([[Int64]], Int) in
                let found = try answered.map { item in
                    try Int64.fetchAll(db, sql: "SELECT seq FROM messages WHERE client_message_id = ?", arguments: [item.key])
                }
                var orphans = 0
                for request in try Self.notificationRequests(db) where request.reason == .mention {
                    let hex = request.messageID.map { $0.description.replacingOccurrences(of: "-", with: "").uppercased() } ?? ""
                    if try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE hex(id) = ?", arguments: [hex]) != 1 { orphans += 1 }
                }
                return (found, orphans)
            }
            for (item, seqs) in zip(answered, found) {
                #expect(seqs == [item.seq], "cycle \(cycle): answered send \(item.key) stored exactly once at its seq")
                #expect(stored.updateValue(item.seq, forKey: item.key) == nil, "cycle \(cycle): \(item.key) answered twice")
            }
            #expect(orphans == 0, "cycle \(cycle): every mention job names a committed message")
            checkedLines += lines.count
            if cycle % 50 == 49 || cycle == cycles - 1 {
                let elapsed = ContinuousClock.now - started
                progress("delivery fault test: cycle \(cycle + 1)/\(cycles), \(stored.count) answered sends, \(failpointKills) failpoint kills, \(elapsed)")
            }
        }
        #expect(failpointKills > 0, "some cycles died at their failpoint")

        // Final catch-up: no sends, every device resumes until it has every event.
        let final = try ChildProcess(probe, ["chat", directory.path, "final", "--no-send"])
        let finished = await final.wait(upTo: .seconds(120))
        if !finished { final.kill() }
        try #require(finished && final.process.terminationStatus == 0, "catch-up run ended cleanly: \(final.standardError)")
        let store = try SQLiteMessagingStore(path: databasePath, logger: .quiet)
        #expect(try await store.integrityCheck() == [])
        let lastSeq = try await DatabaseQueue(path: databasePath).read { db in
            try Int64.fetchOne(db, sql: "SELECT last_seq FROM conversations") ?? 0
        }
        let messageCount = try await DatabaseQueue(path: databasePath).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM messages") ?? 0
        }
        #expect(Int64(messageCount) == lastSeq, "one message per seq: nothing stored twice")
        #expect(stored.count <= messageCount)
        for index in setup.description.devices.indices {
            let check = DeviceLogCheck(lines: completeLines(directory.appendingPathComponent("device-\(index).log").path))
            #expect(check.problems.isEmpty, "device \(index): \(check.problems.prefix(5))")
            #expect(lastSeq > 0 && check.received.isSuperset(of: 1...lastSeq), "device \(index) has every event 1…\(lastSeq)")
        }
        // Mentions: every committed mention was pushed (a push covers its user up to its seq)
        // or still has a waiting (or dead) job covering it.
        var pushed: [String: Int64] = [:]
        for line in completeLines(directory.appendingPathComponent("push.log").path) {
            let parts = line.split(separator: " ")
            guard parts.count == 6, parts[3] == "mention", let seq = Int64(parts[4]) else { continue }
            pushed[String(parts[1])] = max(pushed[String(parts[1])] ?? 0, seq)
        }
        let users = setup.description.devices.map(\.user)
        let (waiting, mentioned) = try await DatabaseQueue(path: databasePath).read { db -> ([String: Int64], [(String, Int64)]) in
            var waiting: [String: Int64] = [:]
            for request in try Self.notificationRequests(db) where request.reason == .mention {
                waiting[request.userID.description] = max(waiting[request.userID.description] ?? 0, request.seq)
            }
            var mentioned: [(String, Int64)] = []
            for row in try Row.fetchAll(db, sql: "SELECT seq, hex(mentions) FROM messages WHERE mentions IS NOT NULL") {
                let hex: String = row[1]
                for user in users where hex.contains(user.replacingOccurrences(of: "-", with: "").uppercased()) {
                    mentioned.append((user, row[0]))
                }
            }
            return (waiting, mentioned)
        }
        #expect(!mentioned.isEmpty)
        let uncovered = mentioned.filter { user, seq in (pushed[user] ?? 0) < seq && (waiting[user] ?? 0) < seq }
        #expect(uncovered.isEmpty, "every committed mention was pushed or still has its job: \(uncovered.prefix(5))")
        progress("delivery fault test: \(cycle) cycles, \(stored.count) answered sends, last seq \(lastSeq), \(failpointKills) failpoint kills, \(ContinuousClock.now - started)")
    }

    /// Every notification record in the live and dead queues.
    static func notificationRequests(_ db: Database) throws -> [NotificationRequest] {
        let payloads = try Data.fetchAll(db, sql: """
            SELECT payload FROM jobs WHERE queue = 'notifications' UNION ALL SELECT payload FROM dead_jobs WHERE queue = 'notifications'
            """)
        return try payloads.map { try NotificationRequest(payload: Array($0)) }
    }

    /// The chat fixture: three members, two senders, three devices with different ack habits.
    static func makeChat(at path: String) async throws -> (description: ChatDescription, Void) {
        let store = try SQLiteMessagingStore(path: path, logger: .quiet)
        let messaging = Messaging(store: store)
        var users: [User] = []
        for handle in ["alice", "bob", "carol"] {
            users.append(try await messaging.users.register(handle: handle, displayName: handle.capitalized))
        }
        let room = try await messaging.conversations.create(.group(title: "fault", members: [users[1].id, users[2].id]), by: users[0].id)
        let ids = UUIDv7Generator()
        return (ChatDescription(
            conversation: room.id.description, senders: [users[0].id.description, users[1].id.description],
            devices: [
                .init(user: users[0].id.description, device: ids.next().uuidString, ackEvery: 1),
                .init(user: users[1].id.description, device: ids.next().uuidString, ackEvery: 3),
                .init(user: users[2].id.description, device: ids.next().uuidString, ackEvery: 0),
            ]), ())
    }
}

/// Progress on standard error, which is not buffered (stdout is, when piped).
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// setup.json of the probe (mirrors `ChatSetup` in Tests/DeliveryProbe).
struct ChatDescription: Codable {
    struct Device: Codable {
        let user: String
        let device: String
        let ackEvery: Int
    }

    let conversation: String
    let senders: [String]
    let devices: [Device]
}
