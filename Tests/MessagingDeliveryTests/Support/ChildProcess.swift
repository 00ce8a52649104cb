import TestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process the fault tests start, watch and kill.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `Process` is used from one test task at a time; the pipe is read after exit.
    let process: SpawnedProcess
    private let errors: Pipe?

    /// Adopts a process the caller started.
    init(wrapping process: SpawnedProcess) {
        self.process = process
        errors = nil
    }

    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        process = SpawnedProcess()
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

/// Complete (newline-terminated) lines of a file, skipping the first `skip`.
func completeLines(_ path: String, from skip: Int = 0) -> [Substring] {
    guard let data = FileManager.default.contents(atPath: path) else { return [] }
    let text = String(decoding: data, as: UTF8.self)
    guard let end = text.lastIndex(of: "\n") else { return [] }
    return Array(text[..<end].split(separator: "\n", omittingEmptySubsequences: false).dropFirst(skip))
}

/// Counts the complete lines of a file that only grows, reading only what was appended.
final class GrowingFileLines {
    private let path: String
    private var offset: UInt64 = 0
    private(set) var count = 0

    init(_ path: String) { self.path = path }

    private var pending: [Substring] = []

    /// Reads what was appended since the last call; returns the number of complete lines.
    @discardableResult
    func refresh() -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return count }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        guard let data = try? handle.readToEnd(), let last = data.lastIndex(of: 0x0A) else { return count }
        let text = String(decoding: data[...last], as: UTF8.self)
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        pending += lines
        count += lines.count
        offset += UInt64(last - data.startIndex + 1)
        return count
    }

    /// The complete lines read since the previous call.
    func takeNewLines() -> [Substring] {
        refresh()
        defer { pending.removeAll() }
        return pending
    }
}
