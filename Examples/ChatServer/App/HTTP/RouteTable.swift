import HTTPTypes

/// The server's route templates (`METHOD /path/{parameter}`), to tell a path nobody serves
/// (404 `route_not_found`) from a known path asked with a method it does not declare (405
/// `method_not_allowed` with `Allow`).
///
/// Thread safety: immutable; safe to share across tasks.
struct RouteTable: Sendable {
    private struct Template: Sendable {
        let method: HTTPRequest.Method
        /// Literal segments, `nil` for a parameter (which matches any one segment).
        let segments: [String?]
    }

    private let templates: [Template]

    /// Reads templates such as `GET /v1/conversations/{id}`.
    init(_ routes: [String]) {
        templates = routes.compactMap { route in
            let parts = route.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let method = HTTPRequest.Method(String(parts[0])) else { return nil }
            let segments = parts[1].split(separator: "/").map { segment -> String? in
                segment.hasPrefix("{") || segment.hasPrefix(":") ? nil : String(segment)
            }
            return Template(method: method, segments: segments)
        }
    }

    /// The methods declared for `path` (without its query), in declaration order; empty
    /// when no route has that path.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/").map(String.init) } ?? []
        var methods: [HTTPRequest.Method] = []
        for template in templates where template.segments.count == segments.count && !methods.contains(template.method) {
            let matches = zip(template.segments, segments).allSatisfy { literal, segment in literal == nil || literal == segment }
            if matches { methods.append(template.method) }
        }
        return methods
    }
}
