/// Reads of single messages and threads, with reaction and thread summaries.
extension MessageService {
    /// One message with its reaction summaries (for `reader`) and, for a thread root, its
    /// thread summary. `notFound` when the message does not exist, is not in
    /// `conversationID` (when given), or `reader` is not a member of its conversation.
    public func message(
        _ messageID: MessageID, in conversationID: ConversationID? = nil, for reader: UserID
    ) async throws -> MessageDetail {
        try await context.store.read { transaction in
            let (message, _, _) = try transaction.requireVisibleMessage(messageID, for: reader)
            if let conversationID, message.conversationID != conversationID { throw MessagingError.messageNotFound }
            return try transaction.detail(of: message.shown(hiding: try transaction.blockedSenders(of: reader)), for: reader)
        }
    }

    /// One page of the replies of a thread root, by keyset on `seq` exactly as ``history(of:for:_:)``
    /// pages a conversation (backward: newest first from `cursor`; forward: oldest first),
    /// with the root and its summaries.
    ///
    /// The reader must be a member of the conversation (`notFound` otherwise, as for a root
    /// that does not exist or is not in `conversationID`); a message that is itself a reply
    /// is not a root (`invalidInput`). A deleted root still lists its replies.
    public func replies(
        to rootID: MessageID, in conversationID: ConversationID, for reader: UserID, _ request: HistoryRequest = .init()
    ) async throws -> ThreadPage {
        try requirePageLimit(request.limit, max: context.limits.maxHistoryPage, what: "replies")
        if let cursor = request.cursor, cursor < 0 {
            throw MessagingError.invalidInput("The replies cursor is a seq and cannot be negative.")
        }
        return try await context.store.read { transaction in
            let (root, _, _) = try transaction.requireVisibleMessage(rootID, for: reader)
            guard root.conversationID == conversationID else { throw MessagingError.messageNotFound }
            if let actualRoot = root.threadRootID {
                throw MessagingError.invalidInput(
                    "The message is a reply in the thread of \(actualRoot), not a thread root; read that root's replies.")
            }
            var rows = switch request.direction {
            case .backward: try transaction.replies(to: rootID, before: request.cursor, limit: request.limit + 1)
            case .forward: try transaction.replies(to: rootID, after: request.cursor, limit: request.limit + 1)
            }
            let hasMore = rows.count > request.limit
            if hasMore { rows.removeLast(rows.count - request.limit) }
            let blocked = try transaction.blockedSenders(of: reader)
            if !blocked.isEmpty { rows = rows.map { $0.shown(hiding: blocked) } }
            let page = try request.includesSummaries
                ? transaction.summarizedPage(rows, hasMore: hasMore, for: reader)
                : MessagePage(messages: rows, hasMore: hasMore)
            return ThreadPage(root: try transaction.detail(of: root.shown(hiding: blocked), for: reader), replies: page)
        }
    }
}

extension MessagingTransaction {
    /// A page with the reaction summaries of its messages and the thread summaries of its
    /// roots: one query, whatever the page size.
    func summarizedPage(_ messages: [Message], hasMore: Bool, for reader: UserID) throws -> MessagePage {
        guard !messages.isEmpty else { return MessagePage(messages: messages, hasMore: hasMore) }
        let summaries = try summaries(of: messages.map(\.id), for: reader)
        return MessagePage(messages: messages, hasMore: hasMore, reactions: summaries.reactions, threads: summaries.threads)
    }

    /// One message with its summaries (one query).
    func detail(of message: Message, for reader: UserID) throws -> MessageDetail {
        let summaries = try summaries(of: [message.id], for: reader)
        return MessageDetail(
            message: message, reactions: summaries.reactions[message.id] ?? [], thread: summaries.threads[message.id])
    }
}
