/// Shared checks for user-supplied text.
enum TextRules {
    /// Whether `scalar` is a C0 or C1 control character (Unicode category Cc).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// Throws `invalidInput` when `text` holds a control character other than the allowed ones.
    static func rejectControlCharacters(
        in text: String, field: String, allowingNewlineAndTab: Bool
    ) throws(MessagingError) {
        for scalar in text.unicodeScalars where isControl(scalar) {
            if allowingNewlineAndTab, scalar == "\n" || scalar == "\t" { continue }
            let allowed = allowingNewlineAndTab ? " (only newline and tab are allowed; send line breaks as \\n)" : ""
            throw .invalidInput(
                "The \(field) contains the control character U+\(String(scalar.value, radix: 16, uppercase: true))\(allowed). Remove it.")
        }
    }

    /// Trims spaces and newlines and checks a short single-line field (titles, names).
    static func singleLine(
        _ text: String, field: String, maxCharacters: Int, allowEmpty: Bool
    ) throws(MessagingError) -> String {
        // Bound the work on absurd inputs before counting grapheme clusters.
        guard text.utf8.count <= maxCharacters * 16 else {
            throw .invalidInput("The \(field) is too long; use at most \(maxCharacters) characters.")
        }
        let trimmed = text.trimmingSpaces()
        try rejectControlCharacters(in: trimmed, field: field, allowingNewlineAndTab: false)
        if trimmed.isEmpty, !allowEmpty {
            throw .invalidInput("The \(field) is empty; give at least one visible character.")
        }
        guard trimmed.count <= maxCharacters else {
            throw .invalidInput("The \(field) is too long (\(trimmed.count) characters); use at most \(maxCharacters).")
        }
        return trimmed
    }
}

extension String {
    /// The string without leading and trailing white space (spaces, tabs, newlines).
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}
