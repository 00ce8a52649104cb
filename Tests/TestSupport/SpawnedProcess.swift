import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process for tests, started with `posix_spawn` instead of Foundation's `Process`.
///
/// Why: on Linux, `Process.run()` (swift-corelibs-foundation, Swift 6.3.1) reads 256 bytes
/// past a `dirent` while it lists `/proc/self/fd` (`findMaximumOpenFromProcSelfFD`), which
/// crashes the process when the test binary holds many descriptors — the whole test run
/// has held up to ~2,000, and a run died with SIGSEGV in `Process.run()` from that bug
/// (fixed upstream in swift-corelibs-foundation#5472, not in this toolchain). This type
/// keeps the small part of `Process`'s API the tests use, so call sites read the same.
///
/// The child gets stdin/stdout/stderr from the given `Pipe` or `FileHandle` (the null device
/// when none is given for stdin) and no other descriptor of the test process
/// (`posix_spawn_file_actions_addclosefrom_np(3)`), so an unrelated child never keeps a
/// pipe of another one open.
///
/// Thread safety: configure it on one task, then `run()`; the status accessors may be
/// called from any task.
public final class SpawnedProcess: @unchecked Sendable {
    // @unchecked: configuration properties are set before `run()` on one task and only read
    // by `run()`; everything after launch is behind `state`.
    public enum TerminationReason: Sendable, Equatable {
        case exit
        case uncaughtSignal
    }

    public struct LaunchError: Error, CustomStringConvertible {
        public let description: String
    }

    public var executableURL: URL?
    public var arguments: [String] = []
    public var environment: [String: String]?
    /// A `Pipe` or a `FileHandle`.
    public var standardInput: Any?
    /// A `Pipe` or a `FileHandle`.
    public var standardOutput: Any?
    /// A `Pipe` or a `FileHandle`.
    public var standardError: Any?

    private struct State {
        var pid: pid_t = 0
        var status: Int32?
    }

    private let state = Mutex(State())

    public init() {}

    /// Starts the child.
    public func run() throws {
        guard let executable = executableURL?.path else { throw LaunchError(description: "no executable") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let null = FileHandle.nullDevice
        let inputFD = Self.descriptor(standardInput, reading: true) ?? null.fileDescriptor
        let outputFD = Self.descriptor(standardOutput, reading: false) ?? FileHandle.standardOutput.fileDescriptor
        let errorFD = Self.descriptor(standardError, reading: false) ?? FileHandle.standardError.fileDescriptor
        posix_spawn_file_actions_adddup2(&actions, inputFD, 0)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        posix_spawn_file_actions_adddup2(&actions, errorFD, 2)
        guard let closeFrom = Self.addCloseFrom else {
            throw LaunchError(description: "posix_spawn_file_actions_addclosefrom_np is missing (glibc 2.34 or later needed)")
        }
        _ = closeFrom(&actions, 3)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in variables { free(pointer) } }

        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, variables)
        guard result == 0 else {
            throw LaunchError(description: "posix_spawn \(executable) failed: \(String(cString: strerror(result)))")
        }
        state.withLock { $0.pid = pid }
        // The parent's copies of the child's ends: closed, so reading a pipe to its end
        // finishes when the child exits.
        Self.closeChildEnd(of: standardInput, reading: true)
        Self.closeChildEnd(of: standardOutput, reading: false)
        Self.closeChildEnd(of: standardError, reading: false)
    }

    public var processIdentifier: Int32 { state.withLock { $0.pid } }

    /// Whether the child still runs (reaps it once it ended).
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// Waits until the child ended.
    public func waitUntilExit() {
        while reap(blocking: false) == nil { usleep(2_000) }
    }

    public var terminationStatus: Int32 {
        guard let status = reap(blocking: false) else { return 0 }
        return Self.signalled(status) ? status & 0x7F : (status >> 8) & 0xFF
    }

    public var terminationReason: TerminationReason {
        guard let status = reap(blocking: false) else { return .exit }
        return Self.signalled(status) ? .uncaughtSignal : .exit
    }

    /// Sends SIGTERM.
    public func terminate() {
        let pid = processIdentifier
        if pid > 0, isRunning { kill(pid, SIGTERM) }
    }

    // MARK: Internals

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+; not in the Swift overlay).
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    private func reap(blocking: Bool) -> Int32? {
        state.withLock { state -> Int32? in
            if let status = state.status { return status }
            guard state.pid > 0 else { return nil }
            var status: Int32 = 0
            let result = waitpid(state.pid, &status, blocking ? 0 : WNOHANG)
            guard result == state.pid else { return nil }
            state.status = status
            return status
        }
    }

    private static func signalled(_ status: Int32) -> Bool {
        let signal = status & 0x7F
        return signal != 0 && signal != 0x7F
    }

    private static func descriptor(_ stream: Any?, reading: Bool) -> Int32? {
        switch stream {
        case let pipe as Pipe: (reading ? pipe.fileHandleForReading : pipe.fileHandleForWriting).fileDescriptor
        case let handle as FileHandle: handle.fileDescriptor
        default: nil
        }
    }

    private static func closeChildEnd(of stream: Any?, reading: Bool) {
        guard let pipe = stream as? Pipe else { return }
        try? (reading ? pipe.fileHandleForReading : pipe.fileHandleForWriting).close()
    }
}

extension SpawnedProcess {
    /// Runs `executable arguments…` to its end with `input` on its stdin; returns its exit
    /// status and what it wrote to stdout and stderr.
    /// `environment` replaces the parent's when given.
    public static func run(
        _ executable: URL, _ arguments: [String], input: Data, environment: [String: String]? = nil
    ) throws -> (status: Int32, output: Data, errors: Data) {
        let process = SpawnedProcess()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let (stdin, stdout, stderr) = (Pipe(), Pipe(), Pipe())
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output, errors)
    }
}
