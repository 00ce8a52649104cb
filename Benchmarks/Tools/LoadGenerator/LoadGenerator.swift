import ArgumentParser
import Foundation
import Logging
import MessagingTransport
import MessagingWebSocket
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// End-to-end load on loopback, against a running ChatServer (WebSockets, `chat`, the default)
/// or a running redis-server (RESP pub/sub, `redis`), with the same payloads, conversation
/// sizes and modes, so the two can be read side by side (`report`). See
/// `Documentation/Benchmarks.md`; `make bench-e2e` runs all three.
@main
struct LoadGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "LoadGenerator",
        abstract: "End-to-end fanout and idle-connection load against ChatServer or Redis pub/sub, on loopback.",
        subcommands: [ChatLoad.self, RedisLoad.self, Report.self],
        defaultSubcommand: ChatLoad.self)
}

/// The options both peers are measured with, so one `scripts/bench-e2e.sh --members 100 …`
/// applies the same load to both.
struct SharedOptions: ParsableArguments {
    @Option(help: "The server's process id (for its CPU time and resident memory).") var serverPid: Int32
    @Option(help: "Conversation (channel) sizes to measure (repeatable).") var members: [Int] = [100, 1000]
    @Option(help: "Messages per burst run.") var messages = 500
    @Option(help: "Messages per one-at-a-time run.") var singleMessages = 100
    @Option(help: "Payload bytes per message.") var payloadBytes = 200
    @Option(help: "Idle connections to open for the memory figure (0 skips).") var idle = 10_000
    @Option(help: "Seconds to hold the idle connections open while the server's CPU is measured.") var idleHold = 60
    @Option(help: "Hard bound on the whole run, in seconds.") var timeLimit = 600
    @Option(help: "Sends (publishes) in flight in a burst.") var window = 64
    @Option(help: "ChatServer only: messages sent to a conversation with no subscribed receivers, per mode, for the persistence share (0 skips).")
    var persistenceMessages = 2000
    @Option(help: "Redis only: repeat each run until the server has spent at least this much CPU (seconds), so the 10 ms clock tick of /proc/<pid>/stat is under 1% of the figure.")
    var minServerCpu = 1.0
    @Option(help: "Append the figures as JSON lines to this file (read by `LoadGenerator report`).") var results: String?

    func validate() throws {
        guard members.allSatisfy({ $0 >= 2 }) else { throw ValidationError("--members must be at least 2 (a sender and a receiver).") }
        guard payloadBytes >= 32 else { throw ValidationError("--payload-bytes must be at least 32 (the timestamp and sequence number fit in it).") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1.") }
        guard idle >= 0, idleHold >= 0, messages >= 0, singleMessages >= 0, persistenceMessages >= 0 else {
            throw ValidationError("counts and durations must not be negative.")
        }
    }

    var deadline: ContinuousClock.Instant { ContinuousClock.now + .seconds(timeLimit) }

    func probe() throws -> ServerProbe {
        let probe = ServerProbe(pid: serverPid)
        guard probe.cpuSeconds() != nil else {
            throw ValidationError("No process \(serverPid): pass the server's pid with --server-pid.")
        }
        return probe
    }
}

/// The ChatServer over loopback WebSockets (`--benchmark-limits` admits the load).
struct ChatLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat", abstract: "Fanout, zero-receiver sends and idle connections against a running ChatServer.")

    @Option(help: "Server URL (loopback only).") var server = "http://127.0.0.1:8080"
    @Option(help: "Cross-node runs: the receivers connect to this node (another ChatServer on the same database) while the sender stays on --server (loopback only).")
    var receiverServer: String?
    @Option(help: "With --receiver-server: that node's process id (its CPU time is reported beside the sender node's).")
    var receiverServerPid: Int32?
    @Option(help: "Fanout sizes to measure again with the receivers on Server-Sent Events (/v1/realtime/events) instead of WebSocket (repeatable; none skips).")
    var sseMembers: [Int] = [100, 1000]
    @OptionGroup var options: SharedOptions

    func run() async throws {
        for url in [server] + (receiverServer.map { [$0] } ?? []) {
            guard let host = URLComponents(string: url)?.host, isLoopback(host) else {
                throw ValidationError("\(url) is not a loopback URL: the load only ever goes to 127.0.0.0/8 or localhost.")
            }
        }
        guard (receiverServer == nil) == (receiverServerPid == nil) else {
            throw ValidationError("--receiver-server and --receiver-server-pid go together.")
        }
        let receiverProbe = receiverServerPid.map { ServerProbe(pid: $0) }
        let deadline = options.deadline
        let api = HTTP(base: server)
        let probe = try options.probe()
        let output = try FigureSink(path: options.results)
        let runID = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let maxMembers = max(options.members.max() ?? 0, sseMembers.max() ?? 0, 1)
        progress("registering \(maxMembers) users (run \(runID))")
        let users = try await api.users(count: maxMembers, prefix: "lg\(runID)u", deadline: deadline)
        var results: [String] = []
        let runs = options.members.map { ($0, ReceiverTransport.webSocket) } + sseMembers.map { ($0, ReceiverTransport.serverSentEvents) }
        for (n, transport) in runs {
            guard n >= 2, n <= users.count else { throw ValidationError("--members and --sse-members must be 2…\(users.count)") }
            let room = try await Room.open(
                api: api, users: Array(users.prefix(n)), server: server, receiverServer: receiverServer ?? server,
                transport: transport, deadline: deadline)
            for (mode, count) in [("burst", options.messages), ("single", options.singleMessages)] where count > 0 {
                let figure = try await room.measure(
                    mode: mode, messages: count, payloadBytes: options.payloadBytes, window: options.window, probe: probe,
                    receiverProbe: receiverProbe, deadline: deadline)
                try output.write(figure)
                progress(figure.line)
                results.append(figure.line)
            }
            await room.close()
        }
        if options.persistenceMessages > 0 {
            for figure in try await Room.zeroReceivers(
                api: api, owner: users[0], server: server, messages: options.persistenceMessages,
                payloadBytes: options.payloadBytes, window: options.window, probe: probe, deadline: deadline)
            {
                try output.write(figure)
                progress(figure.line)
                results.append(figure.line)
            }
        }
        if options.idle > 0 {
            let figure = try await idleConnections(count: options.idle, user: users[0], probe: probe, deadline: deadline)
            try output.write(figure)
            progress(figure.line)
            results.append(figure.line)
        }
        print("\n== ChatServer end-to-end results (server pid \(options.serverPid), \(options.payloadBytes)-byte payloads, loopback)")
        for line in results { print(line) }
    }

    func idleConnections(count: Int, user: User, probe: ServerProbe, deadline: ContinuousClock.Instant) async throws -> Figure {
        try requireDescriptors(count + 64, for: "\(count) idle connections")
        let before = probe.settledResidentBytes()
        let ready = Counter()
        let url = realtimeURL(server)
        progress("opening \(count) idle authenticated connections")
        let failures = Counter()
        let hold = options.idleHold
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
            let opened = ready.value
            let held = try await holdIdle(seconds: hold, probe: probe, deadline: deadline, stillOpen: { ready.value })
            let after = probe.residentBytes() ?? 0
            group.cancelAll()
            return Figure.idle(
                peer: .chatserver, connections: opened, failed: failures.value, residentDelta: after - before, hold: held)
        }
    }
}

/// What holding idle connections cost the server: its CPU over the hold.
struct IdleHold {
    var seconds: Double
    var cpuSeconds: Double
    var coreFraction: Double { seconds > 0 ? cpuSeconds / seconds : 0 }
}

/// Holds for `seconds` (bounded by the deadline), measuring the server's CPU over the hold;
/// progress every 10 s.
func holdIdle(seconds: Int, probe: ServerProbe, deadline: ContinuousClock.Instant, stillOpen: () -> Int) async throws -> IdleHold {
    guard seconds > 0 else { return IdleHold(seconds: 0, cpuSeconds: 0) }
    progress("holding \(stillOpen()) idle connections for \(seconds) s (server CPU over the hold)")
    let cpu0 = probe.cpuSeconds() ?? 0
    let t0 = ContinuousClock.now
    let end = min(t0 + .seconds(seconds), deadline)
    while ContinuousClock.now < end {
        try await Task.sleep(for: min(.seconds(10), end - ContinuousClock.now))
        progress("  held \(Int((ContinuousClock.now - t0).seconds)) s, \(stillOpen()) connections")
    }
    return IdleHold(seconds: (ContinuousClock.now - t0).seconds, cpuSeconds: (probe.cpuSeconds() ?? 0) - cpu0)
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
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

/// 127.0.0.0/8, ::1 or localhost: the only addresses this tool sends to.
func isLoopback(_ host: String) -> Bool {
    if host == "localhost" || host == "::1" || host == "[::1]" { return true }
    let parts = host.split(separator: ".")
    return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
}

/// The machine's load average (1, 5 and 15 minutes), from /proc/loadavg.
func currentLoadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}

/// Fails early, with what to do, when this process cannot hold `count` descriptors; raises
/// the soft limit to the hard one first.
func requireDescriptors(_ count: Int, for what: String) throws {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
    }
    guard Int(limit.rlim_cur) >= count else {
        throw LoadError(
            "\(what) need about \(count) file descriptors but this process may open \(limit.rlim_cur) (hard limit \(limit.rlim_max)): lower --idle or raise the hard limit (ulimit -Hn) before running.")
    }
}

/// CPU time and resident memory of the server process, from /proc.
struct ServerProbe: Sendable {
    let pid: Int32

    /// User + system time of all the process's threads (utime + stime of /proc/<pid>/stat),
    /// in seconds; the kernel counts it in clock ticks (10 ms here).
    func cpuSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Fields after the name: state(0) … utime(11) stime(12), in clock ticks.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory once it has stopped moving: sampled every 2 s until it has stayed
    /// within 64 KiB for 10 s (at most `maxWait`). After the fanout runs an allocator may still
    /// be returning their buffers (Redis's jemalloc keeps them ~7 s, then purges them over
    /// ~8 s), which would otherwise be subtracted from the idle connections' cost.
    func settledResidentBytes(maxWait: Duration = .seconds(60)) -> Int {
        progress("waiting for the server's resident memory to settle (10 s without change)")
        let end = ContinuousClock.now + maxWait
        var window = [residentBytes() ?? 0]
        while ContinuousClock.now < end {
            Thread.sleep(forTimeInterval: 2)
            window.append(residentBytes() ?? 0)
            window = Array(window.suffix(6))
            if window.count == 6, let low = window.min(), let high = window.max(), high - low < 64 * 1024 { break }
        }
        progress("  resident memory before: \(window.last! / 1024) KiB")
        return window.last!
    }

    /// The main thread's time on a core and time waiting for one (run queue), in seconds,
    /// from /proc/<pid>/schedstat (nanoseconds). For single-threaded Redis, wall time minus
    /// both is the time its event loop slept waiting for input.
    func mainThreadSchedule() -> (running: Double, queued: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/schedstat", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let running = Double(fields[0]), let queued = Double(fields[1]) else { return nil }
        return (running / 1e9, queued / 1e9)
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
