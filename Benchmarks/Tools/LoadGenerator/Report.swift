import ArgumentParser
import Foundation

enum Peer: String, Codable, Sendable {
    case chatserver, redis

    var title: String { self == .chatserver ? "ChatServer" : "Redis" }
}

/// One measured figure, as a JSON line in the `--results` file.
struct Figure: Codable, Sendable {
    enum Kind: String, Codable, Sendable {
        /// N receivers, `mode` burst or single.
        case fanout
        /// ChatServer only: sends into a conversation with no subscribed receiver.
        case persistence
        /// Idle connections held open.
        case idle
    }

    var peer: Peer
    var kind: Kind
    /// ChatServer fanout: how the receivers connected, `nil` for WebSocket, `"sse"` for Server-Sent Events.
    var transport: String?
    var members = 0
    var mode = ""
    var messages = 0
    /// Repetitions of the run (Redis repeats until `--min-server-cpu`).
    var rounds = 1
    var deliveries = 0
    var seconds = 0.0
    var serverCPUSeconds = 0.0
    /// Server CPU per delivery (fanout) or per message (persistence), µs.
    var cpuMicroseconds = 0.0
    var p50Milliseconds: Double?
    var p99Milliseconds: Double?
    var duplicates: Int?
    var missing: Int?
    /// Server CPU over wall time during the run: near 1 (one core) means the server, not the
    /// generator, set the pace (Redis is single-threaded).
    var serverBusy = 0.0
    /// Redis: the generator's receiving thread's CPU over wall time (near 1 = it was the bottleneck).
    var receiverBusy: Double?
    /// Redis: share of the wall time its event-loop thread waited for a core (run queue, from
    /// /proc/<pid>/schedstat): the machine's load, not the generator.
    var serverQueued: Double?
    /// Redis: share of the wall time its event-loop thread slept waiting for input. Small in
    /// a burst = the generator kept Redis fed; in single mode it waits by design.
    var serverSleeping: Double?
    var frameBytes: Int?
    var rawWriteMicroseconds: Double?
    /// Cross-node runs: the receivers' node's CPU per delivery (`cpuMicroseconds` is the sender's node).
    var receiverNodeCPUMicroseconds: Double?
    var connections: Int?
    var failedConnections: Int?
    var residentDeltaBytes: Int?
    var holdSeconds: Double?
    var holdCPUSeconds: Double?
    var loadAverage = currentLoadAverage()

    var kibPerConnection: Double? {
        guard let connections, connections > 0, let residentDeltaBytes else { return nil }
        return Double(residentDeltaBytes) / Double(connections) / 1024
    }

    var holdCoreFraction: Double? {
        guard let holdSeconds, holdSeconds > 0, let holdCPUSeconds else { return nil }
        return holdCPUSeconds / holdSeconds
    }

    /// Cores per 10,000 idle connections over the hold.
    var holdCorePer10k: Double? {
        guard let fraction = holdCoreFraction, let connections, connections > 0 else { return nil }
        return fraction * 10_000 / Double(connections)
    }

    static func idle(peer: Peer, connections: Int, failed: Int, residentDelta: Int, hold: IdleHold) -> Figure {
        var figure = Figure(peer: peer, kind: .idle)
        figure.connections = connections
        figure.failedConnections = failed
        figure.residentDeltaBytes = residentDelta
        figure.holdSeconds = hold.seconds
        figure.holdCPUSeconds = hold.cpuSeconds
        return figure
    }

    /// One human line, as printed in the progress and at the end of a run.
    var line: String {
        switch kind {
        case .fanout:
            var text = String(
                format: "%@%@ N=%d %@: %d deliveries in %.2f s (%d round%@) = %.0f deliveries/s; latency p50 %.2f ms p99 %.2f ms; server CPU %.3f µs/delivery (%.2f s per million), server busy %.0f%% of a core",
                peer.title, transport.map { " (receivers over \($0))" } ?? "", members, mode, deliveries, seconds, rounds, rounds == 1 ? "" : "s", Double(deliveries) / max(seconds, 1e-9),
                p50Milliseconds ?? .nan, p99Milliseconds ?? .nan, cpuMicroseconds, cpuMicroseconds, serverBusy * 100)
            if let queued = serverQueued, let sleeping = serverSleeping {
                text += String(format: " (its event loop waited for a core %.0f%% of the time and for input %.0f%%)", queued * 100, sleeping * 100)
            }
            if let receiverBusy { text += String(format: ", generator's receiving thread busy %.0f%%", receiverBusy * 100) }
            if let receiverNode = receiverNodeCPUMicroseconds {
                text += String(
                    format: "; cross-node: sender's node %.3f µs/delivery, receivers' node %.3f µs/delivery, both %.3f", cpuMicroseconds,
                    receiverNode, cpuMicroseconds + receiverNode)
            }
            if let duplicates, let missing { text += "; duplicates \(duplicates), missing \(missing)" }
            if let frameBytes, let raw = rawWriteMicroseconds {
                text += String(format: "; raw write() of the %d-byte frame %.3f µs → ratio %.1f×", frameBytes, raw, cpuMicroseconds / raw)
            }
            return text + "; load \(loadAverage)"
        case .persistence:
            return String(
                format: "%@ zero receivers %@: %d messages in %.2f s = %.0f messages/s; server CPU %.1f µs/message, server busy %.0f%% of a core; load %@",
                peer.title, mode, messages, seconds, Double(messages) / max(seconds, 1e-9), cpuMicroseconds, serverBusy * 100,
                loadAverage)
        case .idle:
            return String(
                format: "%@ idle: %d connections (%d failed) added %.1f MiB resident = %.2f KiB per connection; server CPU over a %.0f s hold %.4f core (%.4f core per 10,000); load %@",
                peer.title, connections ?? 0, failedConnections ?? 0, Double(residentDeltaBytes ?? 0) / 1_048_576,
                kibPerConnection ?? .nan, holdSeconds ?? 0, holdCoreFraction ?? .nan, holdCorePer10k ?? .nan, loadAverage)
        }
    }
}

/// Appends figures to the `--results` file as JSON lines (or nowhere).
struct FigureSink {
    let handle: FileHandle?

    init(path: String?) throws {
        guard let path else {
            handle = nil
            return
        }
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw LoadError("cannot create the results file \(path): check that its folder exists and is writable.")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw LoadError("cannot open the results file \(path) for writing.")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    func write(_ figure: Figure) throws {
        guard let handle else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try handle.write(contentsOf: encoder.encode(figure) + Data("\n".utf8))
    }
}

/// The side-by-side table of one `make bench-e2e` run, with the issue's targets.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Prints ChatServer vs Redis from the JSON lines of `chat` and `redis` runs.")

    @Option(help: "A results file written with --results (repeatable).") var results: [String]
    @Option(help: "The load average when the run started (/proc/loadavg); the one at the end is read now.")
    var loadStart: String?

    func run() throws {
        var figures: [Figure] = []
        let decoder = JSONDecoder()
        for path in results {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LoadError("no results file at \(path): did the \(path.contains("redis") ? "redis" : "chat") run fail? See its output above.")
            }
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                figures.append(try decoder.decode(Figure.self, from: Data(line)))
            }
        }
        print(Self.table(figures, loadStart: loadStart.map { $0.split(separator: " ").prefix(3).joined(separator: " ") }, loadEnd: currentLoadAverage()))
    }

    /// ChatServer/Redis CPU-per-delivery targets of the issue, by mode and N.
    static func ratioTarget(mode: String, members: Int) -> Double? {
        switch (mode, members) {
        case ("single", 100), ("single", 1000): 1.5
        case ("burst", 1000): 3
        case ("burst", 100): 8
        default: nil
        }
    }

    static func table(_ figures: [Figure], loadStart: String?, loadEnd: String) -> String {
        func fanout(_ peer: Peer, _ n: Int, _ mode: String) -> Figure? {
            figures.last(where: { $0.peer == peer && $0.kind == .fanout && $0.transport == nil && $0.members == n && $0.mode == mode })
        }
        func sse(_ n: Int, _ mode: String) -> Figure? {
            figures.last(where: { $0.peer == .chatserver && $0.kind == .fanout && $0.transport == "sse" && $0.members == n && $0.mode == mode })
        }
        func number(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "—" }
        func verdict(_ value: Double?, atMost target: Double?) -> String {
            guard let value, let target else { return "—" }
            return value <= target ? "met" : "**missed**"
        }
        var out: [String] = []
        out.append("== ChatServer vs Redis pub/sub, same run: same generator, payload, N and modes; server CPU = utime+stime of /proc/<pid>/stat")
        out.append("load average (1/5/15 min) at start: \(loadStart ?? "?"); at end: \(loadEnd); \(ProcessInfo.processInfo.activeProcessorCount) cores")
        out.append("")
        out.append("| N | mode | ChatServer µs/delivery | Redis µs/delivery | ratio | target | | ChatServer p50 / p99 ms | Redis p50 / p99 ms | dup / missing: ChatServer · Redis | Redis loop: on CPU / waiting for a core / idle | generator receiver busy | load (1 min) chat / redis |")
        out.append("|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
        let sizes = Set(figures.filter { $0.kind == .fanout && $0.transport == nil }.map(\.members)).sorted()
        for n in sizes {
            for mode in ["burst", "single"] {
                let chat = fanout(.chatserver, n, mode)
                let redis = fanout(.redis, n, mode)
                guard chat != nil || redis != nil else { continue }
                let ratio = chat.flatMap { c in redis.map { c.cpuMicroseconds / $0.cpuMicroseconds } }
                let target = ratioTarget(mode: mode, members: n)
                let latency = { (f: Figure?) in
                    f.map { String(format: "%.2f / %.2f", $0.p50Milliseconds ?? .nan, $0.p99Milliseconds ?? .nan) } ?? "—"
                }
                let counts = { (f: Figure?) in f.map { "\($0.duplicates ?? 0) / \($0.missing ?? 0)" } ?? "—" }
                let integrity = "\(counts(chat)) · \(counts(redis))"
                let loop = redis.map {
                    String(format: "%.0f%% / %.0f%% / %.0f%%", $0.serverBusy * 100, ($0.serverQueued ?? .nan) * 100, ($0.serverSleeping ?? .nan) * 100)
                } ?? "—"
                let receiver = redis.map { String(format: "%.0f%%", ($0.receiverBusy ?? .nan) * 100) } ?? "—"
                let load = "\(chat?.loadAverage.split(separator: " ").first ?? "—") / \(redis?.loadAverage.split(separator: " ").first ?? "—")"
                out.append(
                    "| \(n) | \(mode) | \(number(chat?.cpuMicroseconds, "%.2f")) | \(number(redis?.cpuMicroseconds, "%.3f")) | \(number(ratio, "%.1f×")) | \(number(target, "≤ %.1f×")) | \(verdict(ratio, atMost: target)) | \(latency(chat)) | \(latency(redis)) | \(integrity) | \(loop) | \(receiver) | \(load) |"
                )
            }
        }
        if let chat = fanout(.chatserver, 1000, "single") {
            out.append("")
            out.append(
                "p99 latency, single, N=1,000: ChatServer \(number(chat.p99Milliseconds, "%.2f")) ms (target ≤ 5 ms: \(verdict(chat.p99Milliseconds, atMost: 5))); Redis \(number(fanout(.redis, 1000, "single")?.p99Milliseconds, "%.2f")) ms"
            )
        }
        let sseSizes = Set(figures.filter { $0.transport == "sse" }.map(\.members)).sorted()
        if !sseSizes.isEmpty {
            out.append("")
            out.append("| N | mode | receivers over WebSocket µs/delivery | over SSE µs/delivery | SSE / WebSocket | Redis µs/delivery | SSE / Redis | SSE p50 / p99 ms | SSE dup / missing |")
            out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
            for n in sseSizes {
                for mode in ["burst", "single"] {
                    guard let s = sse(n, mode) else { continue }
                    let ws = fanout(.chatserver, n, mode)
                    let redis = fanout(.redis, n, mode)
                    out.append(
                        "| \(n) | \(mode) | \(number(ws?.cpuMicroseconds, "%.2f")) | \(number(s.cpuMicroseconds, "%.2f")) | \(number(ws.map { s.cpuMicroseconds / $0.cpuMicroseconds }, "%.2f×")) | \(number(redis?.cpuMicroseconds, "%.3f")) | \(number(redis.map { s.cpuMicroseconds / $0.cpuMicroseconds }, "%.1f×")) | \(number(s.p50Milliseconds, "%.2f")) / \(number(s.p99Milliseconds, "%.2f")) | \(s.duplicates ?? 0) / \(s.missing ?? 0) |"
                    )
                }
            }
        }
        let idle = figures.filter { $0.kind == .idle }
        if !idle.isEmpty {
            out.append("")
            out.append("| idle | connections | resident added | KiB per connection | target | | CPU over the hold (core) | per 10,000 idle | target | | hold s |")
            out.append("|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|")
            for peer in [Peer.chatserver, .redis] {
                guard let f = idle.last(where: { $0.peer == peer }) else { continue }
                let kib = f.kibPerConnection
                // The issue's targets are for the ChatServer; Redis is the reference.
                let isChat = peer == .chatserver
                out.append(
                    "| \(peer.title) | \(f.connections ?? 0) | \(number(Double(f.residentDeltaBytes ?? 0) / 1_048_576, "%.1f MiB")) | \(number(kib, "%.2f")) | \(isChat ? "≤ 10" : "") | \(isChat ? verdict(kib, atMost: 10) : "") | \(number(f.holdCoreFraction, "%.4f")) | \(number(f.holdCorePer10k, "%.4f")) | \(isChat ? "≤ 0.02" : "") | \(isChat ? verdict(f.holdCorePer10k, atMost: 0.02) : "") | \(number(f.holdSeconds, "%.0f")) |"
                )
            }
            let tick = 1 / Double(sysconf(Int32(_SC_CLK_TCK)))
            let ticks = idle.map { "\($0.peer.title) \(Int((($0.holdCPUSeconds ?? 0) / tick).rounded()))" }
            out.append(
                "\nCPU over the hold is counted in \(Int(tick * 1000)) ms ticks (\(ticks.joined(separator: ", ")) ticks here): a short hold or few connections make the per-10,000 figure coarse; memory per connection too is noisy below a few thousand connections."
            )
            if let c = idle.last(where: { $0.peer == .chatserver })?.kibPerConnection,
                let r = idle.last(where: { $0.peer == .redis })?.kibPerConnection, r > 0
            {
                out.append(String(format: "\nIdle memory ratio ChatServer/Redis: %.1f×", c / r))
            }
        }
        let persistence = figures.filter { $0.kind == .persistence && $0.peer == .chatserver }
        if !persistence.isEmpty {
            out.append("")
            out.append("| ChatServer, zero receivers | messages | server CPU µs/message | share of a message's CPU at N=100 | at N=1,000 |")
            out.append("|---|---:|---:|---:|---:|")
            for f in persistence {
                // A message's whole cost at N receivers is µs/delivery × N.
                let share = { (n: Int) -> String in
                    guard let fan = fanout(.chatserver, n, f.mode), fan.cpuMicroseconds > 0 else { return "—" }
                    return String(format: "%.1f%%", f.cpuMicroseconds / (fan.cpuMicroseconds * Double(n)) * 100)
                }
                out.append("| \(f.mode) | \(f.messages) | \(number(f.cpuMicroseconds, "%.1f")) | \(share(100)) | \(share(1000)) |")
            }
        }
        let broken = figures.filter { ($0.duplicates ?? 0) > 0 || ($0.missing ?? 0) > 0 }
        if !broken.isEmpty {
            out.append("")
            out.append("WARNING: \(broken.count) run(s) had duplicates or missing deliveries; their figures are not comparable:")
            for f in broken { out.append("  " + f.line) }
        }
        return out.joined(separator: "\n")
    }
}
