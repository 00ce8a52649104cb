import MessagingCore

/// The rules a new password must meet.
///
/// Length is counted in Unicode scalars, as NIST SP 800-63B asks; the byte limit bounds
/// the work of hashing. There are no composition rules (they make passwords worse, not
/// stronger); trivial passwords are refused instead.
///
/// Thread safety: a value type; safe to share across tasks.
public struct PasswordPolicy: Hashable, Sendable {
    /// The fewest Unicode scalars a password may have. Default 10.
    public var minimumLength: Int
    /// The most UTF-8 bytes a password may have. Default and upper bound 1,024.
    public var maximumBytes: Int

    /// The longest password any policy accepts, in UTF-8 bytes.
    public static let absoluteMaximumBytes = 1_024

    /// Makes a policy; values are clamped to sane bounds (`minimumLength` ≥ 1, `maximumBytes` ≤ 1,024).
    public init(minimumLength: Int = 10, maximumBytes: Int = 1_024) {
        self.minimumLength = max(1, minimumLength)
        self.maximumBytes = min(Self.absoluteMaximumBytes, max(self.minimumLength, maximumBytes))
    }

    /// Checks a new password for the account with `handle`.
    func check(_ password: Password, handle: Handle) throws(AuthError) {
        guard password.utf8.count <= maximumBytes else {
            throw AuthError(
                code: .invalidInput, message: "The password is longer than \(maximumBytes) bytes; choose a shorter one.")
        }
        guard String(validating: password.utf8, as: UTF8.self) != nil else {
            throw AuthError(code: .invalidInput, message: "The password is not valid UTF-8 text.")
        }
        let scalars = Array(String(decoding: password.utf8, as: UTF8.self).unicodeScalars)
        guard scalars.count >= minimumLength else {
            throw AuthError(
                code: .weakPassword, message: "The password is too short; use at least \(minimumLength) characters.")
        }
        guard Set(scalars).count > 1 else {
            throw AuthError(code: .weakPassword, message: "The password repeats one character; choose a less guessable one.")
        }
        let lowered = String(decoding: password.utf8, as: UTF8.self).lowercased()
        guard !lowered.contains(handle.rawValue) || handle.rawValue.count * 2 < scalars.count else {
            throw AuthError(code: .weakPassword, message: "The password is built on the handle; choose one that is not.")
        }
    }
}
