import Foundation
import MessagingCore
import Testing

// The suites of the durable job queue: leases, retries, the dead-letter queue, coalescing.
extension StoreContract {
    func job(_ text: String = "x", queue: String = "q", key: String? = nil, delay: Int64 = 0, maxAttempts: Int = 3) -> NewJob {
        NewJob(queue: queue, payload: Array(text.utf8), coalescingKey: key, delayMilliseconds: delay, maxAttempts: maxAttempts)
    }

    /// JobQueue: a claimed job is leased to one worker until the lease expires; the expired lease can no longer complete it.
    public func jobLeases() async throws {
        try await withStores { stores in
            let jobs = stores.jobs
            let now = time
            try await jobs.enqueue(job(), at: now)
            let first = try await jobs.claim(from: ["q"], owner: "w1", limit: 10, leaseMilliseconds: 1000, now: now)
            #expect(first.count == 1)
            #expect(first.first?.attempt == 1 && first.first?.lease.expiresAt == now.adding(milliseconds: 1000))
            #expect(try await jobs.claim(from: ["q"], owner: "w2", limit: 10, leaseMilliseconds: 1000, now: now.adding(milliseconds: 999)).isEmpty)
            let second = try await jobs.claim(from: ["q"], owner: "w2", limit: 10, leaseMilliseconds: 1000, now: now.adding(milliseconds: 1000))
            #expect(second.count == 1)
            guard let lost = first.first, let held = second.first else { return }
            #expect(held.attempt == 2, "a crash never resets the attempt counter")
            #expect(held.lease.token != lost.lease.token)
            #expect(try await jobs.complete(lost.lease) == false, "the expired lease lost the job")
            #expect(try await jobs.retry(lost.lease, error: "late", at: now, now: now) == false)
            #expect(try await jobs.deadLetter(lost.lease, error: "late", now: now) == false)
            #expect(try await jobs.release(lost.lease, now: now) == false)
            #expect(try await jobs.complete(held.lease) == true)
            #expect(try await jobs.complete(held.lease) == false, "a lease ends once")
            #expect(try await jobs.counts().allSatisfy { $0.waiting == 0 && $0.leased == 0 && $0.dead == 0 })
        }
    }

    /// JobQueue: a retry records the error and is not claimable before its run time; an unknown queue name is refused.
    public func jobRetry() async throws {
        try await withStores { stores in
            let jobs = stores.jobs
            let now = time
            try await jobs.enqueue(job(maxAttempts: 5), at: now)
            let claimed = try await jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: now)
            let lease = try #require(claimed.first?.lease)
            #expect(try await jobs.retry(lease, error: "boom", at: now.adding(milliseconds: 5000), now: now))
            #expect(try await jobs.counts().first { $0.queue == "q" }?.waiting == 1)
            #expect(try await jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: now.adding(milliseconds: 4999)).isEmpty)
            let again = try await jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: now.adding(milliseconds: 5000))
            #expect(again.map(\.attempt) == [2])
            await expectError(.invalidInput, "a queue name is 1 to 64 bytes") {
                try await jobs.enqueue(NewJob(queue: String(repeating: "q", count: 65), payload: []), at: now)
            }
        }
    }

    /// JobQueue: the last attempt's expired lease sends the job to the dead-letter queue, with its error and timestamps.
    public func jobLastAttemptCrash() async throws {
        try await withStores { stores in
            let jobs = stores.jobs
            let now = time
            try await jobs.enqueue(job(maxAttempts: 2), at: now)
            var clock = now
            for attempt in 1...2 {
                let claimed = try await jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: clock)
                #expect(claimed.map(\.attempt) == [attempt])
                if attempt == 1, let lease = claimed.first?.lease {
                    _ = try await jobs.retry(lease, error: "first failure", at: clock, now: clock)
                }
                clock = clock.adding(milliseconds: 100)  // the second lease expires (its worker crashed)
            }
            #expect(try await jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 100, now: clock).isEmpty)
            let dead = try await jobs.deadJobs(in: nil, after: nil, limit: 10)
            #expect(dead.count == 1)
            #expect(dead.first?.attempts == 2 && dead.first?.maxAttempts == 2)
            #expect(dead.first?.lastError.contains("lease of the last attempt expired") == true)
            #expect(dead.first?.lastError.contains("first failure") == true)
            #expect(dead.first?.failedAt == clock)
            #expect(dead.first?.createdAt == now)
            #expect(dead.first?.lastAttemptAt == now.adding(milliseconds: 100))
            let counts = try await jobs.counts().first { $0.queue == "q" }
            #expect(counts?.waiting == 0 && counts?.leased == 0 && counts?.dead == 1)
        }
    }

    /// JobQueue: dead-letter queue: list by queue and page, show, replay exactly once, purge.
    public func deadLetterQueue() async throws {
        try await withStores { stores in
            let jobs = stores.jobs
            let now = time
            for name in ["poison", "bad", "worse"] { try await jobs.enqueue(job(name, queue: name == "worse" ? "other" : "q", maxAttempts: 1), at: now) }
            let claimed = try await jobs.claim(from: ["q", "other"], owner: "w", limit: 10, leaseMilliseconds: 100, now: now)
            #expect(claimed.count == 3)
            for (index, job) in claimed.enumerated() {
                #expect(try await jobs.deadLetter(job.lease, error: "bad payload \(index)", now: now.adding(milliseconds: Int64(index))))
            }
            let id = claimed[0].id
            #expect(try await jobs.deadJob(id: id)?.lastError == "bad payload 0")
            #expect(try await jobs.deadJob(id: id)?.payload == Array("poison".utf8))
            #expect(try await jobs.deadJobs(in: "other", after: nil, limit: 10).map(\.id) == [claimed[2].id])
            #expect(try await jobs.deadJobs(in: nil, after: nil, limit: 2).map(\.id) == [claimed[0].id, claimed[1].id])
            #expect(try await jobs.deadJobs(in: nil, after: claimed[1].id, limit: 2).map(\.id) == [claimed[2].id])
            let replayID = try await jobs.replayDeadJob(id: id, now: now)
            #expect(replayID != id)
            await expectError(.conflict, "a dead job is replayed once") { try await jobs.replayDeadJob(id: id, now: now) }
            #expect(try await jobs.deadJob(id: id)?.replayJobID == replayID)
            #expect(try await jobs.deadJob(id: id)?.replayedAt == now)
            let replayed = try await jobs.claim(from: ["q"], owner: "w", limit: 10, leaseMilliseconds: 100, now: now)
            #expect(replayed.map(\.id) == [replayID])
            #expect(replayed.first?.attempt == 1)
            #expect(replayed.first?.payload == Array("poison".utf8))
            #expect(try await jobs.purgeDeadJobs(ids: [id], failedBefore: nil) == 1)
            #expect(try await jobs.deadJob(id: id) == nil)
            #expect(try await jobs.purgeDeadJobs(ids: nil, failedBefore: now.adding(milliseconds: 2)) == 1, "only the older of the two left")
            #expect(try await jobs.deadJobs(in: nil, after: nil, limit: 10).map(\.id) == [claimed[2].id])
            #expect(try await jobs.purgeDeadJobs(ids: nil, failedBefore: nil) == 1)
            await expectError(.notFound, "replaying an unknown job") { try await jobs.replayDeadJob(id: JobID(999_999), now: now) }
        }
    }

    /// JobQueue: records with one coalescing key merge while the job waits; a started job no longer absorbs.
    public func jobCoalescing() async throws {
        try await withStores { stores in
            let jobs = stores.jobs
            let now = time
            #expect(try await jobs.enqueue(job("1", key: "k", delay: 100), at: now))
            #expect(try await jobs.enqueue(job("2", key: "k", delay: 100), at: now.adding(milliseconds: 50)) == false)
            #expect(try await jobs.enqueue(job("3", key: "k", delay: 100), at: now.adding(milliseconds: 90)) == false)
            #expect(try await jobs.claim(from: ["q"], owner: "w", limit: 5, leaseMilliseconds: 100, now: now.adding(milliseconds: 99)).isEmpty,
                    "the window starts at the first record")
            let claimed = try await jobs.claim(from: ["q"], owner: "w", limit: 5, leaseMilliseconds: 100, now: now.adding(milliseconds: 100))
            #expect(claimed.count == 1)
            #expect(claimed.first?.payload == Array("3".utf8))
            #expect(claimed.first?.coalescedCount == 2)
            #expect(try await jobs.enqueue(job("4", key: "k", delay: 0), at: now.adding(milliseconds: 100)), "a running job does not absorb")
        }
    }

    /// JobQueue: release gives the attempt back and makes the job claimable at once.
    public func jobRelease() async throws {
        try await withStores { stores in
            let jobs = stores.jobs
            let now = time
            try await jobs.enqueue(job(), at: now)
            let claimed = try await jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 10_000, now: now)
            let lease = try #require(claimed.first?.lease)
            #expect(try await jobs.release(lease, now: now))
            let again = try await jobs.claim(from: ["q"], owner: "w", limit: 1, leaseMilliseconds: 10_000, now: now)
            #expect(again.map(\.attempt) == [1])
        }
    }

    /// JobQueue: claims take only the named queues, oldest due first, up to the limit; counts per queue.
    public func jobClaimOrder() async throws {
        try await withStores { stores in
            let jobs = stores.jobs
            let now = time
            for index in 0..<5 { try await jobs.enqueue(job("\(index)", delay: Int64(10 - index)), at: now) }
            try await jobs.enqueue(job("other", queue: "other"), at: now)
            let claimed = try await jobs.claim(from: ["q"], owner: "w", limit: 3, leaseMilliseconds: 100, now: now.adding(milliseconds: 100))
            #expect(claimed.count == 3)
            #expect(Set(claimed.map { String(decoding: $0.payload, as: UTF8.self) }) == ["4", "3", "2"])
            let counts = try await jobs.counts()
            #expect(counts.first { $0.queue == "q" }?.leased == 3)
            #expect(counts.first { $0.queue == "q" }?.waiting == 2)
            #expect(counts.first { $0.queue == "other" }?.waiting == 1)
            #expect(try await jobs.claim(from: [], owner: "w", limit: 3, leaseMilliseconds: 100, now: now.adding(milliseconds: 100)).isEmpty)
        }
    }

    /// JobQueue: concurrent workers never hold leases on the same job, and together they take every job once.
    public func concurrentClaims() async throws {
        try await withStores { stores in
            let jobs = stores.jobs
            let now = time
            let total = 200
            for index in 0..<total { try await jobs.enqueue(job("\(index)"), at: now) }
            let taken = try await withThrowingTaskGroup(of: [JobID].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var mine: [JobID] = []
                        while true {
                            let batch = try await jobs.claim(from: ["q"], owner: "w\(worker)", limit: 7, leaseMilliseconds: 60_000, now: now)
                            if batch.isEmpty { return mine }
                            for claimed in batch {
                                #expect(try await jobs.complete(claimed.lease))
                                mine.append(claimed.id)
                            }
                        }
                    }
                }
                var all: [JobID] = []
                for try await part in group { all += part }
                return all
            }
            #expect(taken.count == total, "every job was taken")
            #expect(Set(taken).count == total, "no job was taken twice")
            #expect(try await jobs.counts().allSatisfy { $0.waiting == 0 && $0.leased == 0 })
        }
    }
}
