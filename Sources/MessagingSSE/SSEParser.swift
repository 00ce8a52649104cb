/// An incremental `text/event-stream` parser (WHATWG HTML, "Server-sent events"): bytes
/// in, complete messages out.
///
/// Lines end with `\n`, `\r\n` or `\r`; a blank line dispatches the message; `:` starts a
/// comment; `data` lines are joined with `\n`; `id` sets the last event id (kept across
/// messages, as the format says); unknown fields are ignored.
///
/// Thread safety: a value type; use from one task.
public struct SSEParser: Sendable {
    /// One dispatched message.
    public struct Message: Sendable, Equatable {
        /// The `event:` type, `message` when none was given.
        public var event: String
        /// The `data:` lines joined with `\n`.
        public var data: [UInt8]
        /// The last event id at the time of the message.
        public var lastEventID: String?
    }

    /// The longest line accepted, in bytes; a longer one fails ``parse(_:)``.
    public let maxLineBytes: Int
    /// The last event id seen (what a reconnect sends as `Last-Event-ID`).
    public private(set) var lastEventID: String?

    private var line: [UInt8] = []
    private var skipLineFeed = false
    private var event = ""
    private var data: [UInt8] = []
    private var hasData = false

    /// A parser refusing lines longer than `maxLineBytes`.
    public init(maxLineBytes: Int = 16 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// A line longer than ``maxLineBytes``.
    public struct LineTooLong: Error, Sendable {}

    /// Feeds `bytes`; returns the messages they completed.
    public mutating func parse(_ bytes: some Sequence<UInt8>) throws -> [Message] {
        var messages: [Message] = []
        for byte in bytes {
            if skipLineFeed {
                skipLineFeed = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                skipLineFeed = byte == UInt8(ascii: "\r")
                if let message = endLine() { messages.append(message) }
                continue
            }
            guard line.count < maxLineBytes else { throw LineTooLong() }
            line.append(byte)
        }
        return messages
    }

    private mutating func endLine() -> Message? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                event = ""
                data.removeAll()
                hasData = false
            }
            guard hasData else { return nil }
            return Message(event: event.isEmpty ? "message" : event, data: data, lastEventID: lastEventID)
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        let name = String(decoding: line[..<colon], as: UTF8.self)
        var valueStart = colon == line.endIndex ? colon : line.index(after: colon)
        if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart = line.index(after: valueStart) }
        let value = line[valueStart...]
        switch name {
        case "data":
            if hasData { data.append(UInt8(ascii: "\n")) }
            data.append(contentsOf: value)
            hasData = true
        case "event":
            event = String(decoding: value, as: UTF8.self)
        case "id":
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        default:
            break
        }
        return nil
    }
}
