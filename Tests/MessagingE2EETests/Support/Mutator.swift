import Foundation
import TestSupport

// Shared by MessagingE2EETests and MessagingE2EEVerificationTests (the latter's
// Support/Mutator.swift is a symbolic link to this file): import only what both link.

/// Produces random and mutated byte strings from valid objects: bit flips, truncations,
/// extensions, overwritten, removed or duplicated ranges, and random bodies behind a valid
/// version and kind (so the parser gets past its first check).
struct Mutator {
    var random: SeededGenerator

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    /// One mutation of `original` and its name (for failure messages).
    mutating func mutate(_ original: [UInt8]) -> (name: String, bytes: [UInt8]) {
        var bytes = original
        switch int(0...7) {
        case 0 where !bytes.isEmpty:
            for _ in 0..<int(1...3) { bytes[int(0...bytes.count - 1)] ^= UInt8(1 << int(0...7)) }
            return ("bit flips", bytes)
        case 1:
            return ("truncation", Array(bytes.prefix(int(0...Swift.max(0, bytes.count - 1)))))
        case 2:
            return ("extension", bytes + self.bytes(int(1...64)))
        case 3:
            return ("random bytes", self.bytes(int(0...original.count + 32)))
        case 4 where bytes.count > 2:
            let start = int(0...bytes.count - 1), length = int(1...Swift.min(32, bytes.count - start))
            bytes.replaceSubrange(start..<start + length, with: self.bytes(length))
            return ("overwritten range", bytes)
        case 5 where bytes.count > 2:
            let start = int(0...bytes.count - 1), length = int(1...Swift.min(64, bytes.count - start))
            bytes.removeSubrange(start..<start + length)
            return ("removed range", bytes)
        case 6 where bytes.count > 2:
            let start = int(0...bytes.count - 1), length = int(1...Swift.min(64, bytes.count - start))
            let copy = Array(bytes[start..<start + length]), position = int(0...bytes.count)
            bytes.insert(contentsOf: copy, at: position)
            return ("duplicated range", bytes)
        case 7 where bytes.count >= 2:
            return ("random body", Array(bytes.prefix(2)) + self.bytes(int(0...original.count + 16)))
        default:
            return ("random bytes", self.bytes(int(0...64)))
        }
    }
}

/// Runs rounds of `body` until `rounds` are done or `budget` has passed (whichever comes
/// first; a slow, sanitized build runs fewer rounds but never runs long). Returns the rounds run.
@discardableResult
func fuzzRounds(
    _ rounds: Int, budget: Duration = .seconds(3), name: String = #function, _ body: (Int) throws -> Void
) rethrows -> Int {
    let clock = ContinuousClock()
    let start = clock.now
    var done = 0
    defer { print("fuzz \(name): \(done) of \(rounds) rounds in \(clock.now - start)") }
    while done < rounds, clock.now - start < budget {
        try body(done)
        done += 1
    }
    return done
}
