// A child process for the delivery fault tests; the test kills it with SIGKILL (or an
// armed failpoint, MESSAGING_FAILPOINT=CPn@k, kills it) and checks what survived.
//
//   DeliveryProbe chat <directory> <run label> [--no-send] [--max-sends N]
//       A loaded chat node on <directory>/chat.sqlite as described by <directory>/setup.json:
//       senders send through the delivery pipeline, devices join, receive, acknowledge;
//       the job runner dispatches notifications. Logs (append-only, one line per fact):
//         sends.txt     "<client message id> <seq>"     after the sender was answered
//         device-N.log  "run <label> resume <seq>" | "r <seq> <k>" (k-th event read) |
//                       "a <seq> <events ever queued when the ack returned>"
//         push.log      "push <user> <conversation> <reason> <seq> <count>"
//       With --no-send it exits 0 once every device has every event (the final catch-up).
//
//   DeliveryProbe worker <database> <log> <name> <idle-exit-ms>
//       A job runner on queue "probe" whose handler appends "begin <job> <token> <name>"
//       and "end <job> <token> <name>" to <log>; exits after the queue was idle that long.
import Foundation
import Logging
import MessagingCore
import MessagingDelivery
import MessagingPersistence
#if canImport(Glibc)
import Glibc
#endif

/// The shared description of the chat fixture (written by the test).
struct ChatSetup: Codable {
    struct Device: Codable {
        let user: String
        let device: String
        /// Acknowledge every n-th event (1 = each); 0 never acknowledges.
        let ackEvery: Int
    }

    let conversation: String
    let senders: [String]
    let devices: [Device]
}

/// An append-only log file shared across runs; each write is one `write(2)` with O_APPEND.
final class AppendLog: Sendable {
    private let descriptor: Int32

    init(_ path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard descriptor >= 0 else { throw ProbeError("cannot open \(path)") }
    }

    func write(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    }
}

struct ProbeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@main
enum DeliveryProbe {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            switch arguments.first {
            case "chat": try await ChatProbe(arguments: Array(arguments.dropFirst())).run()
            case "worker": try await WorkerProbe(arguments: Array(arguments.dropFirst())).run()
            default: throw ProbeError("usage: DeliveryProbe chat|worker …")
            }
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("DeliveryProbe failed: \(error)\n".utf8))
            exit(1)
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "probe")
        logger.logLevel = .error
        return logger
    }
}
