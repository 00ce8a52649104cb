import ArgumentParser
import Foundation
import Logging
import MessagingTransport
import MessagingWebSocket
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// End-to-end load against a running ChatServer over loopback WebSockets: fanout
/// deliveries per second, send-to-receive latency, the server's CPU per delivery, and the
/// resident memory of idle authenticated connections. See `Documentation/Benchmarks.md`.
///
/// The server must run with limits that admit the load (`ChatServer --benchmark-limits`),
/// and its pid is needed for CPU and memory (`--server-pid`). `make bench-e2e` does all that.
@main
struct LoadGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "LoadGenerator", abstract: "End-to-end fanout and idle-connection load against ChatServer.")

    @Option(help: "Server URL.") var server = "http://127.0.0.1:8080"
    @Option(help: "The server's process id (for its CPU time and resident memory).") var serverPid: Int32
    @Option(help: "Conversation sizes to measure (repeatable).") var members: [Int] = [100, 1000]
    @Option(help: "Messages per burst run.") var messages = 500
    @Option(help: "Messages per one-at-a-time run.") var singleMessages = 100
    @Option(help: "Payload bytes per message.") var payloadBytes = 200
    @Option(help: "Idle authenticated connections to open for the memory figure (0 skips).") var idle = 10_000
    @Option(help: "Hard bound on the whole run, in seconds.") var timeLimit = 600
    @Option(help: "Sends in flight in a burst.") var window = 64

    func run() async throws {
        let deadline = ContinuousClock.now + .seconds(timeLimit)
        let api = HTTP(base: server)
        let probe = ServerProbe(pid: serverPid)
        guard probe.cpuSeconds() != nil else {
            throw ValidationError("No process \(serverPid): pass the ChatServer's pid with --server-pid.")
        }
        let runID = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let maxMembers = members.max() ?? 0
        progress("registering \(maxMembers) users (run \(runID))")
        let users = try await api.users(count: maxMembers, prefix: "lg\(runID)u", deadline: deadline)
        var results: [String] = []
        for n in members {
            guard n >= 2, n <= users.count else { throw ValidationError("--members must be 2…\(users.count)") }
            let room = try await Room.open(api: api, users: Array(users.prefix(n)), server: server, deadline: deadline)
            for (mode, count) in [("burst", messages), ("single", singleMessages)] where count > 0 {
                let figure = try await room.measure(
                    mode: mode, messages: count, payloadBytes: payloadBytes, window: window, probe: probe, deadline: deadline)
                progress(figure)
                results.append(figure)
            }
            await room.close()
        }
        if idle > 0 {
            let figure = try await idleConnections(count: idle, user: users[0], probe: probe, deadline: deadline)
            progress(figure)
            results.append(figure)
        }
        print("\n== end-to-end results (server pid \(serverPid), \(payloadBytes)-byte payloads, loopback)")
        for line in results { print(line) }
    }

    func idleConnections(count: Int, user: User, probe: ServerProbe, deadline: ContinuousClock.Instant) async throws -> String {
        try await Task.sleep(for: .seconds(1))
        let before = probe.residentBytes() ?? 0
        let ready = Counter()
        let url = realtimeURL(server)
        progress("opening \(count) idle authenticated connections")
        let failures = Counter()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            // Open them 100 at a time (a burst of 10,000 SYNs overflows the accept backlog);
            // a connection that fails is retried.
            for index in 0..<count {
                while index - ready.value - failures.value >= 100, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(2))
                }
                group.addTask {
                    for _ in 0..<5 {
                        let client = WebSocketTransportClient(url: url, bearerToken: user.token, logger: quietLogger)
                        let outcome = try? await client.withConnection { connection -> Bool in
                            guard let frame = try await connection.receive(), frame.string?.contains("\"ready\"") == true else { return false }
                            ready.increment()
                            // Idle until the group is cancelled (answering the server's pings).
                            while let frame = try await connection.receive() {
                                if frame.string?.contains(#""type":"ping""#) == true { try await connection.write(.text(#"{"type":"pong"}"#)) }
                            }
                            return true
                        }
                        if outcome?.value == true || Task.isCancelled { return }
                    }
                    failures.increment()
                }
                if index % 1000 == 999 { progress("  \(ready.value)/\(count) ready, \(failures.value) failed") }
            }
            var last = -1
            while ready.value < count, ContinuousClock.now < deadline {
                let now = ready.value
                if now / 1000 != last / 1000 { progress("  \(now)/\(count) ready") }
                last = now
                try await Task.sleep(for: .milliseconds(200))
            }
            try await Task.sleep(for: .seconds(2))
            let after = probe.residentBytes() ?? 0
            let opened = ready.value
            group.cancelAll()
            let perConnection = opened > 0 ? Double(after - before) / Double(opened) / 1024 : 0
            return String(
                format: "idle: %d authenticated connections added %.1f MiB resident to the server = %.2f KiB per connection",
                opened, Double(after - before) / 1_048_576, perConnection)
        }
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "LoadGenerator")
    logger.logLevel = .critical
    return logger
}()

func progress(_ text: String) {
    FileHandle.standardError.write(Data("[\(Date().formatted(.iso8601.time(includingFractionalSeconds: false)))] \(text)\n".utf8))
}

func realtimeURL(_ server: String) -> String {
    server.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(of: "https://", with: "wss://")
        + "/v1/realtime"
}

/// CPU time and resident memory of the server process, from /proc.
struct ServerProbe: Sendable {
    let pid: Int32

    func cpuSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Fields after the name: state(0) … utime(11) stime(12), in clock ticks.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kib = Int(parts[1]) { return kib * 1024 }
        }
        return nil
    }
}
