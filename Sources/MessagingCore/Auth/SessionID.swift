extension IDKind {
    /// Login sessions (one per login on one device; the family of its refresh tokens).
    public enum Session {}
}

/// Identifies a login session.
public typealias SessionID = Identifier<IDKind.Session>
