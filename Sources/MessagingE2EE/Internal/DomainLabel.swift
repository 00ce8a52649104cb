/// Domain-separation labels, one per purpose, prepended (NUL-terminated) to every signed
/// message, every AEAD associated data and every checksum input.
///
/// Because each label is ASCII without NUL and is followed by a 0x00 byte, no labelled
/// input for one purpose can be parsed as a labelled input for another.
enum DomainLabel: String, CaseIterable, Sendable {
    /// Self-signature of a device bundle.
    case deviceBundle = "messaging-e2ee/v1/device-bundle"
    /// Ed25519 signature over a key envelope.
    case keyEnvelope = "messaging-e2ee/v1/key-envelope"
    /// Header digest sealed inside a key envelope (binds the sealed key to its header).
    case keyEnvelopeBinding = "messaging-e2ee/v1/key-envelope-binding"
    /// AEAD associated data and Ed25519 signature of a sealed message.
    case message = "messaging-e2ee/v1/message"
    /// Associated data of every media stream chunk.
    case media = "messaging-e2ee/v1/media"
    /// Checksum of a media reference.
    case mediaReference = "messaging-e2ee/v1/media-reference"
    /// Checksum of a plaintext secret-key export.
    case keyExport = "messaging-e2ee/v1/key-export"
    /// AEAD associated data of a password-protected key export.
    case passwordExport = "messaging-e2ee/v1/password-export"

    /// The label's bytes followed by a single 0x00 terminator.
    var prefix: [UInt8] {
        Array(rawValue.utf8) + [0]
    }

    /// `prefix ‖ body`, the exact input to a signature, AEAD or checksum.
    func labelled(_ body: some Collection<UInt8>) -> [UInt8] {
        var bytes = prefix
        bytes.reserveCapacity(bytes.count + body.count)
        bytes.append(contentsOf: body)
        return bytes
    }

    /// A 16-byte BLAKE2b checksum of `prefix ‖ body`, for formats that carry no MAC.
    func checksum(_ body: some Collection<UInt8>) -> [UInt8] {
        Blake2b.hash(labelled(body), length: 16)
    }
}
