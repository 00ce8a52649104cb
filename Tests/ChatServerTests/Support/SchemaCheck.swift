import Foundation
import Testing

/// The verdict of a JSON Schema (2020-12, the subset `/openapi.json` uses for request
/// values: `type`, `enum`, `pattern`, `minLength`/`maxLength`, `minimum`/`maximum`,
/// `items`, `minItems`/`maxItems`) on one value, so tests can hold the document's
/// constraints against what the server accepts.
enum SchemaCheck {
    /// Whether `schema` accepts `value` (`NSNull()` for JSON null).
    static func accepts(_ value: Any, _ schema: [String: Any]) throws -> Bool {
        if let types = schema["type"] {
            let allowed = (types as? [String]) ?? [types as? String].compactMap { $0 }
            guard allowed.contains(where: { matches(value, type: $0) }) else { return false }
        }
        if let options = schema["enum"] as? [Any] {
            guard let text = value as? String, options.contains(where: { $0 as? String == text }) else { return false }
        }
        if let text = value as? String {
            // JSON Schema counts characters as code points.
            let length = text.unicodeScalars.count
            if let minimum = schema["minLength"] as? Int, length < minimum { return false }
            if let maximum = schema["maxLength"] as? Int, length > maximum { return false }
            if let pattern = schema["pattern"] as? String, try !matches(text, pattern: pattern) { return false }
        }
        if let number = value as? Int {
            if let minimum = schema["minimum"] as? Int, number < minimum { return false }
            if let maximum = schema["maximum"] as? Int, number > maximum { return false }
        }
        if let items = value as? [Any] {
            if let minimum = schema["minItems"] as? Int, items.count < minimum { return false }
            if let maximum = schema["maxItems"] as? Int, items.count > maximum { return false }
            if let itemSchema = schema["items"] as? [String: Any] {
                for item in items where try !accepts(item, itemSchema) { return false }
            }
        }
        return true
    }

    /// Test values are Swift values: `String`, `Bool`, `Int`, `[Any]`, `[String: Any]`, `NSNull`.
    private static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "null": value is NSNull
        case "string": value is String
        case "boolean": value is Bool
        case "integer", "number": value is Int
        case "array": value is [Any]
        case "object": value is [String: Any]
        default: false
        }
    }

    /// ECMA-262 semantics for the document's patterns (unanchored search; `$` only at the very
    /// end, unlike ICU's `$`, which also matches before a final line break).
    static func matches(_ text: String, pattern: String) throws -> Bool {
        var icu = pattern
        if icu.hasSuffix("$") && !icu.hasSuffix("\\$") { icu = String(icu.dropLast()) + "\\z" }
        let regex = try NSRegularExpression(pattern: icu)
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
