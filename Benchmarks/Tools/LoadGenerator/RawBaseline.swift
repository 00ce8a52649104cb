import Foundation

/// The physical floor of a fanout delivery, measured in the same run: one `write(2)` of the
/// same frame bytes to each of N connected stream sockets (Unix domain, so no TCP stack
/// cost is counted — a lower bound), in a bare loop, timed in this thread's CPU time.
/// The readers drain between rounds and are not counted.
enum RawBaseline {
    /// CPU microseconds per delivery of the bare write loop.
    static func microsecondsPerDelivery(sockets n: Int, frameBytes: Int, rounds: Int) -> Double? {
        var pairs: [(Int32, Int32)] = []
        defer { for (a, b) in pairs { close(a); close(b) } }
        for _ in 0..<n {
            var fds: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return nil }
            pairs.append((fds[0], fds[1]))
        }
        let frame = [UInt8](repeating: 0x61, count: frameBytes)
        var sink = [UInt8](repeating: 0, count: max(frameBytes, 1) * 4)
        var cpu: Double = 0
        for _ in 0..<rounds {
            let start = threadCPUSeconds()
            for (writer, _) in pairs {
                _ = frame.withUnsafeBytes { write(writer, $0.baseAddress, frameBytes) }
            }
            cpu += threadCPUSeconds() - start
            for (_, reader) in pairs { _ = sink.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) } }
        }
        return cpu / Double(n * rounds) * 1e6
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
