import TestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `ChatClient` executable against a ChatServer on loopback, as a user runs it.
@Suite("ChatClient command line", .timeLimit(.minutes(3)))
struct ChatClientTests {
    struct Run: Sendable {
        let status: Int32
        let output: String
        let errors: String
    }

    /// Runs `ChatClient arguments…` with its profiles in `home`; returns when it exits (30 s at most).
    static func chat(
        _ arguments: [String], home: URL, password: String = "correct horse battery staple", environment extra: [String: String] = [:]
    ) async throws -> Run {
        let process = SpawnedProcess()
        process.executableURL = try CommandLineTests.executable("ChatClient")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CHAT_CLIENT_HOME"] = home.path
        environment["CHAT_PASSWORD"] = password
        environment["CHAT_DEVICE_PASSWORD"] = nil
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure.timeout("ChatClient \(arguments.joined(separator: " "))")
        }
        return Run(
            status: process.terminationStatus,
            output: String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            errors: String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test("tail piped into another program and stopped with Ctrl-C keeps every event it printed (issue #13, item 13)")
    func tailPipedThenInterrupted() async throws {
        let home = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        try await TestServer.with { server in
            let base = server.base
            _ = try await Self.chat(["register", "alice", "--profile", "alice", "--server", base], home: home)
            _ = try await Self.chat(["register", "bob", "--profile", "bob", "--server", base], home: home)
            let room = try await Self.chat(["create", "bob", "--profile", "alice"], home: home).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let process = SpawnedProcess()
            process.executableURL = try CommandLineTests.executable("ChatClient")
            process.arguments = ["tail", room, "--after", "0", "--profile", "bob"]
            var environment = ProcessInfo.processInfo.environment
            environment["CHAT_CLIENT_HOME"] = home.path
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            try await Task.sleep(for: .milliseconds(1500))
            for text in ["piped-one", "piped-two", "piped-three"] {
                _ = try await Self.chat(["send", room, text, "--profile", "alice"], home: home)
            }
            try await Task.sleep(for: .milliseconds(1500))
            kill(process.processIdentifier, SIGINT)
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            for text in ["piped-one", "piped-two", "piped-three"] {
                #expect(printed.contains(text), "\(text) missing from the piped output: \(printed)")
            }
        }
    }

    @Test("register, create, send, tail, history, search, read — and tokens kept in a 0600 profile")
    func session() async throws {
        let home = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        try await TestServer.with { server in
            let base = server.base
            let alice = try await Self.chat(["register", "alice", "--profile", "alice", "--server", base], home: home)
            #expect(alice.status == 0, "\(alice)")
            #expect(alice.output.contains("logged in as alice"))
            let bob = try await Self.chat(["register", "bob", "--profile", "bob", "--server", base], home: home)
            #expect(bob.status == 0, "\(bob)")

            let profile = home.appendingPathComponent("alice.json")
            let attributes = try FileManager.default.attributesOfItem(atPath: profile.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(try String(contentsOf: profile, encoding: .utf8).contains("refreshToken"))

            let created = try await Self.chat(["create", "bob", "--title", "cli room", "--profile", "alice"], home: home)
            #expect(created.status == 0, "\(created)")
            let room = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(UUID(uuidString: room) != nil, "\(created)")

            let sent = try await Self.chat(["send", room, "hello", "from", "the", "cli", "--client-id", "c1", "--profile", "alice"], home: home)
            #expect(sent.output.contains("sent (seq 1)"), "\(sent)")
            let repeated = try await Self.chat(["send", room, "hello", "from", "the", "cli", "--client-id", "c1", "--profile", "alice"], home: home)
            #expect(repeated.output.contains("already sent (seq 1)"), "\(repeated)")

            // Bob tails from the start: the first message, then a live one.
            async let tail = Self.chat(["tail", room, "--after", "0", "--count", "2", "--profile", "bob"], home: home)
            try await Task.sleep(for: .milliseconds(1500))
            _ = try await Self.chat(["send", room, "second", "--profile", "alice"], home: home)
            let tailed = try await tail
            #expect(tailed.status == 0, "\(tailed)")
            let lines = tailed.output.split(separator: "\n")
            #expect(lines.count == 2, "\(tailed)")
            #expect(lines.first?.contains("[1]") == true && lines.first?.contains("hello from the cli") == true)
            #expect(lines.last?.contains("[2]") == true && lines.last?.contains("second") == true)

            let history = try await Self.chat(["history", room, "--profile", "bob"], home: home)
            #expect(history.output.contains("hello from the cli") && history.output.contains("second"), "\(history)")
            let search = try await Self.chat(["search", "cli", "--profile", "bob"], home: home)
            #expect(search.output.contains("hello from the cli"), "\(search)")
            // `read` defaults to the last seq `tail` saw.
            let read = try await Self.chat(["read", room, "--profile", "bob"], home: home)
            #expect(read.output.contains("read up to seq 2"), "\(read)")
        }
    }

    @Test("clear errors and exit codes: bad arguments, not logged in, server unreachable")
    func errors() async throws {
        let home = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let notAnID = try await Self.chat(["send", "not-a-uuid", "hi", "--server", "http://127.0.0.1:9"], home: home)
        #expect(notAnID.status == 64)
        #expect(notAnID.errors.contains("is not a conversation id"), "\(notAnID)")
        let notLoggedIn = try await Self.chat(
            ["send", UUID().uuidString, "hi", "--server", "http://127.0.0.1:9"], home: home)
        #expect(notLoggedIn.status == 64)
        #expect(notLoggedIn.errors.contains("Not logged in"), "\(notLoggedIn)")
        let unreachable = try await Self.chat(["login", "alice", "--server", "http://127.0.0.1:9"], home: home)
        #expect(unreachable.status == 69)
        #expect(unreachable.errors.contains("Cannot reach the server"), "\(unreachable)")
    }
}
