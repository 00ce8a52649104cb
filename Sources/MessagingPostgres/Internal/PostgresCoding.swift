import Foundation
import MessagingCore
import PostgresNIO

/// Conversions between the domain's values and PostgreSQL's types: ids are `uuid`, times
/// `bigint` milliseconds since 1970, bytes `bytea`.
enum PostgresCoding {
    static func uuid(_ value: UUIDv7) -> UUID {
        let b = value.bytes
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    static func uuid<Kind>(_ id: Identifier<Kind>) -> UUID { uuid(id.uuid) }

    static func uuid<Kind>(_ id: Identifier<Kind>?) -> UUID? { id.map { uuid($0.uuid) } }

    static func uuids<Kind>(_ ids: [Identifier<Kind>]) -> [UUID] { ids.map { uuid($0.uuid) } }

    static func id<Kind>(_ value: UUID) throws -> Identifier<Kind> {
        let raw = value.uuid
        let bytes = [raw.0, raw.1, raw.2, raw.3, raw.4, raw.5, raw.6, raw.7, raw.8, raw.9, raw.10, raw.11, raw.12, raw.13, raw.14, raw.15]
        guard let uuid = UUIDv7(bytes: bytes) else { throw corrupt("an id column holds a value that is not a UUIDv7") }
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
