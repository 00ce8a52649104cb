/// The format version and the kind byte that open every serialized object.
enum WireKind: UInt8, Sendable, CaseIterable {
    case deviceBundle = 0x01
    case secretKeyExport = 0x02
    case passwordProtectedKeys = 0x03
    case keyEnvelope = 0x04
    case sealedMessage = 0x05
    case mediaReference = 0x06
    case mediaStream = 0x07

    /// The only format version this library reads and writes.
    static let currentVersion: UInt8 = 0x01

    /// A human-readable name for error messages.
    var name: String {
        switch self {
        case .deviceBundle: "device bundle"
        case .secretKeyExport: "secret-key export"
        case .passwordProtectedKeys: "password-protected key export"
        case .keyEnvelope: "key envelope"
        case .sealedMessage: "sealed message"
        case .mediaReference: "media reference"
        case .mediaStream: "media stream"
        }
    }

    /// The two header bytes: version, kind.
    var header: [UInt8] { [Self.currentVersion, rawValue] }

    /// Reads and checks the version and kind bytes at the reader's position.
    static func readHeader(_ reader: inout WireReader, expecting expected: WireKind) throws {
        let version = try reader.readUInt8(field: "version")
        guard version == currentVersion else {
            throw E2EEError(
                code: .unsupportedVersion,
                message: "format version \(version) is not supported (this library reads version \(currentVersion)); upgrade the library")
        }
        let kindByte = try reader.readUInt8(field: "kind")
        guard let kind = WireKind(rawValue: kindByte) else {
            throw E2EEError(
                code: .unsupportedKind,
                message: "kind byte 0x\(String(kindByte, radix: 16)) is unknown; expected a \(expected.name)")
        }
        guard kind == expected else {
            throw E2EEError(
                code: .wrongKind,
                message: "expected a \(expected.name) (kind 0x0\(String(expected.rawValue, radix: 16))) but the bytes hold a \(kind.name); pass them to the matching decoder")
        }
    }
}
