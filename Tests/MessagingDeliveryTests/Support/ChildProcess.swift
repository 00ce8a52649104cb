import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process the fault tests start, watch and kill.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `Process` is used from one test task at a time; the pipe is read after exit.
    let process: Process
    private let errors: Pipe?

    /// Adopts a process the caller started.
    init(wrapping process: Process) {
        self.process = process
        errors = nil
    }

    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        process = Process()
        let errors = Pipe()
        self.errors = errors
        process.executableURL = executable
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged["MESSAGING_FAILPOINT"] = nil
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Waits for the process to end by itself, at most `timeout`; `false` when it did not.
    func wait(upTo timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        return !process.isRunning
    }

    var killedBySignal: Bool { !process.isRunning && process.terminationReason == .uncaughtSignal }

    var standardError: String {
        guard let errors else { return "" }
        return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}

/// Complete (newline-terminated) lines of a file.
func completeLines(_ path: String) -> [Substring] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    let text = String(decoding: data, as: UTF8.self)
    guard let end = text.lastIndex(of: "\n") else { return [] }
    return text[..<end].split(separator: "\n", omittingEmptySubsequences: false)
}
