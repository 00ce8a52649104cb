import CSodium
import Synchronization

/// Where nonces, ephemeral keys, salts and fresh keys come from.
///
/// Production code always uses ``system`` (`randombytes_buf`, and libsodium's own internal
/// randomness inside `crypto_box_seal` and `crypto_secretstream_*_init_push`). The
/// deterministic source exists only so the test suite can regenerate the committed test
/// vectors byte for byte; no public API accepts a `RandomSource`, a nonce or a seed.
struct RandomSource: Sendable {
    private let deterministic: DeterministicRandom?

    /// The operating system's CSPRNG through libsodium.
    static let system = RandomSource(deterministic: nil)

    /// A reproducible stream derived from `seed` (testing only).
    static func deterministic(seed: [UInt8]) -> RandomSource {
        RandomSource(deterministic: DeterministicRandom(seed: seed))
    }

    /// `true` for the production source.
    var isSystem: Bool { deterministic == nil }

    /// Fills `buffer` with random bytes.
    @inline(__always)
    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        if let deterministic {
            deterministic.fill(buffer)
        } else {
            randombytes_buf(base, buffer.count)
        }
    }

    /// Returns `count` random bytes.
    func bytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }
}

/// A counter-mode deterministic generator: draw `n` uses the seed
/// BLAKE2b-256(key: seed, message: "draw" ‖ n) with `randombytes_buf_deterministic`.
final class DeterministicRandom: Sendable {
    private let seed: [UInt8]
    private let counter = Mutex<UInt64>(0)

    init(seed: [UInt8]) {
        precondition(!seed.isEmpty && seed.count <= 64, "deterministic seed must be 1...64 bytes")
        self.seed = seed
    }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        let draw = counter.withLock { value -> UInt64 in
            defer { value += 1 }
            return value
        }
        var input: [UInt8] = Array("draw".utf8)
        withUnsafeBytes(of: draw.bigEndian) { input.append(contentsOf: $0) }
        let drawSeed = Blake2b.hash(input, key: seed, length: Int(randombytes_seedbytes()))
        drawSeed.withUnsafeBytes { seedBytes in
            randombytes_buf_deterministic(
                buffer.baseAddress!, buffer.count, seedBytes.bindMemory(to: UInt8.self).baseAddress!)
        }
    }
}
