import ArgumentParser
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The reference peer: Redis pub/sub over RESP on plain loopback TCP sockets, loaded like the
/// ChatServer (same payload bytes, N, modes, window and idle count). N subscriber
/// connections `SUBSCRIBE` one channel; one publisher connection `PUBLISH`es.
///
/// The generator's side is kept cheap: a dedicated thread `poll`s the N subscriber sockets
/// and scans the RESP frames in place; the publisher runs on the calling thread with
/// blocking writes and reads. Its own CPU is measured (`receiverBusy`) to show that it keeps
/// up. The server's CPU is utime+stime of /proc/<pid>/stat, as for the ChatServer; since a
/// 500-message Redis run spends only tens of milliseconds, each run is repeated until the
/// server has spent `--min-server-cpu` seconds, so the 10 ms tick stays under 1%.
struct RedisLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis", abstract: "Fanout and idle subscribers against a running redis-server (the reference).")

    @Option(help: "redis-server address, host:port or redis://host:port (loopback only).") var server = "127.0.0.1:6379"
    @Option(help: "Stop repeating a run after this many rounds even below --min-server-cpu.") var maxRounds = 200
    @OptionGroup var options: SharedOptions

    func run() throws {
        let endpoint = try RedisEndpoint(parsing: server)
        let deadline = options.deadline
        let probe = try options.probe()
        let output = try FigureSink(path: options.results)
        let maxMembers = options.members.max() ?? 0
        try requireDescriptors(max(maxMembers, options.idle) + 64, for: "\(max(maxMembers, options.idle)) Redis connections")
        let runID = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        var lines: [String] = []
        for n in options.members {
            let channel = "bench:\(runID):\(n)"
            progress("Redis N=\(n): connecting \(n) subscribers to \(channel) on \(endpoint)")
            var subscribers: [Int32] = []
            defer { for fd in subscribers { close(fd) } }
            for index in 0..<n {
                subscribers.append(try RESP.subscribe(endpoint, channel: channel))
                if index % 500 == 499 { progress("  \(index + 1)/\(n) subscribed") }
            }
            for fd in subscribers { try Socket.setNonBlocking(fd) }
            let publisher = try Publisher(endpoint: endpoint, channel: channel, subscribers: n)
            defer { close(publisher.fd) }
            for (mode, count) in [("burst", options.messages), ("single", options.singleMessages)] where count > 0 {
                let figure = try measure(
                    mode: mode, messages: count, subscribers: subscribers, publisher: publisher, probe: probe, deadline: deadline)
                try output.write(figure)
                progress(figure.line)
                lines.append(figure.line)
            }
        }
        if options.idle > 0 {
            let figure = try idleSubscribers(endpoint: endpoint, count: options.idle, runID: runID, probe: probe, deadline: deadline)
            try output.write(figure)
            progress(figure.line)
            lines.append(figure.line)
        }
        print("\n== Redis pub/sub results (redis-server pid \(options.serverPid), \(options.payloadBytes)-byte payloads, loopback)")
        for line in lines { print(line) }
    }

    /// One mode at one N: rounds of `messages` publishes until the server has spent
    /// `--min-server-cpu`, every delivery checked for its sequence number.
    func measure(
        mode: String, messages: Int, subscribers: [Int32], publisher: Publisher, probe: ServerProbe, deadline: ContinuousClock.Instant
    ) throws -> Figure {
        let n = subscribers.count
        let receiver = FanoutReceiver(fds: subscribers)
        receiver.start()
        let cpu0 = probe.cpuSeconds() ?? 0
        let schedule0 = probe.mainThreadSchedule()
        let t0 = ContinuousClock.now
        var rounds = 0
        var published = 0
        var shortfall: String?
        progress("Redis N=\(n) \(mode): rounds of \(messages) publishes → \(messages * n) deliveries each, until \(options.minServerCpu) s of server CPU")
        do {
            measuring: repeat {
                if mode == "burst" {
                    var answered = 0
                    var sent = 0
                    while answered < messages {
                        let room = min(options.window - (sent - answered), messages - sent)
                        if room > 0 {
                            try publisher.publish(sequences: published + sent..<published + sent + room, payloadBytes: options.payloadBytes)
                            sent += room
                        }
                        answered += try publisher.readReplies()
                    }
                    published += messages
                    let target = published * n
                    if receiver.gate.wait(atLeast: target, until: min(deadline, .now + .seconds(30))) < target {
                        shortfall = "\(receiver.gate.value) of \(target) deliveries arrived within 30 s"
                        break measuring
                    }
                } else {
                    for _ in 0..<messages {
                        try publisher.publish(sequences: published..<published + 1, payloadBytes: options.payloadBytes)
                        _ = try publisher.readReplies()
                        published += 1
                        let target = published * n
                        if receiver.gate.wait(atLeast: target, until: min(deadline, .now + .seconds(30))) < target {
                            shortfall = "\(receiver.gate.value) of \(target) deliveries arrived within 30 s"
                            break measuring
                        }
                    }
                }
                rounds += 1
            } while (probe.cpuSeconds() ?? 0) - cpu0 < options.minServerCpu && rounds < maxRounds && ContinuousClock.now < deadline
        } catch {
            // Join the receiving thread before reporting the error.
            _ = try? receiver.stop()
            throw error
        }
        let seconds = (ContinuousClock.now - t0).seconds
        let cpu = (probe.cpuSeconds() ?? 0) - cpu0
        let schedule1 = probe.mainThreadSchedule()
        let state = try receiver.stop()
        if let shortfall { progress("WARNING: Redis N=\(n) \(mode): \(shortfall); counted as missing") }
        let delivered = receiver.gate.value
        state.latencies.sort()
        var figure = Figure(peer: .redis, kind: .fanout)
        figure.members = n
        figure.mode = mode
        figure.messages = messages
        figure.rounds = max(rounds, 1)
        figure.deliveries = delivered
        figure.seconds = seconds
        figure.serverCPUSeconds = cpu
        figure.cpuMicroseconds = cpu / Double(max(delivered, 1)) * 1e6
        figure.p50Milliseconds = percentileMilliseconds(state.latencies, 0.5)
        figure.p99Milliseconds = percentileMilliseconds(state.latencies, 0.99)
        figure.duplicates = state.duplicates
        figure.missing = state.missing(published: published)
        figure.serverBusy = cpu / max(seconds, 1e-9)
        figure.receiverBusy = state.threadCPUSeconds / max(seconds, 1e-9)
        if let schedule0, let schedule1 {
            let running = schedule1.running - schedule0.running
            let queued = schedule1.queued - schedule0.queued
            figure.serverQueued = queued / max(seconds, 1e-9)
            figure.serverSleeping = max(0, seconds - running - queued) / max(seconds, 1e-9)
        }
        return figure
    }

    /// `count` connections, each subscribed to a channel of its own (as a chat user's
    /// connection listens on its own channel), held for `--idle-hold` seconds.
    func idleSubscribers(endpoint: RedisEndpoint, count: Int, runID: String, probe: ServerProbe, deadline: ContinuousClock.Instant) throws
        -> Figure
    {
        let before = probe.settledResidentBytes()
        progress("opening \(count) idle Redis subscribers (one channel each)")
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        var failed = 0
        for index in 0..<count {
            guard ContinuousClock.now < deadline else { throw RedisBenchError.timeLimit("opening idle subscribers (\(index) of \(count) open)") }
            do {
                fds.append(try RESP.subscribe(endpoint, channel: "idle:\(runID):\(index)"))
            } catch let error as RedisBenchError {
                // The server refusing clients is a setup error, not a figure.
                if case .serverError = error { throw error }
                failed += 1
                if failed > 100 { throw error }
            }
            if index % 1000 == 999 { progress("  \(fds.count)/\(count) subscribed, \(failed) failed") }
        }
        Thread.sleep(forTimeInterval: 2)
        let hold = try holdIdleBlocking(seconds: options.idleHold, probe: probe, deadline: deadline, open: fds.count)
        let after = probe.residentBytes() ?? 0
        return Figure.idle(peer: .redis, connections: fds.count, failed: failed, residentDelta: after - before, hold: hold)
    }

    func holdIdleBlocking(seconds: Int, probe: ServerProbe, deadline: ContinuousClock.Instant, open: Int) throws -> IdleHold {
        guard seconds > 0 else { return IdleHold(seconds: 0, cpuSeconds: 0) }
        progress("holding \(open) idle subscribers for \(seconds) s (server CPU over the hold)")
        let cpu0 = probe.cpuSeconds() ?? 0
        let t0 = ContinuousClock.now
        let end = min(t0 + .seconds(seconds), deadline)
        while ContinuousClock.now < end {
            Thread.sleep(forTimeInterval: min(10, (end - ContinuousClock.now).seconds))
            progress("  held \(Int((ContinuousClock.now - t0).seconds)) s")
        }
        return IdleHold(seconds: (ContinuousClock.now - t0).seconds, cpuSeconds: (probe.cpuSeconds() ?? 0) - cpu0)
    }
}

/// What went wrong talking to redis-server, and what to do about it.
enum RedisBenchError: Error, CustomStringConvertible {
    case badAddress(String)
    case notLoopback(String)
    case system(String, Int32)
    case serverError(String)
    case protocolViolation(String)
    case closed(String)
    case timeLimit(String)

    var description: String {
        switch self {
        case .badAddress(let text):
            "--server \(text) is not host:port (for example 127.0.0.1:6379)."
        case .notLoopback(let host):
            "--server host \(host) is not on loopback: the load only ever goes to 127.0.0.0/8."
        case .system(let what, let code):
            "\(what) failed: \(String(cString: strerror(code))) (errno \(code)). Is redis-server running on that port? scripts/bench-e2e.sh starts one."
        case .serverError(let reply):
            "redis-server answered \(reply). For \"max number of clients reached\", start it with a larger --maxclients and a higher ulimit -n (scripts/bench-e2e.sh does)."
        case .protocolViolation(let what):
            "unexpected RESP from redis-server: \(what)."
        case .closed(let what):
            "redis-server closed \(what); see its log (a client output buffer limit, or the server stopped)."
        case .timeLimit(let what):
            "time limit reached while \(what); raise --time-limit or lower the sizes."
        }
    }
}

struct RedisEndpoint: CustomStringConvertible, Sendable {
    let host: String
    let port: UInt16

    init(parsing text: String) throws {
        var rest = Substring(text)
        if rest.hasPrefix("redis://") { rest = rest.dropFirst("redis://".count) }
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else {
            throw RedisBenchError.badAddress(text)
        }
        var host = String(rest[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        guard isLoopback(host), host.contains(".") else { throw RedisBenchError.notLoopback(host) }
        self.host = host
        self.port = port
    }

    var description: String { "\(host):\(port)" }
}

/// Blocking and non-blocking helpers over POSIX sockets.
enum Socket {
    /// A blocking TCP connection with TCP_NODELAY and a receive timeout.
    static func connect(_ endpoint: RedisEndpoint, receiveTimeoutSeconds: Int = 10) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisBenchError.system("socket()", errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = endpoint.port.bigEndian
        guard inet_pton(AF_INET, endpoint.host, &address.sin_addr) == 1 else {
            close(fd)
            throw RedisBenchError.badAddress(endpoint.description)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw RedisBenchError.system("connect() to \(endpoint)", code)
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func setNonBlocking(_ fd: Int32) throws {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { throw RedisBenchError.system("fcntl(O_NONBLOCK)", errno) }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], what: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw RedisBenchError.system("write() of \(what)", errno)
                }
                offset += written
            }
        }
    }

    /// One blocking read (bounded by the socket's receive timeout) appended to `buffer`.
    static func readSome(_ fd: Int32, into buffer: inout [UInt8], what: String) throws {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return
            }
            if count == 0 { throw RedisBenchError.closed(what) }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw RedisBenchError.timeLimit("waiting 10 s for \(what)") }
            throw RedisBenchError.system("read() of \(what)", errno)
        }
    }
}

/// The few RESP encodings and scans the load needs.
enum RESP {
    static func command(_ parts: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(parts.count)\r\n".utf8)
        for part in parts {
            out += Array("$\(part.count)\r\n".utf8)
            out += part
            out += [13, 10]
        }
        return out
    }

    /// A connection subscribed to `channel`, its confirmation read (blocking).
    static func subscribe(_ endpoint: RedisEndpoint, channel: String) throws -> Int32 {
        let fd = try Socket.connect(endpoint)
        do {
            try Socket.writeAll(fd, command([Array("SUBSCRIBE".utf8), Array(channel.utf8)]), what: "SUBSCRIBE")
            // The confirmation: *3 $9 subscribe $<n> <channel> :1 (the count of this connection's channels).
            let confirmation = Array("*3\r\n$9\r\nsubscribe\r\n$\(channel.utf8.count)\r\n\(channel)\r\n:1\r\n".utf8)
            var received: [UInt8] = []
            while received.count < confirmation.count {
                try Socket.readSome(fd, into: &received, what: "the SUBSCRIBE confirmation")
                if received.first == UInt8(ascii: "-") {
                    throw RedisBenchError.serverError(String(decoding: received, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                }
            }
            guard received == confirmation else {
                throw RedisBenchError.protocolViolation("SUBSCRIBE answered \(String(decoding: received, as: UTF8.self).debugDescription)")
            }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// A RESP integer (after its type byte) ending in CRLF at `index`: (value, index after
    /// the CRLF), or nil when the bytes end first.
    @inline(__always)
    static func integer(_ bytes: UnsafeRawBufferPointer, at start: Int) -> (Int, Int)? {
        var index = start
        var value = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 13 {
                guard index + 1 < bytes.count else { return nil }
                return (negative ? -value : value, index + 2)
            }
            value = value &* 10 &+ Int(byte &- 48)
            index += 1
        }
        return nil
    }

    /// The decimal number after `key` (two bytes, e.g. "t=") at `index`, and the index after it.
    @inline(__always)
    static func field(_ bytes: UnsafeRawBufferPointer, _ index: Int, _ k0: UInt8, _ k1: UInt8, end: Int) -> (Int, Int)? {
        guard index + 2 < end, bytes[index] == k0, bytes[index + 1] == k1 else { return nil }
        var position = index + 2
        var value = 0
        var digits = 0
        while position < end, bytes[position] >= 48, bytes[position] <= 57 {
            value = value &* 10 &+ Int(bytes[position] &- 48)
            position += 1
            digits += 1
        }
        return digits > 0 ? (value, position) : nil
    }
}

/// The monotonic clock, in nanoseconds (the same clock in the publisher and the receiver).
@inline(__always)
func monotonicNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
}

/// The publishing connection: pipelined PUBLISH commands, integer replies checked against N.
final class Publisher {
    let fd: Int32
    let channel: [UInt8]
    let subscribers: Int
    private var inbox: [UInt8] = []
    private var outbox: [UInt8] = []

    init(endpoint: RedisEndpoint, channel: String, subscribers: Int) throws {
        fd = try Socket.connect(endpoint)
        self.channel = Array(channel.utf8)
        self.subscribers = subscribers
    }

    /// Writes one PUBLISH per sequence number, the payload "t=<ns>;s=<seq>;" padded with x to
    /// `payloadBytes`, in one write.
    func publish(sequences: Range<Int>, payloadBytes: Int) throws {
        outbox.removeAll(keepingCapacity: true)
        for sequence in sequences {
            var payload = Array("t=\(monotonicNanoseconds());s=\(sequence);".utf8)
            if payload.count < payloadBytes { payload += repeatElement(UInt8(ascii: "x"), count: payloadBytes - payload.count) }
            outbox += Array("*3\r\n$7\r\nPUBLISH\r\n$\(channel.count)\r\n".utf8)
            outbox += channel
            outbox += Array("\r\n$\(payload.count)\r\n".utf8)
            outbox += payload
            outbox += [13, 10]
        }
        try Socket.writeAll(fd, outbox, what: "PUBLISH")
    }

    /// Blocks for at least one reply; returns how many complete replies arrived. Each must be
    /// the integer N (the number of subscribers reached).
    func readReplies() throws -> Int {
        var replies = 0
        while replies == 0 {
            try Socket.readSome(fd, into: &inbox, what: "PUBLISH replies")
            var consumed = 0
            try inbox.withUnsafeBytes { bytes in
                while consumed < bytes.count {
                    let type = bytes[consumed]
                    if type == UInt8(ascii: "-") {
                        throw RedisBenchError.serverError(String(decoding: bytes[consumed...], as: UTF8.self))
                    }
                    guard type == UInt8(ascii: ":") else {
                        throw RedisBenchError.protocolViolation("a PUBLISH reply starts with \(String(UnicodeScalar(type)))")
                    }
                    guard let (value, next) = RESP.integer(bytes, at: consumed + 1) else { break }
                    guard value == subscribers else {
                        throw RedisBenchError.protocolViolation(
                            "PUBLISH reached \(value) subscribers instead of \(subscribers): a subscriber was dropped (see the redis log)")
                    }
                    consumed = next
                    replies += 1
                }
            }
            inbox.removeFirst(consumed)
        }
        return replies
    }
}

/// Wakes the publisher when the receiving thread has counted enough deliveries.
final class Gate: @unchecked Sendable {
    // pthread objects need stable addresses: allocated once, never moved.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let count = Atomic(0)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    var value: Int { count.load(ordering: .acquiring) }

    func add(_ delta: Int) {
        pthread_mutex_lock(mutex)
        count.add(delta, ordering: .releasing)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until the count reaches `target` or `deadline`; returns the count.
    func wait(atLeast target: Int, until deadline: ContinuousClock.Instant) -> Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count.load(ordering: .acquiring) < target, ContinuousClock.now < deadline {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            var wake = timespec(tv_sec: now.tv_sec, tv_nsec: now.tv_nsec + 50_000_000)
            if wake.tv_nsec >= 1_000_000_000 {
                wake.tv_sec += 1
                wake.tv_nsec -= 1_000_000_000
            }
            pthread_cond_timedwait(condition, mutex, &wake)
        }
        return count.load(ordering: .acquiring)
    }
}

/// What the receiving thread saw, handed over when it stops.
final class ReceiverState {
    var latencies: [UInt64] = []
    var duplicates = 0
    /// Per connection, the next sequence number expected (Redis keeps a connection's order).
    var next: [Int]
    var gaps = 0
    var threadCPUSeconds = 0.0

    init(connections: Int) { next = Array(repeating: 0, count: connections) }

    /// Deliveries that never arrived: skipped sequence numbers plus the tail not received.
    func missing(published: Int) -> Int { gaps + next.reduce(0) { $0 + max(0, published - $1) } }
}

/// The N subscriber sockets on one thread: `poll`, `read`, scan the RESP `message` pushes in
/// place, check each payload's sequence number, record publish-to-receive latency.
final class FanoutReceiver: @unchecked Sendable {
    // The thread owns `state` and `pending` from start() until stop() has joined it.
    let fds: [Int32]
    let gate = Gate()
    private let stopping = Atomic(false)
    private let finished = DispatchSemaphore(value: 0)
    private var state: ReceiverState
    private var pending: [[UInt8]]
    private var failure: RedisBenchError?

    init(fds: [Int32]) {
        self.fds = fds
        state = ReceiverState(connections: fds.count)
        pending = Array(repeating: [], count: fds.count)
    }

    func start() {
        let thread = Thread { [self] in
            loop()
            finished.signal()
        }
        thread.name = "redis-receiver"
        thread.start()
    }

    /// Stops and joins the thread; its state, or the error that ended it.
    func stop() throws -> ReceiverState {
        stopping.store(true, ordering: .releasing)
        finished.wait()
        if let failure { throw failure }
        return state
    }

    private func loop() {
        let cpu0 = RawBaseline.threadCPUSeconds()
        defer { state.threadCPUSeconds = RawBaseline.threadCPUSeconds() - cpu0 }
        var polls = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while !stopping.load(ordering: .acquiring) {
            let ready = poll(&polls, nfds_t(polls.count), 20)
            if ready < 0 {
                if errno == EINTR { continue }
                failure = .system("poll() of the subscribers", errno)
                return
            }
            guard ready > 0 else { continue }
            var delivered = 0
            for index in polls.indices where polls[index].revents != 0 {
                let count = read(polls[index].fd, buffer.baseAddress, buffer.count)
                if count == 0 {
                    failure = .closed("subscriber connection \(index)")
                    return
                }
                if count < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    failure = .system("read() of subscriber \(index)", errno)
                    return
                }
                let now = monotonicNanoseconds()
                do {
                    delivered += try consume(index, UnsafeRawBufferPointer(rebasing: buffer[0..<count]), now: now)
                } catch let error as RedisBenchError {
                    failure = error
                    return
                } catch {
                    failure = .protocolViolation("\(error)")
                    return
                }
            }
            if delivered > 0 { gate.add(delivered) }
        }
    }

    /// Scans the complete `message` pushes of `index`'s stream; keeps a partial one for the
    /// next read. Returns the deliveries counted.
    private func consume(_ index: Int, _ fresh: UnsafeRawBufferPointer, now: Int) throws -> Int {
        if pending[index].isEmpty {
            let (used, count) = try scan(index, fresh, now: now)
            if used < fresh.count { pending[index] = Array(fresh[used...]) }
            return count
        }
        pending[index].append(contentsOf: fresh)
        let (used, count) = try pending[index].withUnsafeBytes { try scan(index, $0, now: now) }
        pending[index].removeFirst(used)
        return count
    }

    /// `*3\r\n$7\r\nmessage\r\n$<n>\r\n<channel>\r\n$<n>\r\n<payload>\r\n`, repeated.
    private func scan(_ index: Int, _ bytes: UnsafeRawBufferPointer, now: Int) throws -> (Int, Int) {
        var position = 0
        var count = 0
        frames: while position < bytes.count {
            guard bytes[position] == UInt8(ascii: "*") else {
                throw RedisBenchError.protocolViolation("subscriber \(index) received a frame starting with \(String(UnicodeScalar(bytes[position])))")
            }
            guard let (elements, afterHeader) = RESP.integer(bytes, at: position + 1) else { break }
            var cursor = afterHeader
            var payload = 0..<0
            var isMessage = false
            for element in 0..<elements {
                guard cursor < bytes.count else { break frames }
                guard bytes[cursor] == UInt8(ascii: "$") else { throw RedisBenchError.protocolViolation("subscriber \(index) received a push that is not bulk strings") }
                guard let (length, start) = RESP.integer(bytes, at: cursor + 1) else { break frames }
                guard start + length + 2 <= bytes.count else { break frames }
                if element == 0 { isMessage = length == 7 && bytes[start] == UInt8(ascii: "m") }
                if element == elements - 1 { payload = start..<start + length }
                cursor = start + length + 2
            }
            guard isMessage, elements == 3 else { throw RedisBenchError.protocolViolation("subscriber \(index) received a push other than message") }
            guard let (sent, afterTime) = RESP.field(bytes, payload.lowerBound, UInt8(ascii: "t"), UInt8(ascii: "="), end: payload.upperBound),
                let (sequence, _) = RESP.field(bytes, afterTime + 1, UInt8(ascii: "s"), UInt8(ascii: "="), end: payload.upperBound)
            else { throw RedisBenchError.protocolViolation("subscriber \(index) received a payload without t=<ns>;s=<seq>;") }
            state.latencies.append(UInt64(max(0, now - sent)))
            let expected = state.next[index]
            if sequence == expected {
                state.next[index] = sequence + 1
                count += 1
            } else if sequence < expected {
                state.duplicates += 1
            } else {
                state.gaps += sequence - expected
                state.next[index] = sequence + 1
                count += 1
            }
            position = cursor
        }
        return (position, count)
    }
}
