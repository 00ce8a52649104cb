import MessagingTesting
import Testing

/// The transport conformance suite (`MessagingTesting.TransportConformance`) on each of the
/// package's adapters: every check is its own test case.
@Suite("Transport conformance")
struct TransportConformanceTests {
    @Test("in-memory transport", arguments: TransportConformance.Check.allCases)
    func inMemory(_ check: TransportConformance.Check) async throws {
        try await TransportConformance.run(check, on: InMemoryHarness())
    }

    @Test("WebSocket adapter", arguments: TransportConformance.Check.allCases)
    func webSocket(_ check: TransportConformance.Check) async throws {
        try await TransportConformance.run(check, on: WebSocketHarness())
    }

    @Test("Server-Sent Events adapter", arguments: TransportConformance.Check.allCases)
    func serverSentEvents(_ check: TransportConformance.Check) async throws {
        try await TransportConformance.run(check, on: SSEHarness())
    }
}
