import Foundation
import MessagingCore
import MessagingDelivery
import MessagingPersistence

/// The "worker" mode of the probe (see DeliveryProbe.swift).
struct WorkerProbe {
    let database: String
    let logPath: String
    let name: String
    let idleExit: Duration

    init(arguments: [String]) throws {
        guard arguments.count == 4, let idle = Int(arguments[3]) else {
            throw ProbeError("usage: worker <database> <log> <name> <idle-exit-ms>")
        }
        database = arguments[0]
        logPath = arguments[1]
        name = arguments[2]
        idleExit = .milliseconds(idle)
    }

    func run() async throws {
        let logger = DeliveryProbe.quietLogger
        let store = try SQLiteMessagingStore(path: database, logger: logger)
        let log = try AppendLog(logPath)
        let name = self.name
        let runner = JobRunner(
            queue: SQLiteJobQueue(store: store),
            handlers: [
                "probe": { job in
                    log.write("begin \(job.id) \(job.lease.token) \(name)")
                    try await Task.sleep(for: .milliseconds(Int.random(in: 2...6)))
                    log.write("end \(job.id) \(job.lease.token) \(name)")
                },
            ],
            configuration: JobRunnerConfiguration(workerName: name, concurrency: 4, leaseMilliseconds: 30_000),
            logger: logger)
        var idleSince = ContinuousClock.now
        while ContinuousClock.now - idleSince < idleExit {
            if try await runner.runOnce() > 0 { idleSince = .now } else { try await Task.sleep(for: .milliseconds(5)) }
        }
    }
}
