import BenchSupport
import Benchmark
import Foundation
import GRDB
import MessagingCore
import MessagingPersistence

// One page of 50 messages of a 1,000,000-message conversation, backward by keyset at several
// depths, measured five ways in the same run (names pair up by depth):
//
//   page.store.d<depth>       our store port: store.read { tx.messages(in:before:limit: 50) }
//   page.raw.d<depth>         the same SQL through the SQLite C API, same columns read  (baseline of store)
//   page.history.d<depth>     the use case: messaging.messages.history(of:for:_:) (member row + 51 rows),
//                             without the summaries (`includesSummaries: false`)
//   page.historySummaries.d<depth>  the same with the reaction and thread summaries (the default)
//   page.rawHistory.d<depth>  the same two statements in one raw C read transaction  (baseline of history)
//   page.rawOffset.d<depth>   the same page by LIMIT 50 OFFSET <depth> through the C API (what keyset avoids)
//
// depth d means the page starts at the d-th newest message: `seq < lastSeq - d + 1`.

let depths = [0, 10_000, 100_000, 900_000]
let pageSize = 50

/// The fixture, the store and the raw connection, opened once per process by the first setup.
final class PaginationContext: Sendable {
    let fixture: PaginationFixture
    let store: SQLiteMessagingStore
    let messaging: Messaging
    let raw: RawPageReader

    init() throws {
        fixture = try PaginationFixture.prepare()
        // The defaults: reads on the caller's thread (SQLiteConfiguration.readsOnCallerThread)
        // while a lane is free, the path this benchmark compares with raw C.
        store = try SQLiteMessagingStore(path: fixture.path)
        messaging = Messaging(store: store)
        raw = try RawPageReader(database: RawDatabase(path: fixture.path))
    }

    func cursor(depth: Int) -> Int64 { fixture.lastSeq - Int64(depth) + 1 }

    /// Checks that every way of reading returns the same page before anything is measured.
    func verify(depth: Int) async throws {
        let conversation = fixture.conversationID
        let cursor = cursor(depth: depth)
        let ours = try await store.read { tx in
            try tx.messages(in: conversation, before: cursor, limit: pageSize)
        }.map(\.seq)
        let history = try await messaging.messages.history(
            of: conversation, for: fixture.readerID, HistoryRequest(direction: .backward, cursor: cursor, limit: pageSize)
        ).messages.map(\.seq)
        let raw = try self.raw.page(in: conversation.uuid, before: cursor, limit: pageSize).map(\.seq)
        let rawHistory = try self.raw.history(
            of: conversation.uuid, for: fixture.readerID.uuid, before: cursor, limit: pageSize
        ).rows.map(\.seq)
        let offset = try self.raw.page(in: conversation.uuid, offset: depth, limit: pageSize).map(\.seq)
        let expected = Array(((cursor - Int64(pageSize))..<cursor).reversed())
        guard ours == expected, history == expected, raw == expected, rawHistory == expected, offset == expected else {
            throw RawSQLiteError(code: 0, message: "the five readers disagree at depth \(depth)")
        }
    }
}

let sharedContext = Result { try PaginationContext() }

/// A GRDB pool of its own on the fixture, for the diagnostics of the read path's fixed cost.
let diagnosticPool = Result { try DatabasePool(path: sharedContext.get().fixture.path) }

let benchmarks: @Sendable () -> Void = {
    let keyset = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count],
        warmupIterations: 20,
        maxDuration: .seconds(3),
        maxIterations: 20_000)
    // OFFSET walks `depth` index entries per page: far fewer iterations fit in the same time.
    let offset = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count],
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 2_000)

    // Diagnostics: the fixed cost of one read transaction, without any page.
    //   diag.read.storeEmpty     store.read { _ in 0 }           (our port: GRDB async pool.read)
    //   diag.read.grdbAsyncEmpty DatabasePool.read { _ in 0 } async (GRDB alone, same hops)
    //   diag.read.grdbSyncEmpty  DatabasePool.read { _ in 0 } sync  (GRDB without the async hops)
    //   diag.read.rawEmpty       BEGIN; COMMIT through the C API
    let setupContext: Benchmark.BenchmarkSetupHook = { _ = try sharedContext.get(); _ = try diagnosticPool.get() }
    Benchmark("diag.read.storeEmpty", configuration: keyset, closure: { benchmark in
        let store = try sharedContext.get().store
        for _ in benchmark.scaledIterations {
            blackHole(try await store.read { _ in 0 })
        }
    }, setup: setupContext)
    Benchmark("diag.read.grdbAsyncEmpty", configuration: keyset, closure: { benchmark in
        let pool = try diagnosticPool.get()
        for _ in benchmark.scaledIterations {
            blackHole(try await pool.read { _ in 0 })
        }
    }, setup: setupContext)
    Benchmark("diag.read.grdbSyncEmpty", configuration: keyset, closure: { benchmark in
        let pool = try diagnosticPool.get()
        for _ in benchmark.scaledIterations {
            blackHole(try pool.read { _ in 0 })
        }
    }, setup: setupContext)
    Benchmark("diag.read.rawEmpty", configuration: keyset, closure: { benchmark in
        let raw = try sharedContext.get().raw
        for _ in benchmark.scaledIterations {
            try raw.emptyTransaction()
        }
    }, setup: setupContext)

    for depth in depths {
        let setup: Benchmark.BenchmarkSetupHook = { try await sharedContext.get().verify(depth: depth) }

        Benchmark("page.store.d\(depth)", configuration: keyset, closure: { benchmark in
            let context = try sharedContext.get()
            let conversation = context.fixture.conversationID
            let cursor = context.cursor(depth: depth)
            for _ in benchmark.scaledIterations {
                blackHole(try await context.store.read { tx in
                    try tx.messages(in: conversation, before: cursor, limit: pageSize)
                })
            }
        }, setup: setup)

        Benchmark("page.raw.d\(depth)", configuration: keyset, closure: { benchmark in
            let context = try sharedContext.get()
            let conversation = context.fixture.conversationID.uuid
            let cursor = context.cursor(depth: depth)
            for _ in benchmark.scaledIterations {
                blackHole(try context.raw.page(in: conversation, before: cursor, limit: pageSize))
            }
        }, setup: setup)

        Benchmark("page.history.d\(depth)", configuration: keyset, closure: { benchmark in
            let context = try sharedContext.get()
            // Without the reaction and thread summaries (a second statement since issue 17):
            // the raw C side runs the membership check and the page, nothing more.
            let request = HistoryRequest(
                direction: .backward, cursor: context.cursor(depth: depth), limit: pageSize, includesSummaries: false)
            for _ in benchmark.scaledIterations {
                blackHole(try await context.messaging.messages.history(
                    of: context.fixture.conversationID, for: context.fixture.readerID, request))
            }
        }, setup: setup)

        // The default history read: the page plus its messages' reaction and thread summaries
        // (one more statement; the fixture has no reactions or replies, so this is its
        // fixed cost). Against page.history.d<depth> in the report, for information.
        Benchmark("page.historySummaries.d\(depth)", configuration: keyset, closure: { benchmark in
            let context = try sharedContext.get()
            let request = HistoryRequest(direction: .backward, cursor: context.cursor(depth: depth), limit: pageSize)
            for _ in benchmark.scaledIterations {
                blackHole(try await context.messaging.messages.history(
                    of: context.fixture.conversationID, for: context.fixture.readerID, request))
            }
        }, setup: setup)

        Benchmark("page.rawHistory.d\(depth)", configuration: keyset, closure: { benchmark in
            let context = try sharedContext.get()
            let conversation = context.fixture.conversationID.uuid
            let reader = context.fixture.readerID.uuid
            let cursor = context.cursor(depth: depth)
            for _ in benchmark.scaledIterations {
                blackHole(try context.raw.history(of: conversation, for: reader, before: cursor, limit: pageSize))
            }
        }, setup: setup)

        Benchmark("page.rawOffset.d\(depth)", configuration: offset, closure: { benchmark in
            let context = try sharedContext.get()
            let conversation = context.fixture.conversationID.uuid
            for _ in benchmark.scaledIterations {
                blackHole(try context.raw.page(in: conversation, offset: depth, limit: pageSize))
            }
        }, setup: setup)
    }
}
