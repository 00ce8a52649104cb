import MessagingWire

/// A JSON value as the server sent it: what ``RealtimeClient`` and ``ProtocolConnection``
/// hand over for the parts of protocol v1 they do not model as types (the extra keys of an
/// event kind, a request's result), so nothing the server sends is out of reach.
///
/// The same type as `MessagingWire.JSONValue`, the gateway's: one JSON value type on both
/// sides of the protocol. Read it with `subscript(key:)`, `string`, `integer`, `bool`,
/// `array` and `object`; parse with `init(parsing:)` (depth-limited) and encode with `text`.
///
/// Thread safety: a value type; safe to share across tasks.
public typealias ClientJSON = JSONValue
