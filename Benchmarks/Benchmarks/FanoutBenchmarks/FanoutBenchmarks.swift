import Benchmark
import Foundation
import Logging
import MessagingCore
import MessagingDelivery
import MessagingPersistence
@_spi(Benchmarking) import MessagingWebSocket
import NIOCore
import NIOEmbedded
import Synchronization

// In-process fanout on the path the server takes, in isolation: one publisher, N sessions
// in one room, each session streamed by the server WebSocket connection's frame writer into
// its own NIO channel (embedded channels on one event loop, as a server's connections share
// its loops). Each iteration publishes one event (256-byte payload, framed once), runs the
// loop (the writers drain their queues and flush), and takes the written frames off the
// channels. Measured two ways in the same run (names pair up by N):
//
//   fanout.path.n<N>   FanoutHub.publish → OutboundSession queue → waker → the loop's drain
//                      queue → FrameSink writes the shared frame buffer and flushes
//   fanout.bare.n<N>   baseline: write the same frame buffer to the N channels, flush each
//
// Both take the frames off the channels the same way. One iteration = N deliveries:
// deliveries/s = N × throughput, allocations per delivery = mallocCountTotal / N.
// Target: path ≤ 3× bare, and 0 allocations per recipient beyond the baseline's.

let sizes = [10, 1_000, 10_000]
let payloadSize = 256

/// N channels on one embedded loop; takes everything written off them.
struct Channels {
    let loop: EmbeddedEventLoop
    let channels: [EmbeddedChannel]

    init(count: Int) {
        let loop = EmbeddedEventLoop()
        self.loop = loop
        let channels = (0..<count).map { _ in EmbeddedChannel(loop: loop) }
        self.channels = channels
        for channel in channels { _ = try? channel.connect(to: try! SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait() }
    }

    /// Bytes written to the channels since the last call.
    func takeWritten() -> Int {
        var bytes = 0
        for channel in channels {
            while let buffer = try? channel.readOutbound(as: ByteBuffer.self) { bytes &+= buffer.readableBytes }
        }
        return bytes
    }
}

/// A room with `count` joined sessions streamed into `count` channels, built once per size.
final class FanoutContext: @unchecked Sendable {
    // @unchecked: used by one benchmark at a time, sequentially, on the caller's thread.
    let hub: FanoutHub
    let conversation: ConversationID
    let sessions: [OutboundSession]
    let channels: Channels
    let payload: [UInt8]
    var seq: Int64 = 0

    init(count: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fanout-bench-\(UUID().uuidString)")
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let store = try SQLiteMessagingStore(path: directory.appendingPathComponent("bench.sqlite").path, logger: logger)
        let messaging = Messaging(store: store)
        let user = try await messaging.users.register(handle: "reader", displayName: "Reader")
        conversation = try await messaging.conversations.create(.group(title: "bench", members: []), by: user.id).id
        hub = FanoutHub(messaging: messaging, logger: logger)
        channels = Channels(count: count)
        let ids = UUIDv7Generator()
        var sessions: [OutboundSession] = []
        sessions.reserveCapacity(count)
        for index in 0..<count {
            let session = OutboundSession(id: ConnectionID(UInt64(index)), userID: user.id, deviceID: DeviceID(ids.next()))
            try await hub.join(session, to: conversation, after: 0)
            try StreamingBenchmarkSupport.stream(session, into: channels.channels[index])
            sessions.append(session)
        }
        channels.loop.run()
        self.sessions = sessions
        payload = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Publishes the next event, lets the writers run, and returns the bytes written (checked).
    @inline(never)
    func publishAndWrite() -> Int {
        seq += 1
        hub.publish(EncodedEvent(conversationID: conversation, seq: seq, bytes: payload))
        channels.loop.run()
        return channels.takeWritten()
    }
}

/// The physical baseline: the same frame buffer written to each channel and flushed.
final class BareContext: @unchecked Sendable {
    let channels: Channels
    let frame: ByteBuffer

    init(count: Int) {
        channels = Channels(count: count)
        frame = EncodedEvent(
            conversationID: ConversationID(UUIDv7Generator().next()), seq: 1,
            bytes: (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0) }
        ).frame
    }

    @inline(never)
    func writeAndTake() -> Int {
        for channel in channels.channels { channel.writeAndFlush(frame, promise: nil) }
        return channels.takeWritten()
    }
}

let contexts = Mutex<[Int: FanoutContext]>([:])

func context(_ count: Int) async throws -> FanoutContext {
    if let existing = contexts.withLock({ $0[count] }) { return existing }
    let made = try await FanoutContext(count: count)
    contexts.withLock { $0[count] = made }
    return made
}

let benchmarks: @Sendable () -> Void = {
    let frameBytes = payloadSize + WebSocketTextFrame.headerLength(payloadCount: payloadSize)
    for count in sizes {
        let configuration = Benchmark.Configuration(
            metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
            timeUnits: .microseconds,
            warmupIterations: 3,
            maxDuration: .seconds(3),
            maxIterations: 20_000)

        Benchmark("fanout.path.n\(count)", configuration: configuration) { benchmark in
            let context = try await context(count)
            precondition(context.publishAndWrite() == count * frameBytes, "every channel got the frame once")
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(context.publishAndWrite())
            }
            benchmark.stopMeasurement()
        }

        Benchmark("fanout.bare.n\(count)", configuration: configuration) { benchmark in
            let bare = BareContext(count: count)
            precondition(bare.writeAndTake() == count * frameBytes)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(bare.writeAndTake())
            }
            benchmark.stopMeasurement()
        }
    }
}
