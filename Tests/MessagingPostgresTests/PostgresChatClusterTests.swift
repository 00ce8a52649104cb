import Foundation
import Logging
import MessagingWebSocket
import Synchronization
import Testing

/// Three ChatServer processes on one PostgreSQL database, as a cluster behind a load
/// balancer: every client receives every message of its conversation in `seq` order
/// whichever node it was sent on, and a node killed with SIGKILL under traffic loses no
/// answered send, duplicates nothing and leaves every `seq` gapless.
@Suite("PostgreSQL cluster of ChatServer processes", .serialized)
struct PostgresChatClusterTests {
    static let nodes = 3
    /// SIGKILLs in the failure test: 20 in make test, more for `make soak-cluster`.
    static let kills = ProcessInfo.processInfo.environment["MESSAGING_CLUSTER_KILLS"].flatMap { Int($0) }.map { min(max($0, 1), 1_000) } ?? 20
    /// 5 minutes per test in make test, scaled for a soak (a minute per 25 kills).
    static var timeLimitMinutes: Int { max(5, kills / 25 + 2) }
    static let conversations = 5
    static let clientsPerConversation = 6

    struct Member: Sendable {
        let token: String
        let home: Int
    }

    struct Room: Sendable {
        let id: String
        let members: [Member]
    }

    /// An answered send: the conversation, the client message id and the `seq` it got.
    struct Answered: Sendable, Hashable {
        let conversation: String
        let key: String
        let seq: Int64
    }

    /// Registers 30 users over the nodes and makes 5 groups of 6.
    static func makeRooms(_ cluster: ChatCluster) async throws -> [Room] {
        let http = ClusterHTTP()
        var rooms: [Room] = []
        for room in 0..<conversations {
            var members: [(id: String, member: Member)] = []
            for index in 0..<clientsPerConversation {
                let home = (room * clientsPerConversation + index) % nodes
                let base = cluster.liveBases(preferring: home)[0]
                let handle = "u\(room)x\(index)"
                let password = "correct horse battery staple"
                let registered = try await http.call("POST", base + "/v1/auth/register", json: ["handle": handle, "password": password])
                guard registered.status == 201 else { throw ClusterFailure(description: "register: \(registered.status)") }
                let login = try await http.call(
                    "POST", base + "/v1/auth/login", json: ["handle": handle, "password": password, "deviceName": "test"])
                guard login.status == 200, let token = login.json["accessToken"] as? String,
                    let id = (login.json["user"] as? [String: Any])?["id"] as? String
                else { throw ClusterFailure(description: "login: \(login.status)") }
                members.append((id, Member(token: token, home: home)))
            }
            let created = try await http.call(
                "POST", cluster.liveBases(preferring: room)[0] + "/v1/conversations", token: members[0].member.token,
                json: ["kind": "group", "title": "room \(room)", "members": members.dropFirst().map(\.id)])
            guard created.status == 201, let id = (created.json["conversation"] as? [String: Any])?["id"] as? String else {
                throw ClusterFailure(description: "create: \(created.status) \(String(decoding: created.data, as: UTF8.self))")
            }
            rooms.append(Room(id: id, members: members.map(\.member)))
        }
        return rooms
    }

    /// Sends one message through the member's node, failing over to the others with the
    /// same client message id until one answers (at most 40 rounds).
    static func send(_ text: String, key: String, to room: String, as member: Member, on cluster: ChatCluster, http: ClusterHTTP) async throws -> Answered {
        for attempt in 0..<40 {
            for base in cluster.liveBases(preferring: member.home + attempt) {
                guard let answer = try? await http.call(
                    "POST", base + "/v1/conversations/\(room)/messages", token: member.token, json: ["clientMessageId": key, "body": text])
                else { continue }
                // 201, or 200 for a repeat whose first answer was lost with a killed node.
                if answer.status == 201 || answer.status == 200, let seq = ((answer.json["message"] as? [String: Any])?["seq"] as? NSNumber)?.int64Value {
                    return Answered(conversation: room, key: key, seq: seq)
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ClusterFailure(description: "no node answered send \(key) in \(room)")
    }

    /// The message events of a conversation in the store, read through a live node: (seq, client message id).
    static func history(of room: Room, on cluster: ChatCluster) async throws -> [(Int64, String)] {
        let http = ClusterHTTP()
        var after: Int64 = 0
        var result: [(Int64, String)] = []
        while true {
            let base = cluster.liveBases(preferring: 0)[0]
            let page = try await http.call("GET", base + "/v1/conversations/\(room.id)/events?after=\(after)&limit=500", token: room.members[0].token)
            guard page.status == 200, let events = page.json["events"] as? [[String: Any]] else {
                throw ClusterFailure(description: "events: \(page.status)")
            }
            for event in events {
                let seq = (event["seq"] as? NSNumber)?.int64Value ?? -1
                let key = (event["message"] as? [String: Any])?["clientMessageId"] as? String ?? ""
                result.append((seq, key))
                after = seq
            }
            if page.json["hasMore"] as? Bool != true { return result }
        }
    }

    /// Runs the readers of every member while `traffic` runs, then checks delivery and history.
    static func run(
        _ cluster: ChatCluster, rooms: [Room], traffic: @escaping @Sendable (ChatCluster) async throws -> [Answered]
    ) async throws -> (answered: [Answered], readers: [ClusterReader]) {
        let readers = rooms.flatMap { room in room.members.map { ClusterReader(token: $0.token, conversation: room.id, home: $0.home) } }
        return try await withThrowingTaskGroup(of: [Answered]?.self) { group in
            for reader in readers { group.addTask { await reader.run(cluster); return nil } }
            group.addTask { try await traffic(cluster) }
            var answered: [Answered] = []
            while let result = try await group.next() {
                guard let result else { continue }
                answered = result
                break
            }
            // Every reader catches up to its conversation's last seq (bounded wait).
            let lastSeq = Dictionary(answered.map { ($0.conversation, $0.seq) }, uniquingKeysWith: max)
            let deadline = ContinuousClock.now + .seconds(60)
            while readers.contains(where: { $0.last < lastSeq[$0.conversation, default: 0] }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            group.cancelAll()
            return (answered, readers)
        }
    }

    static func verify(_ cluster: ChatCluster, rooms: [Room], answered: [Answered], readers: [ClusterReader]) async throws {
        for room in rooms {
            let history = try await history(of: room, on: cluster)
            let seqs = history.map(\.0)
            #expect(seqs == Array(1...Int64(max(1, seqs.count))), "room \(room.id): every seq gapless from 1")
            let keys = history.map(\.1)
            #expect(Set(keys).count == keys.count, "room \(room.id): no message stored twice")
            let stored = Dictionary(history.map { ($0.1, $0.0) }, uniquingKeysWith: { first, _ in first })
            let mine = answered.filter { $0.conversation == room.id }
            let lost = mine.filter { stored[$0.key] != $0.seq }
            #expect(lost.isEmpty, "room \(room.id): \(lost.count) answered sends lost or moved")
            for reader in readers where reader.conversation == room.id {
                let state = reader.state.withLock { $0 }
                #expect(state.gaps.isEmpty, "a client saw gaps: \(state.gaps.prefix(5))")
                #expect(state.kept == seqs, "a client on node \(reader.home) kept \(state.kept.count) of \(seqs.count) events in order")
            }
        }
    }

    @Test("30 clients on 3 nodes in 5 conversations: every message from every node reaches every member, in seq order", .timeLimit(.minutes(10)))
    func fanout() async throws {
        try await ChatCluster.with(nodes: Self.nodes) { cluster in
            let rooms = try await Self.makeRooms(cluster)
            let perClient = 167  // 5,010 messages
            let (answered, readers) = try await Self.run(cluster, rooms: rooms) { cluster in
                try await Task.sleep(for: .milliseconds(500))  // the readers subscribe
                let http = ClusterHTTP()
                return try await withThrowingTaskGroup(of: [Answered].self) { group in
                    for room in rooms {
                        for (index, member) in room.members.enumerated() {
                            group.addTask {
                                var sent: [Answered] = []
                                for number in 0..<perClient {
                                    sent.append(try await Self.send(
                                        "m\(number) from \(index)", key: "\(index)-\(number)", to: room.id, as: member, on: cluster, http: http))
                                }
                                return sent
                            }
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            #expect(answered.count == Self.conversations * Self.clientsPerConversation * perClient)
            try await Self.verify(cluster, rooms: rooms, answered: answered, readers: readers)
        }
    }

    @Test("logout on node A closes the session's realtime connection on node B within 1 s (4403)", .timeLimit(.minutes(2)))
    func revocationAcrossNodes() async throws {
        try await ChatCluster.with(nodes: 2) { cluster in
            let http = ClusterHTTP()
            let nodeA = cluster.liveBases(preferring: 0)[0]
            let nodeB = cluster.liveBases(preferring: 1)[0]
            let password = "correct horse battery staple"
            _ = try await http.call("POST", nodeA + "/v1/auth/register", json: ["handle": "alice", "password": password])
            let login = try await http.call("POST", nodeA + "/v1/auth/login", json: ["handle": "alice", "password": password, "deviceName": "a"])
            let token = try #require(login.json["accessToken"] as? String)
            var logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            logger.logLevel = .critical
            let client = WebSocketTransportClient(url: "ws" + nodeB.dropFirst(4) + "/v1/realtime", bearerToken: token, logger: logger)
            let outcome = try await client.withConnection { connection -> Duration? in
                while let frame = try await connection.receive() {
                    if frame.string?.contains(#""type":"ready""#) == true { break }
                }
                let loggedOut = try await http.call("POST", nodeA + "/v1/auth/logout", token: token, json: [String: Any]())
                guard loggedOut.status == 200 || loggedOut.status == 204 else { return nil }
                let start = ContinuousClock.now
                while try await connection.receive() != nil {}
                return ContinuousClock.now - start
            }
            let elapsed = try #require(outcome.value, "logout was answered")
            #expect(elapsed <= .seconds(1), "closed \(elapsed) after the logout on the other node")
            #expect(outcome.close?.code == .forbidden, "closed with \(String(describing: outcome.close))")
        }
    }

    @Test("a block made on node A reaches the blocker's realtime connection on node B: the blocked user's messages arrive withheld, then whole after unblocking", .timeLimit(.minutes(2)))
    func blockAcrossNodes() async throws {
        try await ChatCluster.with(nodes: 2) { cluster in
            let http = ClusterHTTP()
            let nodeA = cluster.liveBases(preferring: 0)[0]
            let nodeB = cluster.liveBases(preferring: 1)[0]
            let password = "correct horse battery staple"
            var tokenOf: [String: String] = [:]
            var idOf: [String: String] = [:]
            for handle in ["alice", "bob"] {
                _ = try await http.call("POST", nodeA + "/v1/auth/register", json: ["handle": handle, "password": password])
                let login = try await http.call("POST", nodeA + "/v1/auth/login", json: ["handle": handle, "password": password, "deviceName": "d"])
                tokenOf[handle] = try #require(login.json["accessToken"] as? String)
                idOf[handle] = try #require((login.json["user"] as? [String: Any])?["id"] as? String)
            }
            let created = try await http.call(
                "POST", nodeA + "/v1/conversations", token: tokenOf["alice"],
                json: ["kind": "group", "title": "room", "members": [idOf["bob"]!]])
            let room = try #require((created.json["conversation"] as? [String: Any])?["id"] as? String)
            var logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            logger.logLevel = .critical
            let (tokens, ids) = (tokenOf, idOf)
            let client = WebSocketTransportClient(url: "ws" + nodeB.dropFirst(4) + "/v1/realtime", bearerToken: tokens["alice"], logger: logger)
            let outcome = try await client.withConnection { connection -> (hidden: Bool, whole: Bool) in
                func frames(until matches: ([String: Any]) -> Bool) async throws -> [String: Any]? {
                    let deadline = ContinuousClock.now + .seconds(5)
                    while ContinuousClock.now < deadline, let frame = try await connection.receive() {
                        let json = (try? JSONSerialization.jsonObject(with: Data(frame.bytes))) as? [String: Any] ?? [:]
                        if matches(json) { return json }
                    }
                    return nil
                }
                _ = try await frames { $0["type"] as? String == "ready" }
                try await connection.write(.text(Array(#"{"type":"subscribe","id":"s","conversation":"\#(room)","after":0}"#.utf8)))
                _ = try await frames { $0["id"] as? String == "s" }
                let blocked = try await http.call("PUT", nodeA + "/v1/blocks/\(ids["bob"]!)", token: tokens["alice"], json: [String: Any]())
                guard blocked.status == 200 else { return (false, false) }
                // The notice travels on the session feed, the message on the event channel:
                // within a short while every message of bob reaches node B's connection withheld.
                var hidden = false
                for attempt in 0..<20 where !hidden {
                    let sent = try await http.call(
                        "POST", nodeA + "/v1/conversations/\(room)/messages", token: tokens["bob"],
                        json: ["clientMessageId": "h\(attempt)", "body": "secret \(attempt)"])
                    let seq = ((sent.json["message"] as? [String: Any])?["seq"] as? NSNumber)?.int64Value
                    let event = try await frames { (($0["event"] as? [String: Any])?["seq"] as? NSNumber)?.int64Value == seq }
                    hidden = ((event?["event"] as? [String: Any])?["message"] as? [String: Any])?["hidden"] as? Bool == true
                    if !hidden { try await Task.sleep(for: .milliseconds(100)) }
                }
                let unblocked = try await http.call("DELETE", nodeA + "/v1/blocks/\(ids["bob"]!)", token: tokens["alice"])
                guard hidden, unblocked.status == 204 else { return (hidden, false) }
                var whole = false
                for attempt in 0..<20 where !whole {
                    let sent = try await http.call(
                        "POST", nodeA + "/v1/conversations/\(room)/messages", token: tokens["bob"],
                        json: ["clientMessageId": "w\(attempt)", "body": "open \(attempt)"])
                    let seq = ((sent.json["message"] as? [String: Any])?["seq"] as? NSNumber)?.int64Value
                    let event = try await frames { (($0["event"] as? [String: Any])?["seq"] as? NSNumber)?.int64Value == seq }
                    whole = ((event?["event"] as? [String: Any])?["message"] as? [String: Any])?["text"] as? String == "open \(attempt)"
                    if !whole { try await Task.sleep(for: .milliseconds(100)) }
                }
                return (hidden, whole)
            }
            #expect(outcome.value.hidden, "bob's messages reached node B withheld after the block on node A")
            #expect(outcome.value.whole, "and whole again after the unblock")
        }
    }

    @Test("SIGTERM: a node with a realtime client that never answers the close sends it 1001 and exits 0 within 10 s, and an idle node exits 0 too", .timeLimit(.minutes(2)))
    func gracefulStop() async throws {
        try await ChatCluster.with(nodes: 2) { cluster in
            let http = ClusterHTTP()
            let nodeA = cluster.liveBases(preferring: 0)[0]
            let nodeB = cluster.liveBases(preferring: 1)[0]
            let password = "correct horse battery staple"
            _ = try await http.call("POST", nodeA + "/v1/auth/register", json: ["handle": "carol", "password": password])
            let login = try await http.call("POST", nodeA + "/v1/auth/login", json: ["handle": "carol", "password": password, "deviceName": "c"])
            let token = try #require(login.json["accessToken"] as? String)
            var logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            logger.logLevel = .critical
            let client = WebSocketTransportClient(url: "ws" + nodeB.dropFirst(4) + "/v1/realtime", bearerToken: token, logger: logger)
            let outcome = try await client.withConnection { connection -> (status: Int32?, diagnostics: String) in
                while let frame = try await connection.receive() {
                    if frame.string?.contains(#""type":"ready""#) == true { break }
                }
                // The client reads nothing more and never answers the close: the node drops
                // it after the 5 s close timeout (before the fix it waited for the client).
                let stopped = await cluster.terminate(1, within: .seconds(10))
                while try await connection.receive() != nil {}
                return stopped
            }
            #expect(outcome.value.status == 0, "node B exited with \(String(describing: outcome.value.status)) (nil: still running after 10 s)\n\(outcome.value.diagnostics)")
            #expect(outcome.close?.code == .goingAway, "closed with \(String(describing: outcome.close))")
            let idle = await cluster.terminate(0, within: .seconds(10))
            #expect(idle.status == 0, "the idle node A exits 0 too (\(String(describing: idle.status)))\n\(idle.diagnostics)")
        }
    }

    @Test(
        "SIGKILL of a node under traffic, repeated: clients move to the other nodes and resume; 0 answered sends lost, 0 duplicates, seq gapless",
        .timeLimit(.minutes(timeLimitMinutes)))
    func nodeFailure() async throws {
        let kills = Self.kills
        try await ChatCluster.with(nodes: Self.nodes) { cluster in
            let rooms = try await Self.makeRooms(cluster)
            let (answered, readers) = try await Self.run(cluster, rooms: rooms) { cluster in
                try await Task.sleep(for: .milliseconds(500))
                let http = ClusterHTTP()
                let stop = StopFlag()
                return try await withThrowingTaskGroup(of: [Answered].self) { group in
                    for room in rooms {
                        for (index, member) in room.members.enumerated() {
                            group.addTask {
                                var sent: [Answered] = []
                                var number = 0
                                while !stop.isSet {
                                    sent.append(try await Self.send(
                                        "m\(number)", key: "\(index)-\(number)", to: room.id, as: member, on: cluster, http: http))
                                    number += 1
                                    try await Task.sleep(for: .milliseconds(20))
                                }
                                return sent
                            }
                        }
                    }
                    group.addTask {
                        for kill in 0..<kills {
                            try await Task.sleep(for: .milliseconds(700))
                            let victim = kill % Self.nodes
                            await cluster.kill(victim)
                            try await Task.sleep(for: .milliseconds(700))
                            try await cluster.start(victim)
                        }
                        try await Task.sleep(for: .milliseconds(500))
                        stop.set()
                        return []
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            #expect(answered.count > 100, "traffic flowed (\(answered.count) answered sends)")
            let repeats = readers.reduce(0) { $0 + $1.state.withLock { $0.repeats } }
            print("cluster: \(kills) kills, \(answered.count) answered sends, \(repeats) redeliveries dropped by seq")
            let moved = readers.filter { $0.state.withLock { $0.connections } > 1 }.count
            #expect(moved >= Self.conversations * Self.clientsPerConversation / Self.nodes, "clients of killed nodes reconnected (\(moved))")
            try await Self.verify(cluster, rooms: rooms, answered: answered, readers: readers)
        }
    }
}

/// A flag the traffic generator sets to stop the senders.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
