import Foundation
import MessagingCore
import PostgresNIO

/// Conversions between the domain's values and PostgreSQL's types: ids are `uuid`, times
/// `bigint` milliseconds since 1970, bytes `bytea`.
enum PostgresCoding {
    static func uuid(_ value: UUIDv7) -> UUID {
        // Straight into the tuple's 16 bytes: no array per id (a page decodes 150 of them).
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { buffer in
            buffer.storeBytes(of: value.high.bigEndian, toByteOffset: 0, as: UInt64.self)
            buffer.storeBytes(of: value.low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return UUID(uuid: raw)
    }

    static func uuid<Kind>(_ id: Identifier<Kind>) -> UUID { uuid(id.uuid) }

    static func uuid<Kind>(_ id: Identifier<Kind>?) -> UUID? { id.map { uuid($0.uuid) } }

    static func uuids<Kind>(_ ids: [Identifier<Kind>]) -> [UUID] { ids.map { uuid($0.uuid) } }

    static func id<Kind>(_ value: UUID) throws -> Identifier<Kind> {
        // The raw-memory reader: the generic `UUIDv7(bytes:)` over an array cost 13% of a
        // page's CPU in `make bench-postgres`'s profile (an array and generic metadata per id).
        guard let uuid = withUnsafeBytes(of: value.uuid, { UUIDv7(bigEndianBytes: $0) }) else {
            throw corrupt("an id column holds a value that is not a UUIDv7")
        }
        return Identifier(uuid)
    }

    static func corrupt(_ detail: String) -> MessagingError {
        MessagingError(
            code: .storage,
            message: "The database holds a row this library cannot read (\(detail)); check that only swift-messaging writes to this schema and restore from a backup if it was changed.")
    }
}

/// One result row, read by column position with the domain's conversions.
struct Cells {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        do {
            return try row[index].decode(T.self, context: .default)
        } catch {
            throw PostgresCoding.corrupt("column \(index) (\(row[index].columnName)) does not hold a \(T.self)")
        }
    }

    func isNull(_ index: Int) -> Bool { row[index].bytes == nil }

    func string(_ index: Int) throws -> String { try decode(index) }
    func optionalString(_ index: Int) throws -> String? { try decode(index, as: String?.self) }
    func int64(_ index: Int) throws -> Int64 { try decode(index) }
    func int(_ index: Int) throws -> Int { Int(try int64(index)) }
    func optionalInt64(_ index: Int) throws -> Int64? { try decode(index, as: Int64?.self) }
    func bool(_ index: Int) throws -> Bool { try decode(index) }
    func bytes(_ index: Int) throws -> Data { try decode(index) }
    func optionalBytes(_ index: Int) throws -> Data? { try decode(index, as: Data?.self) }
    func double(_ index: Int) throws -> Double { try decode(index) }

    func id<Kind>(_ index: Int) throws -> Identifier<Kind> { try PostgresCoding.id(try decode(index, as: UUID.self)) }

    func optionalID<Kind>(_ index: Int) throws -> Identifier<Kind>? {
        guard let value = try decode(index, as: UUID?.self) else { return nil }
        return try PostgresCoding.id(value)
    }

    func ids<Kind>(_ index: Int) throws -> [Identifier<Kind>] {
        guard let values = try decode(index, as: [UUID]?.self) else { return [] }
        return try values.map { try PostgresCoding.id($0) }
    }

    func timestamp(_ index: Int) throws -> Timestamp { Timestamp(millisecondsSince1970: try int64(index)) }

    func optionalTimestamp(_ index: Int) throws -> Timestamp? {
        try optionalInt64(index).map(Timestamp.init(millisecondsSince1970:))
    }
}
