import Foundation
import MessagingSodium

/// An object with a byte-exact, versioned binary form and a base64url text form.
///
/// Every conforming type's binary form starts with a version byte and a kind byte; decoding
/// rejects unknown versions and kinds, truncated input and trailing bytes with a typed
/// ``E2EEError`` and never traps. The text form is the binary form in base64url without padding,
/// for JSON transports.
///
/// Thread safety: conforming types are immutable `Sendable` values; every member is safe to
/// use from any thread.
public protocol WireRepresentable: Sendable {
    /// The object's binary form.
    var serialized: [UInt8] { get }

    /// Decodes and validates an object from its binary form.
    init(serialized bytes: [UInt8]) throws
}

extension WireRepresentable {
    /// The binary form as base64url without padding, for JSON and other text transports.
    ///
    /// Thread safety: pure; safe from any thread.
    public var textEncoded: String {
        Base64URL.encode(serialized)
    }

    /// Decodes an object from its base64url (no padding) text form.
    ///
    /// Thread safety: pure; safe from any thread.
    public init(textEncoded text: String) throws {
        try self.init(serialized: Base64URL.decodeOrThrow(text))
    }

    /// Decodes an object from its binary form held in `Data`.
    ///
    /// Thread safety: pure; safe from any thread.
    public init(serialized data: Data) throws {
        try self.init(serialized: [UInt8](data))
    }
}
