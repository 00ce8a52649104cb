import MessagingDelivery
import NIOCore

/// The server's outbound path for benchmarks that measure it without a socket
/// (`Benchmarks/FanoutBenchmarks`): not API.
@_spi(Benchmarking)
public enum StreamingBenchmarkSupport {
    /// Puts the server connection's frame writer first in `channel`'s pipeline and streams
    /// `session` through it, exactly as a server ``WebSocketConnection`` does. Call on the
    /// channel's event loop; the stream starts when the loop runs its tasks.
    public static func stream(_ session: OutboundSession, into channel: any Channel, fragmentLimit: Int = 16_384) throws {
        let handler = FrameSinkHandler(fragmentLimit: fragmentLimit)
        try channel.pipeline.syncOperations.addHandler(handler, position: .first)
        FrameSink(handler: handler, eventLoop: channel.eventLoop).stream(session, membershipEnded: { _ in }, resync: {})
    }
}
