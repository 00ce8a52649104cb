import Dispatch
import MessagingCore
import MessagingSodium

/// Hashes and verifies passwords with argon2id off the cooperative thread pool, at most
/// `maximumConcurrent` at a time (each hash holds its memory cost, so unbounded
/// concurrency would let a burst of logins exhaust memory).
///
/// Thread safety: immutable apart from the gate, an actor; safe to share across tasks.
struct PasswordHasher: Sendable {
    let parameters: Argon2idParameters
    private let gate: AsyncGate
    private let queue = DispatchQueue(label: "swift-messaging.auth.pwhash", attributes: .concurrent)

    init(parameters: Argon2idParameters, maximumConcurrent: Int) {
        self.parameters = parameters
        gate = AsyncGate(permits: max(1, maximumConcurrent))
    }

    /// A new encoded hash of `password`.
    func hash(_ password: Password) async throws(AuthError) -> PasswordHash {
        let parameters = parameters
        let bytes = password.utf8
        let encoded = await offload { Sodium.passwordHashString(bytes, opsLimit: parameters.operations, memLimit: parameters.memoryBytes) }
        guard let encoded else {
            throw AuthError(code: .storage, message: "Password hashing could not allocate its memory; retry later.")
        }
        return PasswordHash(encoded: encoded)
    }

    /// Whether `password` matches `hash`.
    func verify(_ password: Password, against hash: PasswordHash) async -> Bool {
        let bytes = password.utf8
        let encoded = hash.encoded
        return await offload { Sodium.verifyPassword(bytes, against: encoded) }
    }

    /// Whether `hash` was made with other parameters than the configured ones.
    func needsRehash(_ hash: PasswordHash) -> Bool {
        Sodium.passwordNeedsRehash(hash.encoded, opsLimit: parameters.operations, memLimit: parameters.memoryBytes)
    }

    private func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await gate.acquire()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            queue.async { continuation.resume(returning: work()) }
        }
        await gate.release()
        return result
    }
}

/// A counting semaphore for async code: `acquire` suspends (FIFO) while no permit is free.
actor AsyncGate {
    private var permits: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) { self.permits = permits }

    func acquire() async {
        if permits > 0 {
            permits -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            permits += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
