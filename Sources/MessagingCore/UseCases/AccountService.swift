/// What happens to the messages of a deleted account.
///
/// Thread safety: a value type; safe to share across tasks.
public enum DeletedAccountMessages: String, Hashable, Sendable, CaseIterable {
    /// Tombstoned like a user's delete (the default): id, `seq`, sender and times stay; body,
    /// mentions, attachments and reactions go; a `message.deleted` event each.
    case tombstone
    /// Kept as they are, under the account's id (its display name becomes "Deleted account").
    case keep
}

/// The messaging side of deleting an account (see ``AccountDataEraser``).
///
/// It checks no rights: `AuthService.deleteAccount` (MessagingAuth) checks them and calls it
/// after disabling the account and revoking its sessions.
///
/// Thread safety: immutable; safe to share across tasks.
public struct AccountService: Sendable {
    let context: ServiceContext

    /// The display name a deleted account's user row gets.
    public static let deletedDisplayName = "Deleted account"

    /// An eraser for `AuthService.deleteAccount` that treats messages as `messages` says.
    public func eraser(messages: DeletedAccountMessages = .tombstone) -> any AccountDataEraser {
        Eraser(service: self, messages: messages)
    }

    private struct Eraser: AccountDataEraser {
        let service: AccountService
        let messages: DeletedAccountMessages
        func eraseData(of user: UserID) async throws { try await service.eraseData(of: user, messages: messages) }
    }

    /// Erases the messaging data of `user`, in short transactions, idempotently:
    /// 0. the account is marked deleted: creating a conversation with it or adding it to one
    ///    answers `notFound`, as for a user that does not exist;
    /// 1. each active device is removed as ``DeviceService/remove(_:by:)`` does (a
    ///    `device.removed` event in each encrypted conversation, a new epoch required), and
    ///    every key envelope addressed to the account's devices is deleted, as are its
    ///    notification records and push tokens;
    /// 2. in each conversation the account is a member of: its messages are tombstoned
    ///    (``DeletedAccountMessages/tombstone``, 500 per transaction) or kept; then it leaves
    ///    (`member.left`, read position gone, a new epoch required in an encrypted one). The
    ///    last owner of a conversation with other members first hands ownership to the first
    ///    admin (by user id), else to the first other member (`member.role_changed`);
    /// 3. every attachment of the account that belongs to no message is deleted, object first
    ///    (through the ``AttachmentObjectStore``), then record: its pending uploads, and with
    ///    ``DeletedAccountMessages/tombstone`` the files of its messages (tombstoning released
    ///    them). With ``DeletedAccountMessages/keep`` the kept messages keep their files.
    public func eraseData(of user: UserID, messages: DeletedAccountMessages) async throws {
        let now = context.clock.now()
        try await context.write { transaction in
            // First: from here on nobody can add the account to a conversation.
            try transaction.markAccountDeleted(user, at: now)
            let conversations = try transaction.encryptedConversations(of: user)
            for device in try transaction.activeDevices(of: user) {
                try transaction.markRemoved(device.id, at: now)
                for conversation in conversations {
                    try transaction.record(
                        { _ in .deviceRemoved(userID: user, deviceID: device.id) }, in: conversation, by: user, at: now)
                    try transaction.requireNewEpoch(in: conversation)
                }
            }
            try transaction.deleteEnvelopes(ofDevicesOf: user)
            // Its notification records and push tokens: nothing is pushed to a deleted account.
            try transaction.deleteNotificationData(of: user)
        }
        // Each conversation left drops out of the list, so the first page is read again until empty.
        while let summary = try await context.store.read({ transaction in
            try transaction.conversations(of: user, after: nil, limit: 1).first
        }) {
            let conversationID = summary.conversation.id
            if messages == .tombstone {
                var more = true
                while more {
                    more = try await context.write { transaction in
                        let ids = try transaction.undeletedMessages(from: user, in: conversationID, limit: 500)
                        for id in ids {
                            if let message = try transaction.message(id: id) {
                                try transaction.deleteMessage(message, by: user, at: now)
                            }
                        }
                        return ids.count == 500
                    }
                }
            }
            try await context.write(feed: { transaction in ((), try Self.leave(conversationID, user: user, at: now, transaction)) })
        }
        // Last, so the files released by the tombstones above go too.
        try await AttachmentService(context: context).deleteUnattachedUploads(of: user)
    }

    /// The account leaves one conversation, handing ownership on when it is the last owner;
    /// returns the feed entries it appended (the heir's new role, the account's departure).
    private static func leave(
        _ conversationID: ConversationID, user: UserID, at now: Timestamp, _ transaction: any MessagingTransaction
    ) throws -> [UserFeedEvent] {
        guard let me = try transaction.member(user, in: conversationID),
            let conversation = try transaction.conversation(id: conversationID)
        else { return [] }
        var feed: [UserFeedEvent] = []
        if me.role == .owner, try transaction.memberCount(of: conversationID, role: .owner) == 1,
            let heir = try heir(of: conversationID, leaving: user, transaction)
        {
            try transaction.setRole(.owner, of: heir.userID, in: conversationID)
            try transaction.record(
                { _ in .memberRoleChanged(userID: heir.userID, from: heir.role, to: .owner) }, in: conversationID, by: user,
                at: now)
            feed.append(try transaction.appendFeedEvent(.roleChanged(to: .owner, by: user), for: heir.userID, about: conversationID, at: now))
        }
        try transaction.removeMember(user, from: conversationID)
        try transaction.record({ _ in .memberLeft(userID: user, removedBy: nil) }, in: conversationID, by: user, at: now)
        if conversation.isEncrypted { try transaction.requireNewEpoch(in: conversationID) }
        feed.append(try transaction.appendFeedEvent(.left(removedBy: nil, reason: nil, banned: false), for: user, about: conversationID, at: now))
        return feed
    }

    /// The first admin by user id, else the first other member; `nil` when no one else is left.
    private static func heir(
        of conversationID: ConversationID, leaving user: UserID, _ transaction: any MessagingTransaction
    ) throws -> Member? {
        var firstOther: Member?
        var after: UserID?
        while true {
            let page = try transaction.members(of: conversationID, after: after, limit: 500)
            for member in page where member.userID != user {
                if member.role == .admin { return member }
                if firstOther == nil { firstOther = member }
            }
            guard page.count == 500, let last = page.last else { return firstOther }
            after = last.userID
        }
    }
}
