import Foundation
import MessagingCore
import MessagingPersistence
import Testing

@Suite("Worker processes")
struct WorkerProcessTests {
    @Test("two worker processes on one database never run the same lease at once, and every job runs once")
    func twoWorkers() async throws {
        let fixture = try DeliveryFixture()
        defer { fixture.remove() }
        let probe = try builtExecutable("DeliveryProbe")
        let count = 400
        for index in 0..<count {
            try await fixture.jobs.enqueue(NewJob(queue: "probe", payload: [UInt8(index % 256)]), at: SystemWallClock().now())
        }
        let log = fixture.directory.appendingPathComponent("runs.log").path
        let workers = try ["w1", "w2"].map { try ChildProcess(probe, ["worker", fixture.databasePath, log, $0, "400"]) }
        for worker in workers {
            let ended = await worker.wait(upTo: .seconds(60))
            if !ended { worker.kill() }
            #expect(ended && worker.process.terminationStatus == 0, "worker exited cleanly: \(worker.standardError)")
        }
        var open: [String: String] = [:]  // job -> worker holding it
        var runs: [String: Int] = [:]
        var byWorker: [String: Int] = [:]
        for line in completeLines(log) {
            let parts = line.split(separator: " ").map(String.init)
            try #require(parts.count == 4)
            let (kind, job, worker) = (parts[0], parts[1], parts[3])
            if kind == "begin" {
                #expect(open[job] == nil, "job \(job) began on \(worker) while \(open[job] ?? "") held it")
                open[job] = worker
                runs[job, default: 0] += 1
                byWorker[worker, default: 0] += 1
            } else {
                #expect(open[job] == worker, "job \(job) ended on the worker that held it")
                open[job] = nil
            }
        }
        #expect(open.isEmpty)
        #expect(runs.count == count, "every job ran")
        #expect(runs.values.allSatisfy { $0 == 1 }, "no job ran twice (leases outlive the handlers)")
        #expect(byWorker.count == 2, "both workers took jobs: \(byWorker)")
        #expect(try await fixture.jobs.counts().isEmpty)
    }
}
