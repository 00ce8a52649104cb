import CSodium
import MessagingSodium

/// BLAKE2b (`crypto_generichash`) for digests, bindings and checksums.
enum Blake2b {
    /// Hashes `message` to `length` bytes (16...64), optionally keyed with `key` (16...64 bytes).
    static func hash(_ message: [UInt8], key: [UInt8] = [], length: Int = 32) -> [UInt8] {
        precondition(length >= 16 && length <= 64, "BLAKE2b output length must be 16...64")
        Sodium.requireInitialized()
        var output = [UInt8](repeating: 0, count: length)
        let result = message.withUnsafeBufferPointer { m in
            key.withUnsafeBufferPointer { k in
                output.withUnsafeMutableBufferPointer { out in
                    crypto_generichash(
                        out.baseAddress!, length,
                        m.baseAddress, UInt64(m.count),
                        key.isEmpty ? nil : k.baseAddress, k.count)
                }
            }
        }
        precondition(result == 0, "crypto_generichash failed with valid arguments")
        return output
    }
}
