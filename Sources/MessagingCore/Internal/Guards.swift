/// The membership guard every use case starts with.
extension MessagingTransaction {
    /// The conversation and the caller's membership; `notFound` when either is missing, so a
    /// non-member cannot tell a hidden conversation from a missing one.
    func requireMembership(of user: UserID, in conversationID: ConversationID) throws -> (Conversation, Member) {
        guard let member = try member(user, in: conversationID),
              let conversation = try conversation(id: conversationID)
        else { throw MessagingError.conversationNotFound }
        return (conversation, member)
    }

    /// The caller's membership; `notFound` when it is not a member (read paths that need no conversation state).
    func requireMember(_ user: UserID, of conversationID: ConversationID) throws -> Member {
        guard let member = try member(user, in: conversationID) else { throw MessagingError.conversationNotFound }
        return member
    }

    /// A message the caller can see (it is a member of the message's conversation).
    func requireVisibleMessage(_ id: MessageID, for user: UserID) throws -> (Message, Conversation, Member) {
        guard let message = try message(id: id),
              let member = try member(user, in: message.conversationID),
              let conversation = try conversation(id: message.conversationID)
        else { throw MessagingError.messageNotFound }
        return (message, conversation, member)
    }

    /// Appends an event at the next `seq` and returns that `seq`.
    @discardableResult
    func record(
        _ payload: (Int64) throws -> ConversationEvent.Payload, in conversationID: ConversationID,
        by actor: UserID, at time: Timestamp
    ) throws -> Int64 {
        let seq = try nextSeq(of: conversationID, at: time)
        try append(ConversationEvent(
            conversationID: conversationID, seq: seq, actorID: actor, occurredAt: time, payload: try payload(seq)))
        return seq
    }

    /// The users `reader` blocks: their messages reach `reader` withheld (``Message/withheld()``).
    func blockedSenders(of reader: UserID) throws -> Set<UserID> {
        let blocks = try blocks(by: reader)
        return blocks.isEmpty ? [] : Set(blocks.map(\.blockedID))
    }
}

extension Message {
    /// This message as `blocked`'s reader sees it: withheld when the reader blocks its sender.
    func shown(hiding blocked: Set<UserID>) -> Message {
        blocked.contains(senderID) && !isHidden ? withheld() : self
    }
}

extension ConversationEvent {
    /// This event as a reader who blocks `blocked` gets it: a message event of a blocked
    /// sender carries the withheld message, at the same `seq`.
    func shown(hiding blocked: Set<UserID>) -> ConversationEvent {
        guard !blocked.isEmpty else { return self }
        let payload: Payload
        switch self.payload {
        case .messageCreated(let message) where blocked.contains(message.senderID): payload = .messageCreated(message.withheld())
        case .messageEdited(let message) where blocked.contains(message.senderID): payload = .messageEdited(message.withheld())
        default: return self
        }
        return ConversationEvent(conversationID: conversationID, seq: seq, actorID: actorID, occurredAt: occurredAt, payload: payload)
    }
}

extension PermissionTable {
    /// Throws `forbidden` unless `role` may take `action`.
    func require(_ role: Role, to action: ConversationAction) throws(MessagingError) {
        guard allows(role, to: action) else {
            throw .forbidden(
                "Your role (\(role)) may not \(action.phrase) here; it needs at least \(minimumRole(for: action)). Ask an owner or admin.")
        }
    }
}

extension ConversationAction {
    var phrase: String {
        switch self {
        case .addMember: "add members"
        case .removeMember: "remove members"
        case .changeRole: "change roles"
        case .editConversation: "edit the conversation"
        case .deleteOthersMessages: "delete other members' messages"
        case .postInChannel: "post in this channel"
        case .banMember: "ban or unban users"
        case .pinMessage: "pin or unpin messages"
        }
    }
}

/// Validates a page size.
func requirePageLimit(_ limit: Int, max: Int, what: String) throws(MessagingError) {
    guard (1...max).contains(limit) else {
        throw .invalidInput("The \(what) page size must be between 1 and \(max); it was \(limit).")
    }
}
