import Foundation
import Logging
import AsyncHTTPClient
import MessagingSSE
import MessagingTransport
import MessagingWebSocket
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct User: Sendable {
    let id: String
    let token: String
}

/// The chat server's HTTP API, just what the load needs.
struct HTTP: Sendable {
    let base: String

    func call(_ method: String, _ path: String, body: [String: Any]? = nil, token: String? = nil) async throws -> [String: Any] {
        guard let url = URL(string: base + path) else { throw LoadError("not a URL: \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard (200..<300).contains(status) else {
            throw LoadError("\(method) \(path) answered \(status): \(String(decoding: data, as: UTF8.self))")
        }
        return json
    }

    /// Registers and logs in `count` users, 8 at a time.
    func users(count: Int, prefix: String, deadline: ContinuousClock.Instant) async throws -> [User] {
        let password = "load-generator-password"
        var users = [User?](repeating: nil, count: count)
        try await withThrowingTaskGroup(of: (Int, User).self) { group in
            var next = 0
            func add() {
                let index = next
                next += 1
                group.addTask {
                    let handle = "\(prefix)\(index)"
                    _ = try await call("POST", "/v1/auth/register", body: ["handle": handle, "password": password, "displayName": handle])
                    let login = try await call("POST", "/v1/auth/login", body: ["handle": handle, "password": password])
                    guard let token = login["accessToken"] as? String, let user = login["user"] as? [String: Any],
                        let id = user["id"] as? String
                    else { throw LoadError("login answer without accessToken/user.id: \(login)") }
                    return (index, User(id: id, token: token))
                }
            }
            for _ in 0..<min(8, count) { add() }
            var done = 0
            while let (index, user) = try await group.next() {
                users[index] = user
                done += 1
                if done % 100 == 0 { progress("  \(done)/\(count) users") }
                guard ContinuousClock.now < deadline else { throw LoadError("time limit reached while registering users") }
                if next < count { add() }
            }
        }
        return users.compactMap { $0 }
    }
}

/// The `p`-quantile of sorted nanosecond samples, in milliseconds (nil without samples).
func percentileMilliseconds(_ sorted: [UInt64], _ p: Double) -> Double? {
    sorted.isEmpty ? nil : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6
}

/// A counter shared by reference between tasks.
final class Counter: Sendable {
    private let atomic = Atomic(0)
    func increment() { atomic.add(1, ordering: .relaxed) }
    var value: Int { atomic.load(ordering: .relaxed) }
}

/// How a room's receivers connect to the server.
enum ReceiverTransport: String, Sendable, Codable {
    /// `/v1/realtime` (WebSocket; the sender always uses it).
    case webSocket = "websocket"
    /// `/v1/realtime/events` (Server-Sent Events down, `POST`s up).
    case serverSentEvents = "sse"

    var title: String { self == .webSocket ? "WebSocket" : "SSE" }
}

/// The HTTP client of SSE receivers: one event stream per receiver plus their `POST`s, so
/// the pool must hold thousands of connections to one host (the shared client keeps 8).
let streamingHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 4096)
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()

struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One conversation of N members, each with a subscribed realtime connection, plus a
/// second connection of member 0 that sends.
final class Room: Sendable {
    let conversation: String
    let members: Int
    let deliveries = Atomic(0)
    /// Events received again after their `seq` was already received (redeliveries).
    let duplicates = Atomic(0)
    /// The size of one event frame as received (for the raw baseline).
    let frameBytes = Atomic(0)
    let latencies = Mutex<[UInt64]>([])
    let stop = AsyncStream<Void>.makeStream()
    let tasks: Mutex<[Task<Void, Never>]> = Mutex([])
    let sender: Sender
    /// The last error of a subscriber connection that failed before subscribing.
    let lastFailure = Mutex<String?>(nil)

    /// How the receivers connect.
    let transport: ReceiverTransport

    init(conversation: String, members: Int, sender: Sender, transport: ReceiverTransport) {
        self.conversation = conversation
        self.members = members
        self.sender = sender
        self.transport = transport
    }

    /// The conversation of `users`, its owner sending on `server`, every other member
    /// subscribed on `receiverServer` (the same node, or another node of a cluster).
    static func open(
        api: HTTP, users: [User], server: String, receiverServer: String, transport: ReceiverTransport = .webSocket,
        deadline: ContinuousClock.Instant
    ) async throws -> Room {
        let owner = users[0]
        let first = users.dropFirst().prefix(49).map(\.id)
        let created = try await api.call(
            "POST", "/v1/conversations", body: ["kind": "group", "title": "load \(users.count)", "members": Array(first)],
            token: owner.token)
        guard let conversation = (created["conversation"] as? [String: Any])?["id"] as? String else {
            throw LoadError("create answered without conversation.id: \(created)")
        }
        for user in users.dropFirst(50) {
            _ = try await api.call("POST", "/v1/conversations/\(conversation)/members", body: ["user": user.id], token: owner.token)
        }
        progress("conversation \(conversation) with \(users.count) members; connecting over \(transport.title)")
        let url = transport == .webSocket ? realtimeURL(receiverServer) : receiverServer + "/v1/realtime/events"
        let sender = Sender(url: realtimeURL(server), token: owner.token, conversation: conversation)
        let room = Room(conversation: conversation, members: users.count, sender: sender, transport: transport)
        let subscribed = Counter()
        let failed = Counter()
        for (index, user) in users.enumerated() {
            // At most 100 handshakes in flight: a burst of 1,000 SYNs overflows the accept
            // backlog, and on a loaded machine the handshakes then time out.
            while index - subscribed.value - failed.value >= 100 {
                guard ContinuousClock.now < deadline else {
                    await room.close()
                    throw LoadError("time limit reached while connecting (\(subscribed.value) of \(users.count) subscribed)")
                }
                try await Task.sleep(for: .milliseconds(2))
            }
            let task = Task {
                await room.receive(url: url, token: user.token, subscribed: subscribed, failed: failed)
            }
            room.tasks.withLock { $0.append(task) }
        }
        try await sender.start()
        var shown = 0
        while subscribed.value < users.count {
            guard failed.value == 0, ContinuousClock.now < deadline else {
                await room.close()
                let reason = room.lastFailure.withLock { $0 } ?? "none"
                throw LoadError(
                    failed.value > 0
                        ? "\(failed.value) of \(users.count) subscriber connections failed 5 times (last error: \(reason)); the server is overloaded or refusing connections: see its log"
                        : "time limit reached while subscribing (\(subscribed.value) of \(users.count); last connection error: \(reason))")
            }
            let now = subscribed.value
            if now - shown >= 200 {
                progress("  \(now)/\(users.count) subscribed")
                shown = now
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return room
    }

    /// One member's subscribed connection, counting deliveries. A connection that fails
    /// before its subscription is confirmed is retried (5 attempts, then `failed`); one that
    /// ends after it is not (its missing deliveries then hold the measurement to its deadline).
    private func receive(url: String, token: String, subscribed: Counter, failed: Counter) async {
        for attempt in 1...5 {
            let reached = Counter()
            do {
                try await receiveOnce(url: url, token: token, subscribed: subscribed, reached: reached)
                if reached.value > 0 || Task.isCancelled { return }
                lastFailure.withLock { $0 = "the connection closed before its subscription was confirmed" }
            } catch {
                if reached.value > 0 || Task.isCancelled { return }
                lastFailure.withLock { $0 = "\(error)" }
            }
            try? await Task.sleep(for: .milliseconds(100 * attempt))
        }
        failed.increment()
    }

    private func receiveOnce(url: String, token: String, subscribed: Counter, reached: Counter) async throws {
        switch transport {
        case .webSocket:
            let client = WebSocketTransportClient(url: url, bearerToken: token, logger: quietLogger)
            _ = try await client.withConnection { connection in
                try await self.follow(connection, subscribed: subscribed, reached: reached)
            }
        case .serverSentEvents:
            let client = SSETransportClient(url: url, bearerToken: token, httpClient: streamingHTTPClient, logger: quietLogger)
            _ = try await client.withConnection { connection in
                try await self.follow(connection, subscribed: subscribed, reached: reached)
            }
        }
    }

    /// Subscribes on `connection` and counts the deliveries until it closes.
    private func follow(_ connection: some TransportConnection, subscribed: Counter, reached: Counter) async throws {
        let conversation = conversation
        do {
            guard let ready = try await connection.receive(), ready.string?.contains("\"ready\"") == true else { return }
            try await connection.write(.text(#"{"type":"subscribe","id":"s","conversation":"\#(conversation)","after":0}"#))
            var unacked = 0
            var lastSeq: Int64 = 0
            while let frame = try await connection.receive() {
                let bytes = frame.bytes
                if let sent = Scan.number(after: Array("t=".utf8), in: bytes) {
                    let now = DispatchTime.now().uptimeNanoseconds
                    // A redelivery (an event not acknowledged in time) is not a new delivery.
                    guard let seq = Scan.number(after: Array(#""seq":"#.utf8), in: bytes) else { continue }
                    guard seq > lastSeq else {
                        self.duplicates.add(1, ordering: .relaxed)
                        continue
                    }
                    lastSeq = seq
                    if self.frameBytes.load(ordering: .relaxed) == 0 { self.frameBytes.store(bytes.count, ordering: .relaxed) }
                    self.deliveries.add(1, ordering: .relaxed)
                    self.latencies.withLock { $0.append(now &- UInt64(sent)) }
                    unacked += 1
                    // Acknowledge in batches, and at once when the stream goes quiet enough
                    // that the next event may be a while (one-at-a-time mode).
                    if unacked >= 16 || self.sender.inFlight == 0 {
                        unacked = 0
                        try await connection.write(.text(#"{"type":"ack","conversation":"\#(conversation)","seq":\#(seq)}"#))
                    }
                } else if let text = frame.string, text.contains(#""id":"s""#) {
                    reached.increment()
                    subscribed.increment()
                } else if frame.string?.contains(#""type":"ping""#) == true {
                    try await connection.write(.text(#"{"type":"pong"}"#))
                }
            }
        }
    }

    func measure(
        mode: String, messages: Int, payloadBytes: Int, window: Int, probe: ServerProbe, receiverProbe: ServerProbe? = nil,
        deadline: ContinuousClock.Instant
    ) async throws -> Figure {
        deliveries.store(0, ordering: .relaxed)
        duplicates.store(0, ordering: .relaxed)
        latencies.withLock { $0.removeAll(keepingCapacity: true) }
        let expected = messages * members
        progress("ChatServer N=\(members) \(mode): \(messages) messages → \(expected) deliveries")
        let cpu0 = probe.cpuSeconds() ?? 0
        let receiverCPU0 = receiverProbe?.cpuSeconds() ?? 0
        let t0 = ContinuousClock.now
        if mode == "burst" {
            try await sender.burst(count: messages, payloadBytes: payloadBytes, window: window, deadline: deadline)
            try await waitFor(expected, deadline: deadline)
        } else {
            for index in 0..<messages {
                try await sender.burst(count: 1, payloadBytes: payloadBytes, window: 1, deadline: deadline)
                try await waitFor((index + 1) * members, deadline: deadline)
            }
        }
        let seconds = (ContinuousClock.now - t0).seconds
        let cpu = (probe.cpuSeconds() ?? 0) - cpu0
        let receiverCPU = receiverProbe.map { ($0.cpuSeconds() ?? 0) - receiverCPU0 }
        let delivered = deliveries.load(ordering: .relaxed)
        let sorted = latencies.withLock { $0.sorted() }
        let frame = frameBytes.load(ordering: .relaxed)
        var figure = Figure(peer: .chatserver, kind: .fanout)
        figure.transport = transport == .webSocket ? nil : transport.rawValue
        figure.members = members
        figure.mode = mode
        figure.messages = messages
        figure.deliveries = delivered
        figure.duplicates = duplicates.load(ordering: .relaxed)
        figure.missing = max(0, expected - delivered)
        figure.seconds = seconds
        figure.serverCPUSeconds = cpu
        figure.cpuMicroseconds = cpu / Double(max(delivered, 1)) * 1e6
        figure.receiverNodeCPUMicroseconds = receiverCPU.map { $0 / Double(max(delivered, 1)) * 1e6 }
        figure.p50Milliseconds = percentileMilliseconds(sorted, 0.5)
        figure.p99Milliseconds = percentileMilliseconds(sorted, 0.99)
        figure.serverBusy = cpu / max(seconds, 1e-9)
        figure.frameBytes = frame
        figure.rawWriteMicroseconds = RawBaseline.microsecondsPerDelivery(sockets: members, frameBytes: max(frame, 1), rounds: 200)
        return figure
    }

    /// The fixed cost of a message: sends into a conversation whose only member is the
    /// sender, with no subscribed connection, so nothing is delivered. Burst (a window of
    /// answers in flight) and single (each send waits for its answer).
    static func zeroReceivers(
        api: HTTP, owner: User, server: String, messages: Int, payloadBytes: Int, window: Int, probe: ServerProbe,
        deadline: ContinuousClock.Instant
    ) async throws -> [Figure] {
        let created = try await api.call(
            "POST", "/v1/conversations", body: ["kind": "group", "title": "load zero receivers", "members": [String]()],
            token: owner.token)
        guard let conversation = (created["conversation"] as? [String: Any])?["id"] as? String else {
            throw LoadError("create answered without conversation.id: \(created)")
        }
        let sender = Sender(url: realtimeURL(server), token: owner.token, conversation: conversation)
        try await sender.start()
        var figures: [Figure] = []
        do {
            for mode in ["burst", "single"] {
                progress("ChatServer zero receivers \(mode): \(messages) messages into \(conversation) (only the sender is a member)")
                let cpu0 = probe.cpuSeconds() ?? 0
                let t0 = ContinuousClock.now
                try await sender.burst(count: messages, payloadBytes: payloadBytes, window: mode == "burst" ? window : 1, deadline: deadline)
                while sender.inFlight > 0 {
                    guard ContinuousClock.now < deadline else { throw LoadError("time limit: \(sender.inFlight) sends not answered") }
                    try await Task.sleep(for: .microseconds(200))
                }
                let seconds = (ContinuousClock.now - t0).seconds
                let cpu = (probe.cpuSeconds() ?? 0) - cpu0
                var figure = Figure(peer: .chatserver, kind: .persistence)
                figure.mode = mode
                figure.messages = messages
                figure.seconds = seconds
                figure.serverCPUSeconds = cpu
                figure.cpuMicroseconds = cpu / Double(max(messages, 1)) * 1e6
                figure.serverBusy = cpu / max(seconds, 1e-9)
                figures.append(figure)
            }
        } catch {
            await sender.close()
            throw error
        }
        await sender.close()
        return figures
    }

    private func waitFor(_ target: Int, deadline: ContinuousClock.Instant) async throws {
        while deliveries.load(ordering: .relaxed) < target {
            guard ContinuousClock.now < deadline else {
                throw LoadError("time limit: \(deliveries.load(ordering: .relaxed)) of \(target) deliveries arrived")
            }
            try await Task.sleep(for: .microseconds(200))
        }
    }

    func close() async {
        for task in tasks.withLock({ $0 }) { task.cancel() }
        await sender.close()
    }
}

/// Member 0's sending connection: `send` requests with a window of answers in flight.
final class Sender: Sendable {
    let url: String
    let token: String
    let conversation: String
    let answered = Atomic(0)
    let sent = Atomic(0)
    let connection = Mutex<WebSocketConnection?>(nil)
    let task = Mutex<Task<Void, Never>?>(nil)

    init(url: String, token: String, conversation: String) {
        self.url = url
        self.token = token
        self.conversation = conversation
    }

    func start() async throws {
        let ready = AsyncStream<Bool>.makeStream()
        let client = WebSocketTransportClient(url: url, bearerToken: token, logger: quietLogger)
        task.withLock {
            $0 = Task {
                _ = try? await client.withConnection { connection in
                    guard let first = try await connection.receive(), first.string?.contains("\"ready\"") == true else {
                        ready.continuation.yield(false)
                        return
                    }
                    self.connection.withLock { $0 = connection }
                    ready.continuation.yield(true)
                    while let frame = try await connection.receive() {
                        let text = frame.string ?? ""
                        if text.contains(#""type":"ok""#) {
                            self.answered.add(1, ordering: .relaxed)
                        } else if text.contains(#""type":"ping""#) {
                            try await connection.write(.text(#"{"type":"pong"}"#))
                        } else if text.contains(#""type":"error""#) {
                            progress("send refused: \(text)")
                            self.answered.add(1, ordering: .relaxed)
                        }
                    }
                }
                ready.continuation.yield(false)
            }
        }
        // Bounded: a handshake that never completes answers false after 30 s.
        let timer = Task {
            try? await Task.sleep(for: .seconds(30))
            ready.continuation.yield(false)
        }
        defer { timer.cancel() }
        var iterator = ready.stream.makeAsyncIterator()
        guard await iterator.next() == true else {
            throw LoadError("the sending connection to \(url) was not ready within 30 s: is the server overloaded? See its log")
        }
    }

    /// Sends not yet answered.
    var inFlight: Int { sent.load(ordering: .relaxed) - answered.load(ordering: .relaxed) }

    func burst(count: Int, payloadBytes: Int, window: Int, deadline: ContinuousClock.Instant) async throws {
        guard let connection = connection.withLock({ $0 }) else { throw LoadError("sender not connected") }
        for _ in 0..<count {
            while inFlight >= window {
                guard ContinuousClock.now < deadline else { throw LoadError("time limit: sends are not being answered") }
                try await Task.sleep(for: .microseconds(100))
            }
            let index = sent.add(1, ordering: .relaxed).newValue
            let stamp = "t=\(DispatchTime.now().uptimeNanoseconds);"
            let text = stamp + String(repeating: "x", count: max(0, payloadBytes - stamp.utf8.count))
            try await connection.write(
                .text(#"{"type":"send","id":"m\#(index)","conversation":"\#(conversation)","clientMessageId":"lg-\#(index)-\#(UInt32.random(in: 0..<UInt32.max))","text":"\#(text)"}"#))
        }
    }

    func close() async {
        if let connection = connection.withLock({ $0 }) { await connection.close(.normal, reason: "done") }
        task.withLock { $0?.cancel() }
    }
}

/// Cheap byte scans (the generator must not spend the CPU the server needs on JSON parsing).
enum Scan {
    /// The decimal number right after the first occurrence of `marker`.
    static func number(after marker: [UInt8], in bytes: [UInt8]) -> Int64? {
        guard bytes.count > marker.count else { return nil }
        var index = 0
        let last = bytes.count - marker.count
        outer: while index <= last {
            for offset in 0..<marker.count where bytes[index + offset] != marker[offset] {
                index += 1
                continue outer
            }
            var value: Int64 = 0
            var position = index + marker.count
            var digits = 0
            while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 {
                value = value &* 10 &+ Int64(bytes[position] - 48)
                position += 1
                digits += 1
            }
            return digits > 0 ? value : nil
        }
        return nil
    }
}
