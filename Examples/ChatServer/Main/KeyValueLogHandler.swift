import Foundation
import Logging

/// Writes one line per log event to standard error in logfmt style:
/// `time=… level=… label=… msg="…" key=value …` (metadata sorted by key; values quoted when
/// they contain spaces, quotes or `=`). The server never puts message bodies or tokens in
/// metadata, so nothing here needs redacting.
struct KeyValueLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit { merged.merge(explicit) { $1 } }
        var text = "time=\(Self.timestamp()) level=\(level) label=\(Self.quoted(label)) msg=\(Self.quoted(message.description))"
        for key in merged.keys.sorted() {
            text += " \(key)=\(Self.quoted("\(merged[key]!)"))"
        }
        text += "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    private static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        guard needsQuotes else { return value }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}
