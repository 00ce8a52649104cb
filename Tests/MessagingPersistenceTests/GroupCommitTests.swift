import Foundation
import GRDB
import MessagingCore
@testable import MessagingPersistence
import Synchronization
import Testing
import TestSupport

@Suite("Group commit")
struct GroupCommitTests {
    /// What one send of the mixed workload is meant to be.
    enum Intent: Sendable {
        case fresh  // a key nobody used: stored as a new message
        case shared  // a key both tasks of a user may send at once, same text: one new, the rest duplicates
        case repeated(of: MessageID)  // an own earlier key, same text: the original, no event
        case conflicting  // an own earlier key, other text: conflict, no trace
        case nonMember  // a conversation the sender is not in: refused, no trace
    }

    struct Outcome: Sendable {
        let intent: Intent
        let conversation: ConversationID
        let sender: UserID
        let key: String
        let text: String
        let result: Swift.Result<Committed<[SendReceipt]>, MessagingError>
    }

    @Test("64 tasks × 500 mixed sends: gapless seq, each answered send stored once, duplicates get the original, refusals leave no trace and fail alone, each caller gets its own events", arguments: CommitMode.allCases)
    func mixedWorkload(mode: CommitMode) async throws {
        let fixture = try Fixture(sqlite: mode.configuration)
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let store = try #require(fixture.store as? SQLiteMessagingStore)
        let userCount = 32, conversationCount = 8, sendsPerTask = 500
        var registered: [User] = []
        for index in 0..<userCount { registered.append(try await fixture.user("user\(index)")) }
        let users = registered
        // User u is a member of conversation c unless (u + c) % 3 == 0; user 0 creates them all
        // (it is therefore a member of every one).
        func isMember(_ user: Int, _ conversation: Int) -> Bool { user == 0 || (user + conversation) % 3 != 0 }
        var created: [ConversationID] = []
        for c in 0..<conversationCount {
            let members = (1..<userCount).filter { isMember($0, c) }.map { users[$0].id }
            created.append(try await fixture.messaging.conversations.create(
                .group(title: "room \(c)", members: members), by: users[0].id).id)
        }
        let conversations = created
        let setupSeqs = try await withThrowingTaskGroup(of: (ConversationID, Int64).self) { group in
            for id in conversations {
                group.addTask { (id, try await fixture.messaging.conversations.conversation(id, for: users[0].id).lastSeq) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        let statisticsBefore = store.groupCommitStatistics

        // Two tasks per user, so the same sender's shared keys race with each other.
        let outcomes = try await withThrowingTaskGroup(of: [Outcome].self) { group in
            for task in 0..<(2 * userCount) {
                let userIndex = task / 2
                let sender = users[userIndex].id
                let mine = (0..<conversationCount).filter { isMember(userIndex, $0) }.map { conversations[$0] }
                let foreign = (0..<conversationCount).filter { !isMember(userIndex, $0) }.map { conversations[$0] }
                group.addTask {
                    var random = SeededGenerator(seed: 0x6C0_0000 + UInt64(task))
                    var earlier: [(conversation: ConversationID, key: String, text: String, id: MessageID)] = []
                    var outcomes: [Outcome] = []
                    for index in 0..<sendsPerTask {
                        let roll = Int.random(in: 0..<100, using: &random)
                        var intent = Intent.fresh
                        var conversation = mine[Int.random(in: 0..<mine.count, using: &random)]
                        var key = "t\(task)-n\(index)"
                        var text = "task \(task) message \(index)"
                        if roll < 15 {
                            let shared = Int.random(in: 0..<20, using: &random)
                            intent = .shared
                            conversation = mine[shared % mine.count]
                            key = "u\(userIndex)-s\(shared)"
                            text = "shared \(shared) of user \(userIndex)"
                        } else if roll < 25, let pick = earlier.randomElement(using: &random) {
                            intent = .repeated(of: pick.id)
                            (conversation, key, text) = (pick.conversation, pick.key, pick.text)
                        } else if roll < 32, let pick = earlier.randomElement(using: &random) {
                            intent = .conflicting
                            (conversation, key, text) = (pick.conversation, pick.key, "changed: \(pick.text) #\(index)")
                        } else if roll < 40, !foreign.isEmpty {
                            intent = .nonMember
                            conversation = foreign[Int.random(in: 0..<foreign.count, using: &random)]
                            key = "t\(task)-refused\(index)"
                        }
                        let draft = try MessageDraft(text: text, clientMessageID: ClientMessageID(key))
                        let result: Swift.Result<Committed<[SendReceipt]>, MessagingError>
                        do {
                            result = .success(try await fixture.messaging.messages.sendDeferringPublication(
                                [draft], to: conversation, by: sender))
                        } catch let error as MessagingError {
                            result = .failure(error)
                        }
                        if case .fresh = intent, case .success(let committed) = result {
                            earlier.append((conversation, key, text, committed.value[0].message.id))
                        }
                        outcomes.append(Outcome(
                            intent: intent, conversation: conversation, sender: sender, key: key, text: text, result: result))
                    }
                    return outcomes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(outcomes.count == 2 * userCount * sendsPerTask)

        // Every caller got exactly the outcome its intent calls for, with exactly its own events.
        var newMessages: [MessageID: Message] = [:]
        var sharedOriginals: [String: [MessageID]] = [:]
        var sharedNew: [String: Int] = [:]
        var failures = 0
        for outcome in outcomes {
            switch (outcome.intent, outcome.result) {
            case (.fresh, .success(let committed)):
                let receipt = try #require(committed.value.first)
                #expect(!receipt.isDuplicate, "a fresh key stores a new message")
                expectOwnEvents(committed, of: receipt.message)
                newMessages[receipt.message.id] = receipt.message
            case (.shared, .success(let committed)):
                let receipt = try #require(committed.value.first)
                let slot = "\(outcome.sender) \(outcome.key)"
                sharedOriginals[slot, default: []].append(receipt.message.id)
                if receipt.isDuplicate {
                    #expect(committed.events.isEmpty, "a duplicate commits no event")
                } else {
                    sharedNew[slot, default: 0] += 1
                    expectOwnEvents(committed, of: receipt.message)
                    newMessages[receipt.message.id] = receipt.message
                }
            case (.repeated(let original), .success(let committed)):
                let receipt = try #require(committed.value.first)
                #expect(receipt.isDuplicate && receipt.message.id == original, "a repeat gets the original message")
                #expect(committed.events.isEmpty, "a duplicate commits no event")
            case (.conflicting, .failure(let error)):
                #expect(error.code == .conflict)
                failures += 1
            case (.nonMember, .failure(let error)):
                #expect(error.code == .notFound)
                failures += 1
            case (let intent, let result):
                Issue.record("unexpected outcome \(result) for \(intent) (\(outcome.key))")
            }
        }
        #expect(failures > 1_000, "the workload mixes in refusals")
        for (slot, ids) in sharedOriginals {
            #expect(Set(ids).count == 1, "every send of shared key \(slot) got the same message")
            #expect(sharedNew[slot] == 1, "shared key \(slot) stored once")
        }

        // The store: per conversation, seq is exactly 1…n and every new message is there once.
        let snapshot = try DatabaseQueue(path: fixture.databasePath)
        let stored = try await snapshot.read { db in
            try Row.fetchAll(db, sql: "SELECT hex(id), hex(conversation_id), seq, client_message_id, body FROM messages")
        }
        #expect(stored.count == newMessages.count, "nothing stored beyond the answered new sends")
        let storedKeys = Set(stored.map { $0[3] as String })
        let storedBodies = Set(stored.map { $0[4] as String })
        for outcome in outcomes {
            switch outcome.intent {
            case .nonMember: #expect(!storedKeys.contains(outcome.key), "a refused send left no message")
            case .conflicting: #expect(!storedBodies.contains(outcome.text), "a conflicting send left no message")
            default: break
            }
        }
        for conversation in conversations {
            let events = try await fixture.allEvents(conversation, for: users[0].id)
            let last = try await fixture.messaging.conversations.conversation(conversation, for: users[0].id).lastSeq
            #expect(events.map(\.seq) == Array(1...last), "the log of \(conversation) is gapless")
            let created = events.compactMap { event -> Message? in
                if case .messageCreated(let message) = event.payload { return message }
                return nil
            }
            #expect(created.count == Int(last - (setupSeqs[conversation] ?? 0)), "one event per new message")
            for message in created {
                #expect(newMessages[message.id]?.seq == message.seq, "each stored message was answered as new, at its seq")
            }
        }
        let statistics = store.groupCommitStatistics
        let commits = statistics.commits - statisticsBefore.commits
        let transactions = statistics.transactions - statisticsBefore.transactions
        #expect(commits == outcomes.count)
        #expect(transactions < commits, "concurrent commits shared transactions (\(transactions) for \(commits))")
        #expect(try await store.integrityCheck() == [])
    }

    @Test("commits queued behind a busy writer run in one transaction; the one that throws rolls back alone", arguments: CommitMode.allCases)
    func oneBatch(mode: CommitMode) async throws {
        let fixture = try Fixture(sqlite: mode.configuration)
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let store = try #require(fixture.store as? SQLiteMessagingStore)
        let before = store.groupCommitStatistics
        let queued = Counter()
        let batchSize = 12
        struct Refused: Error {}
        // Another connection holds the write lock (as another process would): the first commit
        // cannot begin at once, waits for the lock on the writer's queue, and the others queue
        // behind it.
        let lock = try await ExternalWriteLock(path: fixture.databasePath)
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<batchSize {
                group.addTask {
                    queued.value.add(1, ordering: .relaxed)
                    do {
                        try await store.write { transaction in
                            try transaction.insert(User(
                                id: UserID(UUIDv7Generator().next()), handle: Handle("batch\(index)"),
                                displayName: "B\(index)", createdAt: Timestamp(millisecondsSince1970: 0)))
                            if index == 5 { throw Refused() }
                        }
                        return (index, true)
                    } catch {
                        #expect(error is Refused, "the closure's own error reaches its caller")
                        return (index, false)
                    }
                }
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(3)
                while queued.value.load(ordering: .relaxed) < batchSize, ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(1))
                }
                try? await Task.sleep(for: .milliseconds(50))
                await lock.unlock()
                return (-1, true)
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(results.filter { $0.key >= 0 && $0.value }.count == batchSize - 1)
        #expect(results[5] == false)
        let handles = try await store.read { transaction in
            try (0..<batchSize).map { try transaction.user(handle: Handle("batch\($0)")) != nil }
        }
        #expect(handles == (0..<batchSize).map { $0 != 5 }, "only the throwing closure's row is missing")
        let after = store.groupCommitStatistics
        #expect(after.commits - before.commits == batchSize)
        #expect(after.transactions - before.transactions <= 3, "the queued commits shared a transaction")
        #expect(after.largestBatch >= batchSize / 2)
    }

    @Test("a cancelled caller that leads a batch still commits it: its companions never fail because of it", arguments: CommitMode.allCases)
    func cancelledLeader(mode: CommitMode) async throws {
        let fixture = try Fixture(sqlite: mode.configuration)
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let store = try #require(fixture.store as? SQLiteMessagingStore)
        // Another connection holds the write lock; the first commit leads and waits for it.
        let lock = try await ExternalWriteLock(path: fixture.databasePath)
        // Queued behind the lock, then cancelled: the first of them leads, the rest form the next batch.
        let tasks = (0..<6).map { index in
            Task {
                try await store.write { transaction in
                    try transaction.insert(User(
                        id: UserID(UUIDv7Generator().next()), handle: Handle("queued\(index)"),
                        displayName: "Q\(index)", createdAt: Timestamp(millisecondsSince1970: 0)))
                }
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        for task in tasks { task.cancel() }
        await lock.unlock()
        var failures = 0
        for task in tasks {
            do { try await task.value } catch { failures += 1 }
        }
        #expect(failures == 0, "a commit that was queued is carried out; cancellation does not abort a shared transaction")
        let stored = try await store.read { transaction in
            try (0..<6).filter { try transaction.user(handle: Handle("queued\($0)")) != nil }.count
        }
        #expect(stored == 6)
    }

    @Test("a lone commit on an idle writer runs in its own transaction, and does not wait for a lock held elsewhere", arguments: CommitMode.allCases)
    func loneCommitAndExternalLock(mode: CommitMode) async throws {
        let fixture = try Fixture(sqlite: mode.configuration)
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let store = try #require(fixture.store as? SQLiteMessagingStore)
        let before = store.groupCommitStatistics
        _ = try await fixture.user("alone")
        let afterOne = store.groupCommitStatistics
        #expect(afterOne.transactions - before.transactions == 1)
        // With the lock held elsewhere, a commit waits (suspended) and completes once it is free.
        let lock = try await ExternalWriteLock(path: fixture.databasePath)
        let pending = Task { try await fixture.user("later") }
        try await Task.sleep(for: .milliseconds(100))
        // Meanwhile this task's thread is free: reads answer at once.
        #expect(try await store.read { try $0.user(handle: Handle("alone")) } != nil)
        await lock.unlock()
        #expect(try await pending.value.handle == Handle("later"))
    }

    /// Where a batch runs: GRDB's writer queue, or the leader's own thread (the default).
    enum CommitMode: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case writerQueue, callerThread

        var configuration: SQLiteConfiguration {
            var configuration = SQLiteConfiguration()
            configuration.commitsOnCallerThread = self == .callerThread
            return configuration
        }

        var testDescription: String { rawValue }
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private func expectOwnEvents(
        _ committed: Committed<[SendReceipt]>, of message: Message, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(committed.events.count == 1, "exactly one event: its own", sourceLocation: sourceLocation)
        guard let event = committed.events.first, case .messageCreated(let created) = event.payload else {
            Issue.record("the event is its own messageCreated", sourceLocation: sourceLocation)
            return
        }
        #expect(created.id == message.id && event.seq == message.seq && event.conversationID == message.conversationID,
                sourceLocation: sourceLocation)
    }
}
