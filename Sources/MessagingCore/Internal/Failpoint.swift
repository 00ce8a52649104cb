import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The crash points of the delivery path, for fault tests. Package access: not part of any product.
///
/// | point | where the process dies |
/// |---|---|
/// | CP1 | a send was validated, its transaction has not begun |
/// | CP2 | the message row is written, its jobs are not (same transaction) |
/// | CP3 | the send committed, the sender has not been answered |
/// | CP4 | the sender was answered, the event is not published |
/// | CP5 | the event was published, its acknowledgement not received |
/// | CP6 | an acknowledgement was received, not persisted |
/// | CP7 | acknowledgements (or a job's work) persisted, the job not completed |
/// | CP8 | a job's lease was taken, its work not done |
/// | CP9 | a (group) commit is durable, none of the callers in its batch has been answered |
@usableFromInline
package enum CrashPoint: String, CaseIterable, Sendable {
    case cp1 = "CP1", cp2 = "CP2", cp3 = "CP3", cp4 = "CP4", cp5 = "CP5", cp6 = "CP6", cp7 = "CP7", cp8 = "CP8"
    case cp9 = "CP9"
}

/// Kills the process with SIGKILL at `point` when the environment arms it, in debug builds
/// only: `MESSAGING_FAILPOINT=CP3` dies at the first pass through CP3, `CP3@25` at the
/// 25th. Release builds compile this to nothing. Package access: not part of any product.
@inlinable @inline(__always)
package func failpoint(_ point: CrashPoint) {
    #if DEBUG
    _FailpointArming.armed?.pass(point)
    #endif
}

/// The armed failpoint, read once from the environment.
@usableFromInline
final class _FailpointArming: Sendable {
    let point: CrashPoint
    let remaining: Atomic<Int>

    init(point: CrashPoint, after count: Int) {
        self.point = point
        remaining = Atomic(max(1, count))
    }

    @usableFromInline
    static let armed: _FailpointArming? = {
        guard let spec = ProcessInfo.processInfo.environment["MESSAGING_FAILPOINT"], !spec.isEmpty else { return nil }
        let parts = spec.split(separator: "@", maxSplits: 1)
        guard let point = CrashPoint(rawValue: String(parts[0]).uppercased()) else { return nil }
        let count = parts.count == 2 ? Int(parts[1]) ?? 1 : 1
        return _FailpointArming(point: point, after: count)
    }()

    @usableFromInline
    func pass(_ passed: CrashPoint) {
        guard passed == point else { return }
        if remaining.subtract(1, ordering: .relaxed).newValue == 0 {
            FileHandle.standardError.write(Data("failpoint \(point.rawValue): SIGKILL\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
