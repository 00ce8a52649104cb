import Foundation
import Testing

/// The text of a page of `Documentation/`, for tests that hold a documented value against
/// the code's constant and behaviour.
struct DocumentationText {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let name: String
    let text: String

    init(_ name: String) throws {
        self.name = name
        text = try String(contentsOf: Self.root.appendingPathComponent("Documentation/\(name)"), encoding: .utf8)
    }

    /// The section whose heading starts with `## <number>.`, up to the next `## ` heading.
    func section(_ number: Int) throws -> String {
        let lines = text.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.hasPrefix("## \(number).") }, "\(name) has no section \(number)")
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("## ") } ?? lines.endIndex
        return lines[start..<end].joined(separator: "\n")
    }

    /// `text` with every run of white space turned into one space (sentences wrap).
    static func flattened(_ text: String) -> String {
        text.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
    }

    /// The first capture group of every match of `pattern` in `text` (white space runs in the
    /// text count as one space, so a sentence may wrap), as integers (`16,384` → 16384).
    static func integers(_ pattern: String, in text: String) throws -> [Int] {
        try strings(pattern, in: text).map { try #require(Int($0.replacingOccurrences(of: ",", with: "")), "\($0)") }
    }

    /// The first capture group of every match of `pattern` (see ``integers(_:in:)``).
    static func strings(_ pattern: String, in text: String) throws -> [String] {
        let flat = flattened(text)
        let regex = try NSRegularExpression(pattern: pattern)
        return regex.matches(in: flat, range: NSRange(flat.startIndex..., in: flat)).map { match in
            String(flat[Range(match.range(at: 1), in: flat)!])
        }
    }
}
