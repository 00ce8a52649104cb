@testable import MessagingTransport
import Synchronization
import Testing

@Suite("InMemoryTransport")
struct InMemoryTransportTests {
    @Test("a writer suspends while the peer's buffer is full, and resumes when it reads")
    func backpressure() async throws {
        let (client, server) = InMemoryTransport.makePair(configuration: .init(bufferCapacity: 2))
        try await server.write(.text("1"))
        try await server.write(.text("2"))
        let written = Flag()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.write(.text("3"))
                written.set()
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(!written.value)
            #expect(try await client.receive()?.string == "1")
            try await group.waitForAll()
            #expect(written.value)
        }
        #expect(try await client.receive()?.string == "2")
        #expect(try await client.receive()?.string == "3")
    }

    @Test("close: the peer reads what was sent, then nil and the close; writes fail")
    func close() async throws {
        let (client, server) = InMemoryTransport.makePair()
        try await server.write(.text("last"))
        await server.close(.resyncRequired, reason: "behind")
        #expect(try await client.receive()?.string == "last")
        #expect(try await client.receive() == nil)
        #expect(client.closeStatus == TransportClose(code: .resyncRequired, reason: "behind"))
        #expect(try await server.receive() == nil)
        await #expect(throws: TransportError.self) { try await client.write(.text("x")) }
        await server.close(.normal, reason: "second close is ignored")
        #expect(client.closeStatus?.code == .resyncRequired)
    }

    @Test("a close fails a writer blocked on a full buffer")
    func closeUnblocksWriter() async throws {
        let (client, server) = InMemoryTransport.makePair(configuration: .init(bufferCapacity: 1))
        try await server.write(.text("1"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await #expect(throws: TransportError.self) { try await server.write(.text("2")) }
            }
            try await Task.sleep(for: .milliseconds(20))
            await client.close(.normal, reason: "bye")
            try await group.waitForAll()
        }
    }

    @Test("the listener hands each connection to the handler; connect after stop fails")
    func listener() async throws {
        let transport = InMemoryTransport()
        let client = try transport.connect(metadata: .init(remoteAddress: "192.0.2.9", bearerToken: "t"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await transport.listen { connection in
                    #expect(connection.metadata.remoteAddress == "192.0.2.9")
                    while let frame = try? await connection.receive() { try? await connection.write(frame) }
                }
            }
            try await client.write(.text("echo"))
            #expect(try await client.receive()?.string == "echo")
            transport.stopListening()
            await client.close(.normal, reason: "done")
            try await group.waitForAll()
        }
        #expect(throws: TransportError.self) { _ = try transport.connect() }
        #expect(!"\(ConnectionMetadata(remoteAddress: "a", bearerToken: "secret"))".contains("secret"))
    }
}

final class Flag: Sendable {
    private let storage = Atomic<Bool>(false)
    var value: Bool { storage.load(ordering: .relaxed) }
    func set() { storage.store(true, ordering: .relaxed) }
}
