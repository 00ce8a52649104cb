import TestSupport
import Foundation
import MessagingCore
import MessagingPersistence
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A child process sends in a loop and is killed with SIGKILL at random moments; after
/// every kill the reopened database is intact, every send that returned is present, and
/// the conversation's seqs have no gaps.
@Suite("Crash safety")
struct CrashSafetyTests {
    /// The probe executable SwiftPM builds beside the test bundle.
    static func probeURL() throws -> URL {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("SQLiteCrashProbe")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw MessagingError(
            code: .notFound,
            message: "SQLiteCrashProbe was not found next to \(executable.path); build it with `swift build --build-tests` (make test does).")
    }

    @Test("20 SIGKILLs at random moments lose no returned send and leave no gap")
    func killedWhileSending() async throws {
        let probe = try Self.probeURL()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-messaging-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("crash.sqlite").path
        let acksPath = directory.appendingPathComponent("acks.txt").path
        let (room, sender) = try await {
            let messaging = Messaging(store: try SQLiteMessagingStore(path: path))
            let alice = try await messaging.users.register(handle: "alice", displayName: "Alice")
            let room = try await messaging.conversations.create(.group(title: "crash", members: []), by: alice.id)
            return (room.id, alice.id)
        }()
        var generator = SystemRandomNumberGenerator()
        var acknowledged = 0

        for cycle in 0..<20 {
            let process = SpawnedProcess()
            process.executableURL = probe
            process.arguments = [path, acksPath, room.description, sender.description, "c\(cycle)"]
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            // Let it get going (at least one more acknowledged send), then kill it at a random moment.
            let deadline = Date().addingTimeInterval(30)
            while Self.lines(acksPath).count <= acknowledged, process.isRunning, Date() < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...120, using: &generator)))
            let wasRunning = process.isRunning
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            try #require(wasRunning, "cycle \(cycle): the probe stopped by itself: \(stderr)")
            #expect(process.terminationReason == .uncaughtSignal, "cycle \(cycle): killed by SIGKILL")

            let store = try SQLiteMessagingStore(path: path)
            #expect(try await store.integrityCheck() == [], "cycle \(cycle): integrity_check")
            let acks = Self.lines(acksPath)
            #expect(acks.count > acknowledged, "cycle \(cycle): the probe made progress")
            acknowledged = acks.count
            let messaging = Messaging(store: store)
            var events: [ConversationEvent] = []
            var after: Int64 = 0
            while true {
                let page = try await messaging.sync.events(in: room, after: after, limit: 500, for: sender)
                events += page.events
                guard page.hasMore, let last = page.events.last else { break }
                after = last.seq
            }
            let lastSeq = try await messaging.conversations.conversation(room, for: sender).lastSeq
            #expect(events.map(\.seq) == (lastSeq > 0 ? Array(1...lastSeq) : []), "cycle \(cycle): gapless seqs")
            var stored: [String: Int64] = [:]
            for event in events {
                if case .messageCreated(let message) = event.payload { stored[message.clientMessageID.rawValue] = message.seq }
            }
            for line in acks {
                let parts = line.split(separator: " ")
                try #require(parts.count == 2, "cycle \(cycle): malformed acknowledgement \(line)")
                #expect(stored[String(parts[0])] == Int64(parts[1]), "cycle \(cycle): acknowledged send \(parts[0]) is stored at its seq")
            }
        }
        #expect(acknowledged > 20)
    }

    /// Complete (newline-terminated) lines; a line cut by a kill is not an acknowledgement.
    static func lines(_ path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: data, as: UTF8.self).components(separatedBy: "\n").dropLast().map { $0 }
    }
}
