/// Full-text search over the caller's own conversations.
///
/// The query is always taken as literal words: it is split into runs of letters and
/// digits, and every other character (quotes, `*`, `:`, `^`, parentheses) separates words,
/// so no query syntax from a user reaches the engine. Encrypted messages are never indexed.
///
/// Thread safety: immutable; safe to share across tasks.
public struct SearchService: Sendable {
    let context: ServiceContext

    /// Messages containing every word of `text`, best first, in the user's conversations
    /// (only `conversationID` when given).
    public func search(
        _ text: String, in conversationID: ConversationID? = nil, for user: UserID, offset: Int = 0, limit: Int = 20
    ) async throws -> SearchPage {
        let limits = context.limits
        try requirePageLimit(limit, max: limits.maxSearchPage, what: "search")
        guard offset >= 0, offset <= limits.maxSearchDepth - limit else {
            throw MessagingError.invalidInput(
                "Search results can be paged to a depth of \(limits.maxSearchDepth); narrow the query instead of paging further.")
        }
        let terms = try Self.terms(in: text, maxWords: limits.maxSearchWords)
        return try await context.store.read { transaction in
            var excluded = 0
            if let conversationID {
                let (conversation, _) = try transaction.requireMembership(of: user, in: conversationID)
                guard !conversation.isEncrypted else {
                    throw MessagingError.invalidInput(
                        "This conversation is end-to-end encrypted: the server cannot read or search it. Search the messages on the client after decrypting them.")
                }
            } else {
                excluded = try transaction.encryptedConversations(of: user).count
            }
            var hits = try transaction.search(terms: terms, for: user, in: conversationID, offset: offset, limit: limit + 1)
            // Messages of users the searcher blocks are left out (a page may come out shorter).
            let blocked = try transaction.blockedSenders(of: user)
            if !blocked.isEmpty { hits.removeAll { blocked.contains($0.message.senderID) } }
            return SearchPage(
                hits: Array(hits.prefix(limit)), nextOffset: hits.count > limit ? offset + limit : nil,
                excludedEncryptedConversations: excluded)
        }
    }

    /// The longest search text, in Unicode code points.
    static let maxCharacters = 1024

    /// The literal words of a query: maximal runs of letters, digits and combining marks.
    static func terms(in text: String, maxWords: Int) throws(MessagingError) -> [String] {
        // Characters are Unicode code points, as JSON Schema's maxLength counts them (the
        // OpenAPI document says maxLength 1024); the byte bound comes first, to bound the count.
        guard text.utf8.count <= 4 * maxCharacters, text.unicodeScalars.count <= maxCharacters else {
            throw .invalidInput("The search text is too long; use at most 1,024 characters.")
        }
        var terms: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { terms.append(String(current)) }
            current = String.UnicodeScalarView()
        }
        for scalar in text.unicodeScalars {
            let properties = scalar.properties
            if properties.isAlphabetic || properties.numericType != nil || properties.generalCategory == .nonspacingMark {
                current.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        guard !terms.isEmpty else {
            throw .invalidInput("The search text has no words; search for at least one letter or digit.")
        }
        guard terms.count <= maxWords else {
            throw .limitExceeded("The search text has \(terms.count) words; use at most \(maxWords).")
        }
        return terms
    }
}
