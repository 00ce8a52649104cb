import Foundation

/// Notifications for members who did not receive messages, their records, and the push
/// tokens of devices.
///
/// How a member is notified:
/// - A send enqueues a ``NotificationScan`` for its conversation in its own transaction,
///   coalesced per conversation and run when the batch window
///   (`MessagingConfiguration.notificationWindowMilliseconds`) closes.
/// - The scan (``scan(_:through:)``) gives every member whose devices acknowledged none of the
///   new messages, who has not read them and was not notified of them, one
///   ``NotificationRecord`` for all of them (a burst of 50 messages is one notification), and
///   enqueues its push. Skipped: the sender's own messages, messages of users the member
///   blocks, members who muted the conversation, and messages that mention the member (a
///   mention has its own notification, made when its job is dispatched: ``record(_:count:jobID:)``).
/// - A member's records are theirs alone: listed newest first with the unread count, and
///   marked read by id or all at once.
///
/// Thread safety: immutable; safe to share across tasks.
public struct NotificationService: Sendable {
    let context: ServiceContext

    /// Members per scan transaction: a large channel is scanned in short transactions.
    static let scanPageSize = 500

    /// Gives each member who needs it one notification record for the messages of
    /// `conversation` up to `seq`, and enqueues each record's push (a ``NotificationRequest``
    /// naming it). Returns the records made.
    ///
    /// Idempotent: a member's notified position rises to `seq` in the same transaction as
    /// its record, so running the scan again (a retried job) makes nothing twice. A
    /// conversation that no longer exists, or a `seq` beyond its log, scans nothing beyond it.
    @discardableResult
    public func scan(_ conversation: ConversationID, through seq: Int64) async throws -> [NotificationRecord] {
        let now = context.clock.now()
        let ids = context.ids
        var made: [NotificationRecord] = []
        var after: UserID?
        while true {
            let start = after
            let (records, last, full) = try await context.store.write { transaction in
                try Self.scanPage(conversation, through: seq, after: start, at: now, ids: ids, transaction: transaction)
            }
            made += records
            guard full, let last else { break }
            after = last
        }
        return made
    }

    /// One page of members of ``scan(_:through:)``, in one transaction.
    private static func scanPage(
        _ conversationID: ConversationID, through seq: Int64, after: UserID?, at now: Timestamp, ids: any IDGenerator,
        transaction: any MessagingTransaction
    ) throws -> ([NotificationRecord], last: UserID?, full: Bool) {
        guard let conversation = try transaction.conversation(id: conversationID) else { return ([], nil, false) }
        let latest = min(seq, conversation.lastSeq)
        let states = try transaction.notificationStates(in: conversationID, after: after, limit: scanPageSize)
        let pending = states.filter { state in
            guard state.coveredSeq < latest else { return false }
            if let until = state.mutedUntil, until > now { return false }
            return true
        }
        guard let floor = pending.map(\.coveredSeq).min() else { return ([], states.last?.userID, states.count == scanPageSize) }
        // The newest messages (at most maxCountedMessages), newest first, above the lowest position.
        let messages = try transaction.messages(
            in: conversationID, before: latest + 1, limit: NotificationLimits.maxCountedMessages
        ).filter { $0.seq > floor && !$0.isDeleted && $0.kind != .system }
        var records: [NotificationRecord] = []
        for state in pending {
            let user = state.userID
            let blocked = messages.isEmpty ? [] : try transaction.blockedSenders(of: user)
            let unseen = messages.filter {
                $0.seq > state.coveredSeq && $0.senderID != user && !blocked.contains($0.senderID) && !$0.mentions.contains(user)
            }
            if let newest = unseen.first, let oldest = unseen.last {
                let record = NotificationRecord(
                    id: ids.next(), userID: user, conversationID: conversationID, reason: .offline, firstSeq: oldest.seq,
                    latestSeq: newest.seq, messageID: newest.id, count: unseen.count, createdAt: now, readAt: nil)
                let stored = try transaction.insert(record, sourceKey: "scan:\(conversationID):\(user):\(newest.seq)")
                let push = NotificationRequest(
                    userID: user, conversationID: conversationID, reason: .offline, seq: stored.latestSeq,
                    messageID: stored.messageID, notificationID: stored.id, count: stored.count)
                try transaction.enqueue(NewJob(queue: NotificationRequest.queue, payload: push.payload), at: now)
                records.append(stored)
            }
            try transaction.setNotifiedSeq(latest, of: user, in: conversationID)
        }
        return (records, states.last?.userID, states.count == scanPageSize)
    }

    /// The record of a notification that was not made by a scan (a mention, a device that
    /// stopped acknowledging): made once per job (`jobID`), so a retried dispatch finds the
    /// record it made before. `nil`, and nothing is pushed, when the user is no longer a
    /// member of the conversation, or for an `offline` request that a scan already covered
    /// (the member was notified up to its `seq`). An `offline` record raises the member's
    /// notified position; a mention's does not (scans leave mentions to their own notifications).
    public func record(_ request: NotificationRequest, count: Int, jobID: JobID) async throws -> NotificationRecord? {
        let now = context.clock.now()
        let id: NotificationID = context.ids.next()
        return try await context.store.write { transaction in
            guard try transaction.member(request.userID, in: request.conversationID) != nil else { return nil }
            let sourceKey = "job:\(jobID)"
            if let earlier = try transaction.notification(sourceKey: sourceKey) { return earlier }
            if request.reason == .offline {
                guard try transaction.notifiedSeq(of: request.userID, in: request.conversationID) < request.seq else { return nil }
                try transaction.setNotifiedSeq(request.seq, of: request.userID, in: request.conversationID)
            }
            let record = NotificationRecord(
                id: id, userID: request.userID, conversationID: request.conversationID, reason: request.reason,
                firstSeq: request.seq, latestSeq: request.seq, messageID: request.messageID, count: max(1, count),
                createdAt: now, readAt: nil)
            return try transaction.insert(record, sourceKey: sourceKey)
        }
    }

    /// `user`'s records with an id below `before` (the previous page's last), newest first,
    /// at most `limit` (1–``NotificationLimits/maxPageSize``), with the unread count.
    public func notifications(
        of user: UserID, before: NotificationID? = nil, limit: Int = 50
    ) async throws -> NotificationPage {
        try requirePageLimit(limit, max: NotificationLimits.maxPageSize, what: "notification")
        return try await context.store.read { transaction in
            var rows = try transaction.notifications(of: user, before: before, limit: limit + 1)
            let hasMore = rows.count > limit
            if hasMore { rows.removeLast(rows.count - limit) }
            return NotificationPage(
                notifications: rows, hasMore: hasMore, unread: try transaction.unreadNotificationCount(of: user))
        }
    }

    /// Marks `user`'s records with `ids` read (at most ``NotificationLimits/maxPageSize`` ids),
    /// or every unread record when `ids` is `nil`. Ids of other users' records change
    /// nothing. Returns how many records changed.
    @discardableResult
    public func markRead(_ ids: [NotificationID]?, by user: UserID) async throws -> Int {
        if let ids {
            guard ids.count <= NotificationLimits.maxPageSize else {
                throw MessagingError.limitExceeded(
                    "Mark at most \(NotificationLimits.maxPageSize) notifications per request, or all of them (no ids).")
            }
            if ids.isEmpty { return 0 }
        }
        let now = context.clock.now()
        return try await context.store.write { transaction in
            try transaction.markNotificationsRead(of: user, ids: ids, at: now)
        }
    }

    /// Registers (or refreshes) the push token of `user`'s device `device`, replacing the
    /// device's previous token. The same token held by another device is moved to this one.
    /// `sandbox` (APNs development environment) is `invalidInput` for FCM tokens.
    public func registerPushToken(
        _ token: String, platform: PushPlatform, sandbox: Bool = false, device: DeviceID, by user: UserID
    ) async throws -> PushToken {
        try Self.validate(token, platform: platform, sandbox: sandbox)
        let value = PushToken(
            userID: user, deviceID: device, platform: platform, token: token, sandbox: sandbox, updatedAt: context.clock.now())
        try await context.store.write { transaction in
            let tokens = try transaction.pushTokens(of: user)
            guard tokens.contains(where: { $0.deviceID == device })
                || tokens.count < NotificationLimits.maxPushTokensPerUser
            else {
                throw MessagingError.limitExceeded(
                    "You have push tokens on \(NotificationLimits.maxPushTokensPerUser) devices, the limit; remove one first.")
            }
            try transaction.upsert(value)
        }
        return value
    }

    /// The push tokens of `user`, ordered by device id.
    public func pushTokens(of user: UserID) async throws -> [PushToken] {
        try await context.store.read { transaction in try transaction.pushTokens(of: user) }
    }

    /// Removes the push token of `user`'s device; `false` when it had none.
    @discardableResult
    public func removePushToken(device: DeviceID, by user: UserID) async throws -> Bool {
        try await context.store.write { transaction in try transaction.deletePushToken(of: user, device: device) }
    }

    /// Removes a token the push service said is no longer valid (APNs 410, FCM `UNREGISTERED`).
    @discardableResult
    public func removeInvalidPushToken(_ token: String, platform: PushPlatform) async throws -> Bool {
        try await context.store.write { transaction in try transaction.deletePushToken(platform: platform, token: token) }
    }

    /// Checks a token's form for its platform.
    static func validate(_ token: String, platform: PushPlatform, sandbox: Bool) throws(MessagingError) {
        switch platform {
        case .apns:
            guard (64...200).contains(token.utf8.count), token.utf8.allSatisfy({ $0.isHexDigit }) else {
                throw .invalidInput("An APNs device token is 64–200 hexadecimal digits; send the token APNs gave the app, hex-encoded.")
            }
        case .fcm:
            guard (1...4096).contains(token.utf8.count), token.utf8.allSatisfy({ $0.isFCMTokenCharacter }) else {
                throw .invalidInput(
                    "An FCM registration token is 1–4,096 characters of A–Z, a–z, 0–9, '-', '_', ':' and '.'; send it as FCM issued it.")
            }
            guard !sandbox else {
                throw .invalidInput("sandbox applies to APNs tokens only; leave it out (or false) for FCM.")
            }
        }
    }
}

/// A page of a user's notification records.
///
/// Thread safety: a value type; safe to share across tasks.
public struct NotificationPage: Hashable, Sendable {
    /// The records, newest first.
    public let notifications: [NotificationRecord]
    /// Whether older records follow (ask again with `before` = the last id).
    public let hasMore: Bool
    /// How many of the user's records are unread (all of them, not only this page's).
    public let unread: Int

    /// Makes a page.
    public init(notifications: [NotificationRecord], hasMore: Bool, unread: Int) {
        self.notifications = notifications
        self.hasMore = hasMore
        self.unread = unread
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }

    fileprivate var isFCMTokenCharacter: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
            || self == 0x2D || self == 0x5F || self == 0x3A || self == 0x2E
    }
}

extension NotificationRequest {
    /// The request's job payload (JSON).
    var payload: [UInt8] {
        // Encoding ids, an enum and integers cannot fail.
        (try? JSONEncoder().encode(self)).map(Array.init) ?? []
    }
}
