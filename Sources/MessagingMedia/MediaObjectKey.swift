/// The key of a stored object: a relative, `/`-separated path such as
/// `uploads/2026/12/3f2a…`.
///
/// A key is 1–1,024 UTF-8 bytes; it never starts or ends with `/`, has no empty, `.` or
/// `..` segment, no backslash and no control character. So a key can never name a file
/// outside the local store's directory, and an S3 key never needs path normalization.
/// Unicode and reserved characters (`+`, `=`, `&`, space, …) are allowed; the adapters
/// encode them.
///
/// Thread safety: a value type; safe to share across tasks.
public struct MediaObjectKey: Hashable, Sendable, CustomStringConvertible {
    /// The largest key, in UTF-8 bytes (S3's limit).
    public static let maximumByteCount = 1024

    /// The key as given.
    public let rawValue: String

    /// Validates a key.
    ///
    /// - Throws: ``MediaError/Code/invalidKey`` saying which rule failed.
    public init(_ rawValue: String) throws(MediaError) {
        func refuse(_ why: String) -> MediaError {
            MediaError(code: .invalidKey, message: "object key \(why); keys are relative paths of 1–1,024 UTF-8 bytes made of non-empty segments other than '.' and '..'")
        }
        let bytes = rawValue.utf8.count
        guard bytes > 0 else { throw refuse("is empty") }
        guard bytes <= Self.maximumByteCount else { throw refuse("is \(bytes) bytes long") }
        guard !rawValue.hasPrefix("/") else { throw refuse("is absolute (starts with '/')") }
        for scalar in rawValue.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                throw refuse("contains a control character")
            }
            if scalar == "\\" { throw refuse("contains a backslash") }
        }
        for segment in rawValue.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { throw refuse("has an empty segment ('//' or a trailing '/')") }
            if segment == "." || segment == ".." { throw refuse("has a '\(segment)' segment") }
        }
        self.rawValue = rawValue
    }

    /// The `/`-separated segments.
    public var segments: [Substring] { rawValue.split(separator: "/") }

    public var description: String { rawValue }
}
