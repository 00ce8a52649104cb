import Foundation
import Testing
@testable import MessagingE2EE

/// Runs an entry point on fuzzed input: returns its value, `nil` when it threw an
/// ``E2EEError`` (the only error any API of the module may throw), and records an issue for
/// any other error.
func attempt<T>(_ entry: String, _ mutation: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) -> T? {
    do {
        return try body()
    } catch is E2EEError {
        return nil
    } catch {
        Issue.record("\(entry) threw \(type(of: error)) (not E2EEError) on \(mutation): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
