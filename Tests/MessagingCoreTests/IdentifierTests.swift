import Foundation
import Testing
@testable import MessagingCore
import MessagingTesting

@Suite("UUIDv7 and typed ids")
struct IdentifierTests {
    @Test("string, bytes and Codable forms round-trip")
    func roundTrips() throws {
        let id = UUIDv7Generator().next()
        #expect(UUIDv7(id.uuidString) == id)
        #expect(UUIDv7(id.uuidString.uppercased()) == id)
        #expect(UUIDv7(bytes: id.bytes) == id)
        let typed = UserID(id)
        let json = try JSONEncoder().encode([typed])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(id.uuidString)\"]")
        #expect(try JSONDecoder().decode([UserID].self, from: json) == [typed])
    }

    @Test("version and variant are set and checked")
    func versionBits() throws {
        let id = UUIDv7(unixMilliseconds: 0x0123_4567_89AB, randomA: 0xFFFF, randomB: .max)
        #expect(id.uuidString.hasPrefix("01234567-89ab-7fff-bfff"))
        #expect(id.unixMilliseconds == 0x0123_4567_89AB)
        // A version 4 UUID is not accepted where a v7 id is expected.
        #expect(UUIDv7("6f1c2b0e-8d4e-4c5a-9b1e-2f3a4b5c6d7e") == nil)
        #expect(UUIDv7("not-a-uuid") == nil)
        #expect(UUIDv7("01234567-89ab-7fff-bfff-ffffffffffff-") == nil)
        #expect(UUIDv7("01234567x89ab-7fff-bfff-ffffffffffff") == nil)
        #expect(UUIDv7(bytes: [UInt8](repeating: 0, count: 16)) == nil)
        #expect(UUIDv7(bytes: [UInt8](repeating: 0, count: 15)) == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([UserID].self, from: Data("[\"x\"]".utf8)) }
    }

    @Test("a generator's ids strictly increase, also within one millisecond and past the counter")
    func monotonic() {
        let generator = UUIDv7Generator(clock: ManualClock(startMilliseconds: 1_000).wall)
        var previous = generator.next()
        for _ in 0..<10_000 {
            let next = generator.next()
            #expect(previous < next)
            #expect(previous.bytes.lexicographicallyPrecedes(next.bytes))
            previous = next
        }
    }
}
