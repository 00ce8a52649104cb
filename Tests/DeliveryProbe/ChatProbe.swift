import Foundation
import Logging
import MessagingCore
import MessagingDelivery
import MessagingPersistence
import Synchronization

/// The "chat" mode of the probe (see DeliveryProbe.swift).
struct ChatProbe {
    let directory: String
    let label: String
    let sends: Bool
    let maxSends: Int

    init(arguments: [String]) throws {
        guard arguments.count >= 2 else { throw ProbeError("usage: chat <directory> <run label> [--no-send] [--max-sends N]") }
        directory = arguments[0]
        label = arguments[1]
        sends = !arguments.contains("--no-send")
        if let index = arguments.firstIndex(of: "--max-sends"), index + 1 < arguments.count, let value = Int(arguments[index + 1]) {
            maxSends = value
        } else {
            maxSends = .max
        }
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func run() async throws {
        let setup = try JSONDecoder().decode(ChatSetup.self, from: Data(contentsOf: URL(fileURLWithPath: path("setup.json"))))
        guard let conversation = ConversationID(setup.conversation) else { throw ProbeError("bad conversation id") }
        let logger = DeliveryProbe.quietLogger
        let store = try SQLiteMessagingStore(path: path("chat.sqlite"), logger: logger)
        let messaging = Messaging(store: store, configuration: MessagingConfiguration(notificationWindowMilliseconds: 50))
        let jobs = SQLiteJobQueue(store: store)
        let hub = FanoutHub(messaging: messaging, configuration: FanoutConfiguration(reorderLimit: 256), logger: logger)
        let tracker = AckTracker(
            hub: hub, messaging: messaging, cursors: store, jobs: jobs,
            configuration: AckConfiguration(
                ackTimeout: .milliseconds(40), redeliveryBackoff: Backoff(baseMilliseconds: 10, capMilliseconds: 80),
                maxRedeliveries: 3, tickInterval: .milliseconds(10), cursorFlushInterval: .milliseconds(30),
                cursorBatchSize: 64, notificationWindowMilliseconds: 50),
            clock: ContinuousClock(), logger: logger)
        let pushes = try AppendLog(path("push.log"))
        let runner = JobRunner(
            queue: jobs,
            handlers: [NotificationRequest.queue: NotificationDispatcher(provider: FilePushProvider(log: pushes)).handler],
            configuration: JobRunnerConfiguration(
                workerName: "probe-\(label)", concurrency: 2, leaseMilliseconds: 300, pollInterval: .milliseconds(20),
                backoff: Backoff(baseMilliseconds: 10, capMilliseconds: 100)),
            logger: logger)
        let pipeline = DeliveryPipeline(messaging: messaging, bus: InMemoryEventBus(hub: hub))
        let lastSeq = sends ? nil : try await lastSeqOf(conversation, messaging: messaging, reader: setup.devices[0].user)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await tracker.run() }
            group.addTask { try await runner.run() }
            var devices: [Int] = []
            for (index, device) in setup.devices.enumerated() {
                devices.append(index)
                let log = try AppendLog(path("device-\(index).log"))
                group.addTask {
                    try await runDevice(
                        index: index, device: device, conversation: conversation, tracker: tracker, log: log, until: lastSeq)
                }
            }
            if sends {
                let senders = setup.senders.compactMap(UserID.init)
                let members = setup.devices.compactMap { UserID($0.user) }
                let sendLog = try AppendLog(path("sends.txt"))
                group.addTask {
                    try await sendLoop(pipeline: pipeline, conversation: conversation, senders: senders, members: members, log: sendLog)
                }
                try await group.next()  // runs until killed
            } else {
                // Catch-up: every device task returns once it has everything.
                for _ in devices { try await group.next() }
                group.cancelAll()
            }
        }
    }

    private func lastSeqOf(_ conversation: ConversationID, messaging: Messaging, reader: String) async throws -> Int64 {
        guard let user = UserID(reader) else { throw ProbeError("bad user id") }
        return try await messaging.conversations.conversation(conversation, for: user).lastSeq
    }

    private func sendLoop(
        pipeline: DeliveryPipeline, conversation: ConversationID, senders: [UserID], members: [UserID], log: AppendLog
    ) async throws {
        // Four sends in flight at a time, so the store's group commit batches them (and a
        // kill at CP9 lands between a shared COMMIT and its answers).
        let inFlight = 4
        for start in stride(from: 0, to: maxSends, by: inFlight) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in start..<min(start + inFlight, maxSends) {
                    let sender = senders[index % senders.count]
                    let mentions = index % 4 == 0 ? members.filter { $0 != sender }.prefix(1).map { $0 } : []
                    let key = try ClientMessageID("\(label)-\(index)")
                    let draft = try MessageDraft(text: "probe \(key)", clientMessageID: key, mentions: mentions)
                    group.addTask {
                        try await pipeline.send(draft, to: conversation, by: sender) { receipt in
                            log.write("\(key) \(receipt.message.seq)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            if start % 8 == 4 { await Task.yield() }
        }
        try await Task.sleep(for: .seconds(3600))
    }

    /// One device: resume from what it has, read, acknowledge per its policy; rejoin after a resync.
    private func runDevice(
        index: Int, device: ChatSetup.Device, conversation: ConversationID, tracker: AckTracker<ContinuousClock>,
        log: AppendLog, until lastSeq: Int64?
    ) async throws {
        guard let user = UserID(device.user), let deviceID = DeviceID(device.device) else { throw ProbeError("bad device") }
        var received = Self.receivedSeqs(path("device-\(index).log"))
        var session = 0
        while !Task.isCancelled {
            let resume = Self.contiguous(received)
            if let lastSeq, resume >= lastSeq { return }
            session += 1
            let outbound = OutboundSession(
                id: ConnectionID(UInt64(index * 1_000_000 + session)), userID: user, deviceID: deviceID,
                limits: SessionQueueLimits(maxEvents: 256))
            log.write("run \(label)/\(session) resume \(resume)")
            try await tracker.join(outbound, to: conversation, after: resume)
            var read = 0
            while let event = await outbound.next() {
                read += 1
                log.write("r \(event.seq) \(read)")
                received.insert(event.seq)
                if device.ackEvery > 0, event.seq % Int64(device.ackEvery) == 0 {
                    if case .advanced = try tracker.acknowledge(outbound, in: conversation, through: event.seq) {
                        log.write("a \(event.seq) \(outbound.enqueuedCount)")
                    }
                }
                if let lastSeq, Self.contiguous(received) >= lastSeq {
                    tracker.disconnect(outbound, from: [conversation])
                    return
                }
            }
            tracker.disconnect(outbound, from: [conversation])
        }
    }

    /// Every seq a device log says was read ("r <seq> <k>" lines). Parsed byte by byte:
    /// soak logs reach megabytes and this runs at every start of a debug build.
    static func receivedSeqs(_ path: String) -> Set<Int64> {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var result = Set<Int64>()
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            let count = bytes.count
            var index = 0
            while index < count {
                var end = index
                while end < count, bytes[end] != 0x0A { end += 1 }
                // Only complete lines starting with "r ".
                if end < count, end - index > 2, bytes[index] == UInt8(ascii: "r"), bytes[index + 1] == 0x20 {
                    var value: Int64 = 0
                    var cursor = index + 2
                    while cursor < end, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39 {
                        value = value * 10 + Int64(bytes[cursor] - 0x30)
                        cursor += 1
                    }
                    if cursor > index + 2 { result.insert(value) }
                }
                index = end + 1
            }
        }
        return result
    }

    /// The highest n such that 1...n were all read.
    static func contiguous(_ seqs: Set<Int64>) -> Int64 {
        var n: Int64 = 0
        while seqs.contains(n + 1) { n += 1 }
        return n
    }
}

/// Records pushes in push.log.
struct FilePushProvider: PushProvider {
    let log: AppendLog

    func push(_ notification: PushNotification) async throws {
        log.write("push \(notification.userID) \(notification.conversationID) \(notification.reason.rawValue) \(notification.latestSeq) \(notification.count)")
    }
}
