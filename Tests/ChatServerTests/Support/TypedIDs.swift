import MessagingCore

/// A fixture id as the HTTP API returned it (a string), as the typed id the context asks
/// for: `ConversationID`, `MessageID`, `AttachmentID`, … (for typed requests:
/// `peer.request(.subscribe(typed(room), after: 0))`). The strings come from the server, so
/// one that is no id is a broken test: it traps.
func typed<Kind>(_ id: String) -> Identifier<Kind> {
    guard let typed = Identifier<Kind>(id) else { preconditionFailure("not an id: \(id)") }
    return typed
}

extension Login {
    /// The user's id, typed.
    var userID: UserID { typed(id) }
}
