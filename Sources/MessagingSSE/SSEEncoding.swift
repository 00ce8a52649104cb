import Foundation
import MessagingCore
import MessagingTransport

/// The `text/event-stream` side of the binding (WHATWG HTML, "Server-sent events"): how
/// protocol frames become SSE messages, and the resume token of the `id:` lines.
enum SSEEncoding {
    /// The comment that keeps a quiet stream alive.
    static let heartbeat: [UInt8] = Array(": keepalive\n\n".utf8)

    /// The first message of a stream: the connection id the client posts its frames to, and
    /// the key its `POST`s and `DELETE` must carry (only the stream's reader ever sees it).
    static func opening(connection id: String, key: String, heartbeat: Duration) -> [UInt8] {
        let milliseconds = heartbeat.components.seconds * 1000 + heartbeat.components.attoseconds / 1_000_000_000_000_000
        return Array("event: connection\ndata: {\"connection\":\"\(id)\",\"heartbeatMs\":\(milliseconds),\"key\":\"\(key)\"}\n\n".utf8)
    }

    /// The last message of a stream the server closed: the close code and reason.
    static func closing(_ close: TransportClose) -> [UInt8] {
        var reason = ""
        for scalar in close.reason.unicodeScalars {
            switch scalar {
            case "\"": reason += "\\\""
            case "\\": reason += "\\\\"
            case _ where scalar.value < 0x20: reason += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: reason.unicodeScalars.append(scalar)
            }
        }
        return Array("event: close\ndata: {\"code\":\(close.code.rawValue),\"reason\":\"\(reason)\"}\n\n".utf8)
    }

    /// One SSE message carrying `frame` in `data:` lines (a line break inside the frame,
    /// which compact JSON never has, starts another `data:` line, as the format requires),
    /// preceded by `id: <id>` when given.
    static func message(_ frame: [UInt8], id: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(frame.count + 16 + (id?.utf8.count ?? 0))
        if let id {
            out.append(contentsOf: "id: ".utf8)
            out.append(contentsOf: id.utf8)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(contentsOf: "data: ".utf8)
        var index = 0
        while index < frame.count {
            let byte = frame[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if byte == UInt8(ascii: "\r"), index + 1 < frame.count, frame[index + 1] == UInt8(ascii: "\n") { index += 1 }
                out.append(contentsOf: "\ndata: ".utf8)
            } else {
                out.append(byte)
            }
            index += 1
        }
        out.append(contentsOf: "\n\n".utf8)
        return out
    }
}

/// The positions a stream delivered, most recent last, and their `id:` token:
/// `<conversation>:<seq>` pairs joined by `,` (`Last-Event-ID` hands it back).
struct ResumePositions: Sendable, Equatable {
    private(set) var entries: [(conversation: ConversationID, seq: Int64)] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Parses a `Last-Event-ID` value; `nil` when it is not a token this adapter wrote
    /// (more entries than `capacity`, an unknown conversation id format, a seq outside
    /// 0…2^63−1).
    init?(token: String, capacity: Int) {
        self.init(capacity: capacity)
        guard token.utf8.count <= capacity * 64 else { return nil }
        let trimmed = token.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return }
        let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= self.capacity else { return nil }
        for part in parts {
            let pair = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pair.count == 2, let conversation = ConversationID(String(pair[0])),
                pair[1].utf8.count <= 19, pair[1].utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let seq = Int64(pair[1])
            else { return nil }
            record(conversation, seq)
        }
    }

    /// Records that `conversation`'s event `seq` was delivered.
    mutating func record(_ conversation: ConversationID, _ seq: Int64) {
        if let index = entries.firstIndex(where: { $0.conversation == conversation }) {
            let seq = max(seq, entries[index].seq)
            entries.remove(at: index)
            entries.append((conversation, seq))
        } else {
            if entries.count == capacity { entries.removeFirst() }
            entries.append((conversation, seq))
        }
    }

    /// The `id:` token.
    var token: String {
        entries.map { "\($0.conversation):\($0.seq)" }.joined(separator: ",")
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.capacity == rhs.capacity && lhs.entries.elementsEqual(rhs.entries) { $0.conversation == $1.conversation && $0.seq == $1.seq }
    }
}
