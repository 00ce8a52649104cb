import ArgumentParser
import Foundation
import MessagingCore
import MessagingPersistence

extension DeliveryWorker {
    /// `DeliveryWorker dlq …`: the dead-letter queue.
    struct DLQ: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dlq", abstract: "List, inspect, replay (once) and purge dead jobs.",
            subcommands: [List.self, Show.self, Replay.self, Purge.self, Stats.self])
    }
}

extension DeliveryWorker.DLQ {
    static func format(_ time: Timestamp?) -> String {
        guard let time else { return "-" }
        return ISO8601DateFormatter().string(from: time.date)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead jobs, oldest first.")

        @OptionGroup var store: StoreOptions
        @Option(help: "Only this queue.") var queue: String?
        @Option(help: "Only ids after this one (paging).") var after: Int64?
        @Option(help: "At most this many.") var limit = 50

        func run() async throws {
            let logger = try store.makeLogger(label: "DeliveryWorker")
            try await Self.reportingErrors {
                try await store.withQueue(logger: logger) { jobs in
                    let dead = try await jobs.deadJobs(in: queue, after: after.map { JobID($0) }, limit: limit)
                    if dead.isEmpty {
                        print("no dead jobs")
                        return
                    }
                    print("ID\tQUEUE\tATTEMPTS\tFAILED AT\tREPLAYED\tLAST ERROR")
                    for job in dead {
                        let error = job.lastError.count > 60 ? String(job.lastError.prefix(60)) + "…" : job.lastError
                        print("\(job.id)\t\(job.queue)\t\(job.attempts)/\(job.maxAttempts)\t\(format(job.failedAt))\t\(job.replayJobID.map { "as \($0)" } ?? "no")\t\(error)")
                    }
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one dead job in full.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The dead job's id.") var id: Int64

        func run() async throws {
            let logger = try store.makeLogger(label: "DeliveryWorker")
            try await Self.reportingErrors {
                try await store.withQueue(logger: logger) { jobs in
                    guard let job = try await jobs.deadJob(id: JobID(id)) else {
                        throw MessagingError(code: .notFound, message: "There is no dead job \(id); list them with `dlq list`.")
                    }
                    print("id:            \(job.id)")
                    print("queue:         \(job.queue)")
                    print("attempts:      \(job.attempts) of \(job.maxAttempts)")
                    print("created at:    \(format(job.createdAt))")
                    print("last attempt:  \(format(job.lastAttemptAt))")
                    print("failed at:     \(format(job.failedAt))")
                    print("replayed:      \(job.replayJobID.map { "at \(format(job.replayedAt)) as job \($0)" } ?? "no")")
                    print("last error:    \(job.lastError)")
                    print("payload bytes: \(job.payload.count)")
                }
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enqueue a dead job again (once) with fresh attempts.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The dead job's id.") var id: Int64

        func run() async throws {
            let logger = try store.makeLogger(label: "DeliveryWorker")
            try await Self.reportingErrors {
                try await store.withQueue(logger: logger) { jobs in
                    let newID = try await jobs.replayDeadJob(id: JobID(id), now: SystemWallClock().now())
                    print("replayed dead job \(id) as job \(newID)")
                }
            }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete dead jobs: given ids, --older-than-days N, or --all.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "Dead job ids.") var ids: [Int64] = []
        @Option(help: "Every dead job that failed more than this many days ago.") var olderThanDays: Int?
        @Flag(help: "Every dead job.") var all = false

        func validate() throws {
            let choices = (ids.isEmpty ? 0 : 1) + (olderThanDays == nil ? 0 : 1) + (all ? 1 : 0)
            guard choices == 1 else { throw ValidationError("Give exactly one of: ids, --older-than-days N, --all.") }
            if let olderThanDays, !(0...36_500).contains(olderThanDays) {
                throw ValidationError("--older-than-days must be between 0 and 36500.")
            }
        }

        func run() async throws {
            let logger = try store.makeLogger(label: "DeliveryWorker")
            try await Self.reportingErrors {
                try await store.withQueue(logger: logger) { jobs in
                    let before = olderThanDays.map { SystemWallClock().now().adding(milliseconds: -Int64($0) * 86_400_000) }
                    let removed = try await jobs.purgeDeadJobs(ids: ids.isEmpty ? nil : ids.map { JobID($0) }, failedBefore: before)
                    print("purged \(removed) dead job(s)")
                }
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Waiting, leased and dead jobs per queue.")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let logger = try store.makeLogger(label: "DeliveryWorker")
            try await Self.reportingErrors {
                try await store.withQueue(logger: logger) { jobs in
                    let counts = try await jobs.counts()
                    print("QUEUE\tWAITING\tLEASED\tDEAD")
                    for count in counts { print("\(count.queue)\t\(count.waiting)\t\(count.leased)\t\(count.dead)") }
                }
            }
        }
    }
}
