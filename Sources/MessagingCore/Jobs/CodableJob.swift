import Foundation

/// A job whose payload is the JSON of a `Codable` value: how it becomes a ``NewJob`` on its
/// queue, coalesced by its key, and how a worker decodes it back.
///
/// ``NotificationScan`` and ``NotificationRequest`` are such jobs.
public protocol CodableJob: Codable, Sendable {
    /// The queue its jobs use.
    static var queue: String { get }
    /// What a payload that does not decode was meant to be, for the error message
    /// (`"notification scan"`).
    static var payloadName: String { get }
    /// The key that coalesces waiting jobs of the same work.
    var coalescingKey: String { get }
}

extension CodableJob {
    /// The job carrying this value, run after `windowMilliseconds` (the batch window).
    public func makeJob(windowMilliseconds: Int64, maxAttempts: Int = 8) -> NewJob {
        // Encoding ids, enums and integers cannot fail.
        let payload = (try? JSONEncoder().encode(self)).map(Array.init) ?? []
        return NewJob(
            queue: Self.queue, payload: payload, coalescingKey: coalescingKey, delayMilliseconds: windowMilliseconds,
            maxAttempts: maxAttempts)
    }

    /// Decodes a job payload; `invalidInput` when it is not one of these.
    public init(payload: [UInt8]) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(payload))
        } catch {
            throw MessagingError(
                code: .invalidInput, message: "The job payload is not a \(Self.payloadName); it cannot be run.", cause: error)
        }
    }
}
