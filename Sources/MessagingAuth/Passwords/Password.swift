/// A password as the client sent it, kept out of every description.
///
/// `String(describing:)`, `String(reflecting:)`, `dump` and string interpolation all show
/// `Password(redacted)`, so a password cannot end up in a log line by accident.
///
/// Thread safety: a value type; safe to share across tasks.
public struct Password: Sendable, ExpressibleByStringLiteral, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The password's UTF-8 bytes, exactly as given (no trimming, no normalization).
    let utf8: [UInt8]

    /// Wraps a password.
    public init(_ text: String) { utf8 = Array(text.utf8) }

    /// Wraps a password literal (tests and examples).
    public init(stringLiteral value: String) { self.init(value) }

    /// The number of Unicode scalars (what the policy's minimum length counts).
    var scalarCount: Int { String(decoding: utf8, as: UTF8.self).unicodeScalars.count }

    public var description: String { "Password(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
