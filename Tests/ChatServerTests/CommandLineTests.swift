import TestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `ChatServer` executable as an operator runs it: configured by environment and flags,
/// printing its startup line, serving, and exiting 0 on SIGTERM.
@Suite("ChatServer executable")
struct CommandLineTests {
    /// A built executable of this package (`ChatServer`, `ChatClient`), beside the test bundle.
    static func executable(_ name: String = "ChatServer") throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw TestFailure.unexpected("the \(name) executable was not found near \(CommandLine.arguments[0]); build it first")
    }

    @Test("environment configures it; it prints where it listens, serves, and exits 0 on SIGTERM")
    func runAndTerminate() async throws {
        let directory = try TestServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("env-data/chat.sqlite").path
        let process = SpawnedProcess()
        process.executableURL = try Self.executable()
        process.arguments = ["--port", "0", "--no-jobs"]
        var environment = ProcessInfo.processInfo.environment
        environment["CHAT_DATABASE"] = database
        environment["CHAT_HOST"] = "127.0.0.1"
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // Read the startup banner until it names the address.
        var banner = ""
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while !banner.contains("/v1/realtime"), ContinuousClock.now < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner += String(decoding: chunk, as: UTF8.self)
        }
        let base = try #require(banner.split(separator: " ").first { $0.hasPrefix("http://127.0.0.1:") }.map(String.init),
            "no address in: \(banner)")
        #expect(banner.contains("database: \(database)"))
        #expect(banner.contains("left to a separate DeliveryWorker"))
        #expect(banner.contains("ChatClient"))
        #expect(FileManager.default.fileExists(atPath: database))

        let health = try await HTTPClient(base: base).call("GET", "/healthz")
        #expect(health.status == 200)

        kill(process.processIdentifier, SIGTERM)
        let stopDeadline = ContinuousClock.now.advanced(by: .seconds(20))
        while process.isRunning, ContinuousClock.now < stopDeadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning, "still running 20 s after SIGTERM")
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("generated a new access-token signing key"))
        #expect(log.contains("shutting down"))
    }

    @Test("a bad setting stops it at once with a message naming the setting")
    func badConfiguration() throws {
        let process = SpawnedProcess()
        process.executableURL = try Self.executable()
        process.arguments = ["--port", "70000"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("port"), "\(text)")
    }
}
