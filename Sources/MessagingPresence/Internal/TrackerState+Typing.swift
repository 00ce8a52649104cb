import MessagingCore

/// One user typing in one conversation.
struct TypingKey: Hashable {
    var userID: UserID
    var conversationID: ConversationID
}

/// A typing indicator and its rate limit. Never stored anywhere but here.
struct TypingRecord {
    /// When the last "started typing" was accepted (the rate limit counts from it).
    var lastAccepted: Int64
    /// When the indicator ends; `nil` while the user is not typing.
    var until: Int64?
    /// The wheel tick of the record's live timer.
    var tick: Int64
}

extension TrackerState {
    /// Takes a slot of the rate limit for a "started typing" call; `false` when the last
    /// accepted one was less than the minimum interval ago. The slot is taken before the
    /// membership check, so probing by non-members is throttled too.
    mutating func reserveTyping(_ key: TypingKey, now: Int64) -> Bool {
        if let record = typing[key], now - record.lastAccepted < settings.typingMinimumInterval { return false }
        let until = typing[key]?.until
        let end = max(until ?? 0, now + settings.typingMinimumInterval)
        let tick = wheel.tick(for: end)
        let previousTick = typing[key]?.tick
        typing[key] = TypingRecord(lastAccepted: now, until: until, tick: tick)
        if previousTick != tick { wheel.schedule(.typing(key), onTick: tick) }
        return true
    }

    /// Starts (or extends) the indicator of a member; observers hear of it only when it
    /// was not already on.
    mutating func startTyping(_ key: TypingKey, now: Int64) {
        let until = now + settings.typingTimeout
        let tick = wheel.tick(for: until)
        var record = typing[key] ?? TypingRecord(lastAccepted: now, until: nil, tick: tick)
        let wasTyping = record.until != nil
        record.until = until
        if record.tick != tick || typing[key] == nil {
            record.tick = tick
            wheel.schedule(.typing(key), onTick: tick)
        }
        typing[key] = record
        guard !wasTyping else { return }
        typingInConversation[key.conversationID, default: []].insert(key.userID)
        typingByUser[key.userID, default: []].insert(key.conversationID)
        deliverTyping(key, isTyping: true)
    }

    /// Ends the indicator now (the user stopped, sent, left or went offline); the record
    /// stays until the rate-limit interval has passed.
    mutating func stopTyping(_ key: TypingKey) {
        guard let index = typing.index(forKey: key), typing.values[index].until != nil else { return }
        typing.values[index].until = nil
        removeFromTypingIndex(key)
        deliverTyping(key, isTyping: false)
    }

    mutating func typingTimerFired(_ key: TypingKey, tick: Int64, now: Int64) {
        guard let record = typing[key], record.tick == tick else { return }
        if let until = record.until, until <= now { stopTyping(key) }
        let current = typing[key]!
        let end = max(current.until ?? 0, current.lastAccepted + settings.typingMinimumInterval)
        if current.until == nil, end <= now {
            typing[key] = nil
            return
        }
        let next = wheel.tick(for: end)
        typing[key]!.tick = next
        wheel.schedule(.typing(key), onTick: next)
    }

    func isTyping(_ key: TypingKey) -> Bool { typing[key]?.until != nil }

    private mutating func removeFromTypingIndex(_ key: TypingKey) {
        typingInConversation[key.conversationID]?.remove(key.userID)
        if typingInConversation[key.conversationID]?.isEmpty == true { typingInConversation[key.conversationID] = nil }
        typingByUser[key.userID]?.remove(key.conversationID)
        if typingByUser[key.userID]?.isEmpty == true { typingByUser[key.userID] = nil }
    }

    /// Typing goes to the other watchers of a conversation in per-member mode; large rooms
    /// carry no typing indicators.
    private func deliverTyping(_ key: TypingKey, isTyping: Bool) {
        guard let room = rooms[key.conversationID], !room.isOccupancy(threshold: settings.largeRoomThreshold) else { return }
        let change = PresenceChange.typing(
            TypingChange(conversationID: key.conversationID, userID: key.userID, isTyping: isTyping))
        deliver(change, key: .typing(key.conversationID, key.userID), to: room.watchers, except: key.userID)
    }
}
