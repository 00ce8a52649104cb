import Foundation
import Hummingbird
import MessagingCore

/// A JSON request body: a `Decodable` with the list of the fields it accepts (anything else
/// is `unknown_field`).
protocol RequestBody: Decodable, Sendable {
    static var fields: [String] { get }
}

/// A request with no body fields (`{}` or an empty body).
struct EmptyBody: RequestBody {
    static let fields: [String] = []
}

extension Request {
    /// Reads at most `limit` bytes of body (413 beyond), refusing early on a larger
    /// `Content-Length`.
    func bodyBytes(limit: Int) async throws -> [UInt8] {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.bodyTooLarge(limit: limit)
        }
        var bytes: [UInt8] = []
        for try await buffer in body {
            guard bytes.count + buffer.readableBytes <= limit else { throw APIError.bodyTooLarge(limit: limit) }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    /// Decodes a JSON object body strictly: JSON content type (when one is given), at most
    /// `limit` bytes, an object, only the fields `Body` defines, and each of the right type.
    /// An empty body counts as `{}` when `emptyAllowed`.
    func decodeJSON<Body: RequestBody>(_ type: Body.Type, limit: Int, emptyAllowed: Bool = false) async throws -> Body {
        if let contentType = headers[.contentType] {
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard mediaType == "application/json" else { throw APIError.unsupportedMediaType }
        }
        var bytes = try await bodyBytes(limit: limit)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            guard emptyAllowed else { throw APIError.invalidJSON("the body is empty; send a JSON object.") }
            bytes = Array("{}".utf8)
        }
        let data = Data(bytes)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw APIError.invalidJSON("it does not parse (check quotes, commas and brackets, and that it is UTF-8).")
        }
        guard let dictionary = object as? [String: Any] else {
            throw APIError.invalidJSON("the top level must be an object {…}.")
        }
        for key in dictionary.keys.sorted() where !Body.fields.contains(key) {
            throw APIError.unknownField(key, allowed: Body.fields)
        }
        // `null` is not "absent": the OpenAPI document types no field as nullable.
        for key in dictionary.keys.sorted() where dictionary[key] is NSNull {
            throw APIError.invalidField(key, "must not be null; leave an optional field out instead")
        }
        do {
            return try JSONDecoder().decode(Body.self, from: data)
        } catch let error as APIError {
            throw error
        } catch let error as MessagingError {
            throw error
        } catch DecodingError.keyNotFound(let key, _) {
            throw APIError.missingField(key.stringValue)
        } catch DecodingError.valueNotFound(_, let context) {
            throw APIError.invalidField(Self.path(context.codingPath), "must not be null")
        } catch DecodingError.typeMismatch(let expected, let context) {
            throw APIError.invalidField(Self.path(context.codingPath), "has the wrong type; expected \(Self.describe(expected))")
        } catch DecodingError.dataCorrupted(let context) {
            throw APIError.invalidField(Self.path(context.codingPath), "is not valid: \(context.debugDescription)")
        } catch {
            throw APIError.invalidJSON("it does not match the expected shape.")
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        case is [Any].Type, is [String].Type: "an array"
        default: "another type"
        }
    }
}

/// The query parameters of one request, checked against the names the route accepts.
struct QueryInput {
    private let values: [String: String]

    init(_ request: Request, allowed: [String]) throws(APIError) {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else { throw APIError.unknownParameter(name, allowed: allowed) }
            guard values[name] == nil else {
                throw APIError.invalidParameter(name, "is given twice; give it once")
            }
            values[name] = String(value)
        }
        self.values = values
    }

    func string(_ name: String) -> String? { values[name] }

    /// An integer in `range`, or `defaultValue` when absent.
    func integer(_ name: String, in range: ClosedRange<Int64>, default defaultValue: Int64? = nil) throws(APIError) -> Int64? {
        guard let text = values[name] else { return defaultValue }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError.invalidParameter(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// An identifier (UUID string), or `nil` when absent.
    func identifier<Kind>(_ name: String, as type: Identifier<Kind>.Type) throws(APIError) -> Identifier<Kind>? {
        guard let text = values[name] else { return nil }
        guard let id = Identifier<Kind>(text) else { throw APIError.invalidParameter(name, uuidv7Rule(text)) }
        return id
    }
}

extension ChatRequestContext {
    /// A path parameter that must be an identifier (UUIDv7 string): 400 otherwise.
    func identifier<Kind>(_ name: String, as type: Identifier<Kind>.Type) throws(APIError) -> Identifier<Kind> {
        guard let text = parameters.get(name), let id = Identifier<Kind>(text) else {
            throw APIError.invalidParameter(name, uuidv7Rule(parameters.get(name) ?? ""))
        }
        return id
    }

    /// A percent-decoded path parameter.
    func decodedParameter(_ name: String) throws(APIError) -> String {
        guard let raw = parameters.get(name), let decoded = raw.removingPercentEncoding, !decoded.isEmpty else {
            throw APIError.invalidParameter(name, "is missing or not valid percent-encoded UTF-8")
        }
        return decoded
    }
}

/// Decodes a UUIDv7 string field into an identifier, with a field-naming error.
func identifier<Kind>(_ text: String, field: String, as type: Identifier<Kind>.Type) throws(APIError) -> Identifier<Kind> {
    guard let id = Identifier<Kind>(text) else { throw APIError.invalidField(field, uuidv7Rule(text)) }
    return id
}

/// The rule an id broke, for its error message: every id is a UUIDv7 (the OpenAPI document's
/// `pattern`); a UUID of another version is told which version it has (the input itself is
/// never echoed).
func uuidv7Rule(_ text: String) -> String {
    let rule = "must be a UUIDv7 (RFC 9562 version 7: xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx, such as 0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a)"
    guard let uuid = UUID(uuidString: text) else { return rule }
    let version = uuid.uuid.6 >> 4
    return version == 7 ? "\(rule); its variant bits are not RFC 9562's" : "\(rule); this is a version \(version) UUID"
}
