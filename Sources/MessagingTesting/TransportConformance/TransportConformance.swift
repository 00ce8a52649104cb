import MessagingTransport
import Synchronization

/// How the transport conformance suite reaches an adapter: it opens connected pairs.
///
/// Implement it for your adapter (a server listener on loopback and its client, or an
/// in-process pair) and run every ``TransportConformance/Check`` against it.
public protocol TransportConformanceHarness: Sendable {
    /// The adapter's name, shown in failures.
    var name: String { get }

    /// Whether a bearer token given to the client reaches the server end's
    /// `ConnectionMetadata.bearerToken` (adapters that take it from a request header).
    var carriesBearerToken: Bool { get }

    /// The largest frame the pair carries both ways (the suite sends one this big).
    var maxFrameBytes: Int { get }

    /// Opens one connection (the client presenting `bearerToken`, when given), runs `body`
    /// with the client end and the server end the adapter's listener handed over, and
    /// returns the close the client observed (the server's code and reason; `nil` when the
    /// connection ended without one).
    func withPair(
        bearerToken: String?,
        _ body: @escaping @Sendable (_ client: any TransportConnection, _ server: any TransportConnection) async throws -> Void
    ) async throws -> TransportClose?
}

/// A behaviour the adapter did not show.
public struct TransportConformanceFailure: Error, CustomStringConvertible, Sendable {
    /// The check that failed.
    public var check: TransportConformance.Check
    /// The adapter.
    public var adapter: String
    /// What was expected and what happened.
    public var message: String

    public var description: String { "\(adapter) fails \(check): \(message)" }
}

/// The transport conformance suite: what every adapter of the `MessagingTransport` ports
/// must do, checked through a ``TransportConformanceHarness``.
///
/// ```swift
/// @Test("transport conformance", arguments: TransportConformance.Check.allCases)
/// func conformance(_ check: TransportConformance.Check) async throws {
///     try await TransportConformance.run(check, on: MyHarness())
/// }
/// ```
///
/// Every check ends within ``timeout``, failing instead of hanging.
public enum TransportConformance {
    /// How long one check may take.
    public static let timeout: Duration = .seconds(60)

    /// One behaviour of the `TransportConnection` contract.
    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        /// 200 frames each way arrive in the order written, byte for byte.
        case framesInOrderBothWays
        /// Multi-byte UTF-8 and a frame of the adapter's largest size arrive unchanged.
        case unicodeAndLargeFrames
        /// The server's close code and reason reach the client after the frames written before it.
        case serverCloseReachesClient
        /// A client close ends the server's inbound frames and sets its `closeStatus`.
        case clientCloseReachesServer
        /// The first close wins; later ones change nothing.
        case firstCloseWins
        /// A write after the close throws `TransportError` `connectionClosed`.
        case writeAfterCloseThrows
        /// Four tasks writing at once: every frame arrives, each task's in its order.
        case concurrentWriters
        /// A reader that starts late loses nothing (the writer waits instead).
        case slowReaderLosesNothing
        /// The client's bearer token reaches the server end's metadata (when the adapter carries one).
        case bearerTokenInMetadata

        public var description: String { rawValue }
    }

    /// Runs `check` against `harness`; throws ``TransportConformanceFailure`` when the
    /// adapter does not behave.
    public static func run(_ check: Check, on harness: some TransportConformanceHarness) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await perform(check, harness) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TransportConformanceFailure(check: check, adapter: harness.name, message: "did not finish within \(timeout)")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private static func perform(_ check: Check, _ harness: some TransportConformanceHarness) async throws {
        let adapter = harness.name
        let fail: @Sendable (String) -> TransportConformanceFailure = { message in
            TransportConformanceFailure(check: check, adapter: adapter, message: message)
        }
        switch check {
        case .framesInOrderBothWays:
            _ = try await harness.withPair(bearerToken: nil) { client, server in
                let count = 200
                try await expectTransfer((0..<count).map { .text(#"{"n":\#($0)}"#) }, from: client, to: server, fail)
                try await expectTransfer((0..<count).map { .text(#"{"m":\#($0)}"#) }, from: server, to: client, fail)
            }

        case .unicodeAndLargeFrames:
            _ = try await harness.withPair(bearerToken: nil) { client, server in
                let unicode = TransportFrame.text(#"{"text":"héllo wörld ✓ 你好 👋🏽 \u0000"}"#)
                let filler = String(repeating: "x", count: max(0, harness.maxFrameBytes - 12))
                let large = TransportFrame.text(#"{"big":"\#(filler)"}"#)
                try await expectTransfer([unicode, large], from: client, to: server, fail)
                try await expectTransfer([unicode, large], from: server, to: client, fail)
            }

        case .serverCloseReachesClient:
            let close = try await harness.withPair(bearerToken: nil) { client, server in
                try await server.write(.text(#"{"last":true}"#))
                await server.close(.resyncRequired, reason: "resync required: resume from your last seq")
                let first = try await client.receive()
                guard first == .text(#"{"last":true}"#) else { throw fail("the frame written before the close was lost: got \(String(describing: first))") }
                guard try await client.receive() == nil else { throw fail("the client read a frame after the close") }
            }
            guard close?.code == .resyncRequired, close?.reason == "resync required: resume from your last seq" else {
                throw fail("the client saw close \(String(describing: close)), not 4410 with its reason")
            }

        case .clientCloseReachesServer:
            _ = try await harness.withPair(bearerToken: nil) { client, server in
                await client.close(.normal, reason: "bye")
                while let frame = try await server.receive() {
                    throw fail("the server read \(frame) after the client closed")
                }
                guard server.closeStatus != nil else { throw fail("the server's closeStatus is nil after its inbound frames ended") }
            }

        case .firstCloseWins:
            let close = try await harness.withPair(bearerToken: nil) { client, server in
                await server.close(.tooManyConnections, reason: "first")
                await server.close(.normal, reason: "second")
                guard server.closeStatus?.code == .tooManyConnections, server.closeStatus?.reason == "first" else {
                    throw fail("closeStatus is \(String(describing: server.closeStatus)) after two closes; the first must win")
                }
                while try await client.receive() != nil {}
            }
            guard close?.code == .tooManyConnections else { throw fail("the client saw \(String(describing: close)), not the first close (4409)") }

        case .writeAfterCloseThrows:
            _ = try await harness.withPair(bearerToken: nil) { client, server in
                await server.close(.normal, reason: "done")
                try await expectClosedWrite(server, "the server", fail)
                while try await client.receive() != nil {}
                await client.close(.normal, reason: "done")
                try await expectClosedWrite(client, "the client", fail)
            }

        case .concurrentWriters:
            _ = try await harness.withPair(bearerToken: nil) { client, server in
                for (writer, reader) in [(server, client), (client, server)] {
                    let writers = 4, each = 50
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for w in 0..<writers {
                            group.addTask {
                                for i in 0..<each { try await writer.write(.text(#"{"w":\#(w),"i":\#(i)}"#)) }
                            }
                        }
                        var next = [Int](repeating: 0, count: writers)
                        for _ in 0..<(writers * each) {
                            guard let frame = try await reader.receive(), let text = frame.string else { throw fail("a frame was lost") }
                            let numbers = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                            guard numbers.count == 2, numbers[0] < writers, numbers[1] == next[numbers[0]] else {
                                throw fail("frame \(text) arrived out of its writer's order")
                            }
                            next[numbers[0]] += 1
                        }
                        try await group.waitForAll()
                    }
                }
            }

        case .slowReaderLosesNothing:
            _ = try await harness.withPair(bearerToken: nil) { client, server in
                let frames = (0..<1000).map { TransportFrame.text(#"{"seq":\#($0),"pad":"\#(String(repeating: "p", count: 200))"}"#) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { for frame in frames { try await server.write(frame) } }
                    try await Task.sleep(for: .milliseconds(300))
                    for (index, expected) in frames.enumerated() {
                        let frame = try await client.receive()
                        guard frame == expected else { throw fail("frame \(index) of 1000 was \(String(describing: frame?.string?.prefix(40)))") }
                    }
                    try await group.waitForAll()
                }
            }

        case .bearerTokenInMetadata:
            guard harness.carriesBearerToken else { return }
            _ = try await harness.withPair(bearerToken: "token-123.abc") { _, server in
                guard server.metadata.bearerToken == "token-123.abc" else {
                    throw fail("the server end's bearer token is \(String(describing: server.metadata.bearerToken))")
                }
            }
        }
    }

    private static func expectTransfer(
        _ frames: [TransportFrame], from writer: any TransportConnection, to reader: any TransportConnection,
        _ fail: @Sendable (String) -> TransportConformanceFailure
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { for frame in frames { try await writer.write(frame) } }
            for (index, expected) in frames.enumerated() {
                let frame = try await reader.receive()
                guard frame == expected else {
                    throw fail("frame \(index) of \(frames.count) arrived as \(String(describing: frame?.string?.prefix(80)))")
                }
            }
            try await group.waitForAll()
        }
    }

    private static func expectClosedWrite(
        _ connection: any TransportConnection, _ side: String, _ fail: @Sendable (String) -> TransportConformanceFailure
    ) async throws {
        do {
            try await connection.write(.text(#"{"after":"close"}"#))
        } catch let error as TransportError where error.code == .connectionClosed {
            return
        } catch {
            throw fail("\(side)'s write after close threw \(error), not TransportError connectionClosed")
        }
        throw fail("\(side)'s write after close succeeded")
    }
}
